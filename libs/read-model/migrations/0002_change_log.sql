-- Every chunk of read-model changes a projector commits, written in the chunk's transaction: API
-- replicas follow it by id (a notification on concord_read_model says "read again"), so a replica
-- whose connection dropped for a moment reads what it missed instead of losing it. Kept for a
-- while, then pruned by the projector.
create table rm_change_log (
  id bigint generated always as identity primary key,
  changes text not null,
  recorded_at timestamptz not null default now()
);
