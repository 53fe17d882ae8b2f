-- What operators did with the records ingest set aside on <prefix>.quarantine: sent again to
-- ingest, or skipped for good, each with who and why. The quarantine topic is a log (a record
-- stays on it); this says which are handled.
create table ingest_quarantine_resolutions (
  id bigint generated always as identity primary key,
  ref text not null,
  event_id text,
  action text not null check (action in ('retried', 'skipped')),
  reason text not null,
  actor text not null,
  resolved_at timestamptz not null default now()
);
create index ingest_quarantine_resolutions_ref on ingest_quarantine_resolutions (ref);
