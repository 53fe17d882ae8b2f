-- How many batches each organization is party to, by status, readiness and whether anything
-- blocks them: what a list's total reads (a handful of rows, however long the history) instead
-- of counting the batches. Kept by a trigger on rm_batches, so every way rows get there keeps it
-- (the projector's upserts and deletes, a replica applying the change log). A rebuild's new
-- rm_batches gets the trigger, and the counts counted afresh, as it takes over
-- (rm_recount_batches, called by the switch in the same transaction).
create table rm_batch_counts (
  organization_id text not null,
  status text not null,
  release_ready boolean not null,
  blocked boolean not null,
  batches integer not null,
  primary key (organization_id, status, release_ready, blocked)
);

grant select on rm_batch_counts to concord_reader;
alter table rm_batch_counts enable row level security;
create policy own_counts on rm_batch_counts for select to concord_reader
  using (organization_id = (select rm_caller()));

create function rm_count_batch(p_organization text, p_status text, p_release_ready boolean,
  p_blocked boolean, p_change integer) returns void language sql as $$
  insert into rm_batch_counts as c (organization_id, status, release_ready, blocked, batches)
  values (p_organization, p_status, p_release_ready, p_blocked, p_change)
  on conflict (organization_id, status, release_ready, blocked)
    do update set batches = c.batches + excluded.batches
$$;

-- A batch counts once for each of its parties (once, were its sponsor its own CDMO).
create function rm_batch_counted() returns trigger language plpgsql as $$
begin
  if tg_op = 'UPDATE' and old.sponsor_id = new.sponsor_id and old.cdmo_id = new.cdmo_id
      and old.status = new.status and old.release_ready = new.release_ready
      and (old.blocker_count > 0) = (new.blocker_count > 0) then
    return null;
  end if;
  if tg_op in ('UPDATE', 'DELETE') then
    perform rm_count_batch(old.sponsor_id, old.status, old.release_ready, old.blocker_count > 0, -1);
    if old.cdmo_id <> old.sponsor_id then
      perform rm_count_batch(old.cdmo_id, old.status, old.release_ready, old.blocker_count > 0, -1);
    end if;
  end if;
  if tg_op in ('INSERT', 'UPDATE') then
    perform rm_count_batch(new.sponsor_id, new.status, new.release_ready, new.blocker_count > 0, 1);
    if new.cdmo_id <> new.sponsor_id then
      perform rm_count_batch(new.cdmo_id, new.status, new.release_ready, new.blocker_count > 0, 1);
    end if;
  end if;
  return null;
end
$$;

-- Puts the trigger on the current rm_batches and counts its rows afresh.
create function rm_recount_batches() returns void language plpgsql as $$
begin
  drop trigger if exists rm_batches_counted on rm_batches;
  create trigger rm_batches_counted after insert or update or delete on rm_batches
    for each row execute function rm_batch_counted();
  delete from rm_batch_counts;
  insert into rm_batch_counts (organization_id, status, release_ready, blocked, batches)
  select party, status, release_ready, blocker_count > 0, count(*)::integer
  from rm_batches, lateral (select sponsor_id union select cdmo_id) as parties (party)
  group by 1, 2, 3, 4;
end
$$;

select rm_recount_batches();
