-- What operators did with the projector's dead letters: retried (the event's stream projected
-- again, and it went through), a retry that failed again, or skipped with a reason. Kept apart
-- from the read model's tables, so a rebuild (which starts the dead letters afresh) keeps it.
create table rm_dead_letter_resolutions (
  id bigint generated always as identity primary key,
  projector text not null,
  position bigint not null,
  event_id text not null,
  stream_id text not null,
  type text not null,
  action text not null check (action in ('retried', 'retry-failed', 'skipped')),
  reason text not null,
  actor text not null,
  error text,
  resolved_at timestamptz not null default now()
);
create index rm_dead_letter_resolutions_position on rm_dead_letter_resolutions (projector, position);
