-- The answer ingest gave each event, keyed by the channel it came on and the event's source + id:
-- a redelivery (after a crash, a rebalance, from another instance) is answered the same way, and
-- an event once rejected is never decided again. Keyed by channel as well, so an event that forges
-- another partner's source can never take that partner's key. Rows are only ever inserted.
create table ingest_outcomes (
  channel_organization_id text not null,
  source text not null,
  event_id text not null,
  -- SHA-256 of the event's canonical form (envelope, signature and data): the same source + id
  -- with other content is a different event, refused as such.
  digest text not null,
  status text not null check (status in ('accepted', 'rejected')),
  outcome jsonb not null,
  answered_at timestamptz not null default now(),
  primary key (channel_organization_id, source, event_id)
);
