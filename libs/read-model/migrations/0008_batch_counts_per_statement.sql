-- The batch counts (0006) are kept once per statement instead of once per row. The row trigger
-- called rm_count_batch two to four times for every batch row a statement wrote: a projector
-- chunk of 75 new batches made 150 calls of a SQL function (planned afresh on each call), each
-- updating one of the same few count rows again, 40 % of the chunk's write statement and the
-- largest single cost of the live projector in the database (pg_stat_statements, API bench at
-- 1,000 events/s). Now a statement adds up the changes of all its rows by organization, status,
-- readiness and blocked, from its transition tables, and writes each count row once, in key
-- order. PostgreSQL gives transition tables only to triggers of one event, so there are three;
-- an INSERT ... ON CONFLICT DO UPDATE shows its inserted rows to the first and its updated rows
-- to the second. Each batch counts once for each of its parties (once, were its sponsor its own
-- CDMO), as before.
create function rm_count_batch_changes() returns trigger language plpgsql as $$
begin
  if tg_op = 'INSERT' then
    insert into rm_batch_counts as c (organization_id, status, release_ready, blocked, batches)
    select party, status, release_ready, blocker_count > 0, count(*)::integer
    from new_batches, lateral (select sponsor_id union select cdmo_id) as parties (party)
    group by 1, 2, 3, 4
    order by 1, 2, 3, 4
    on conflict (organization_id, status, release_ready, blocked)
      do update set batches = c.batches + excluded.batches;
  elsif tg_op = 'DELETE' then
    insert into rm_batch_counts as c (organization_id, status, release_ready, blocked, batches)
    select party, status, release_ready, blocker_count > 0, -count(*)::integer
    from old_batches, lateral (select sponsor_id union select cdmo_id) as parties (party)
    group by 1, 2, 3, 4
    order by 1, 2, 3, 4
    on conflict (organization_id, status, release_ready, blocked)
      do update set batches = c.batches + excluded.batches;
  else
    -- A row whose parties, status, readiness and blocked stay as they were adds -1 and +1 to the
    -- same count: nothing is written for it.
    insert into rm_batch_counts as c (organization_id, status, release_ready, blocked, batches)
    select party, status, release_ready, blocked, sum(change)::integer
    from (
      select sponsor_id, cdmo_id, status, release_ready, blocker_count > 0, -1 from old_batches
      union all
      select sponsor_id, cdmo_id, status, release_ready, blocker_count > 0, 1 from new_batches
    ) as changed (sponsor_id, cdmo_id, status, release_ready, blocked, change),
      lateral (select sponsor_id union select cdmo_id) as parties (party)
    group by 1, 2, 3, 4
    having sum(change) <> 0
    order by 1, 2, 3, 4
    on conflict (organization_id, status, release_ready, blocked)
      do update set batches = c.batches + excluded.batches;
  end if;
  return null;
end
$$;

-- Puts the triggers on the current rm_batches and counts its rows afresh (a rebuild's switch
-- calls it for its new table, in the switch's transaction).
create or replace function rm_recount_batches() returns void language plpgsql as $$
begin
  drop trigger if exists rm_batches_counted on rm_batches;
  drop trigger if exists rm_batches_counted_inserts on rm_batches;
  drop trigger if exists rm_batches_counted_updates on rm_batches;
  drop trigger if exists rm_batches_counted_deletes on rm_batches;
  create trigger rm_batches_counted_inserts after insert on rm_batches
    referencing new table as new_batches
    for each statement execute function rm_count_batch_changes();
  create trigger rm_batches_counted_updates after update on rm_batches
    referencing old table as old_batches new table as new_batches
    for each statement execute function rm_count_batch_changes();
  create trigger rm_batches_counted_deletes after delete on rm_batches
    referencing old table as old_batches
    for each statement execute function rm_count_batch_changes();
  delete from rm_batch_counts;
  insert into rm_batch_counts (organization_id, status, release_ready, blocked, batches)
  select party, status, release_ready, blocker_count > 0, count(*)::integer
  from rm_batches, lateral (select sponsor_id union select cdmo_id) as parties (party)
  group by 1, 2, 3, 4;
end
$$;

select rm_recount_batches();

drop function rm_batch_counted();
drop function rm_count_batch(text, text, boolean, boolean, integer);
