-- What the KurrentDB adapter keeps in Concord's SQL database because KurrentDB cannot: the index of
-- event ids (KurrentDB dedupes ids only per stream and only in some cases) and the checkpoints of
-- subscribers (Concord's, not KurrentDB's).

create table kurrent_event_ids (
  -- Concord's event id: one row per id, whatever the stream.
  event_id text primary key,
  stream_id text not null,
  -- contentHash({ type, data }): tells a redelivery from a clash without reading KurrentDB.
  content_hash text not null,
  -- The append that claimed the id and is writing it (null once the event is stored). The row is
  -- claimed before the KurrentDB write, so a crash between the two leaves a pending claim, never
  -- an event the index does not know.
  claim text,
  claimed_at timestamptz not null default now(),
  -- Set once the event is stored.
  stream_version integer,
  position bigint,
  hash text,
  constraint kurrent_event_ids_stored check (claim is not null or position is not null)
);

-- verify compares each stream's chain with the last event the index knows for it.
create index kurrent_event_ids_stream on kurrent_event_ids (stream_id, stream_version);

create table kurrent_checkpoints (
  subscriber_id text primary key,
  position bigint not null,
  updated_at timestamptz not null default now()
);
