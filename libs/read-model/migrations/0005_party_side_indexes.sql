-- The batch lists at any size of history. A caller sees the batches it is the sponsor or the CDMO
-- of, and PostgreSQL cannot walk one index in order for "sponsor_id = X or cdmo_id = X": it read
-- and sorted every batch of the caller's for each page, and every row of them for each count
-- (with a year of shipped batches behind a dashboard, ten times slower). The API now reads the two
-- sides apart (`partySidesOf`): each side walks an index of its own party in the order the list
-- asks for, and holds what lists filter and count by (and the other party, which row-level
-- security reads), so a page reads the entries it shows and a count reads the index alone.
drop index rm_batches_sponsor;
drop index rm_batches_cdmo;
create index rm_batches_sponsor on rm_batches (sponsor_id, scheduled_at desc, id)
  include (cdmo_id, status, release_ready, blocker_count);
create index rm_batches_cdmo on rm_batches (cdmo_id, scheduled_at desc, id)
  include (sponsor_id, status, release_ready, blocker_count);
create index rm_batches_sponsor_changed on rm_batches (sponsor_id, last_changed_at desc, id)
  include (cdmo_id, status, release_ready, blocker_count);
create index rm_batches_cdmo_changed on rm_batches (cdmo_id, last_changed_at desc, id)
  include (sponsor_id, status, release_ready, blocker_count);
create index rm_batches_sponsor_number on rm_batches (sponsor_id, batch_number, id)
  include (cdmo_id, status, release_ready, blocker_count);
create index rm_batches_cdmo_number on rm_batches (cdmo_id, batch_number, id)
  include (sponsor_id, status, release_ready, blocker_count);
create index rm_batches_sponsor_blockers on rm_batches (sponsor_id, blocker_count desc, id)
  include (cdmo_id, status, release_ready);
create index rm_batches_cdmo_blockers on rm_batches (cdmo_id, blocker_count desc, id)
  include (sponsor_id, status, release_ready);

-- The caller's organization read once per statement (an init plan), not once per row: a count
-- that reads a party's index entries no longer calls current_setting for each of them.
alter policy parties on rm_agreements using ((select rm_caller()) in (sponsor_id, cdmo_id));
alter policy parties on rm_batches using ((select rm_caller()) in (sponsor_id, cdmo_id));
alter policy parties on rm_qc_results using ((select rm_caller()) in (sponsor_id, cdmo_id));
alter policy parties on rm_deviations using ((select rm_caller()) in (sponsor_id, cdmo_id));
alter policy parties on rm_deviation_batches using ((select rm_caller()) in (sponsor_id, cdmo_id));
alter policy parties on rm_timeline using ((select rm_caller()) in (sponsor_id, cdmo_id));
alter policy own_people on rm_people using (organization_id = (select rm_caller()));
