-- The event store (Marten/Emmett layout). Append-only: nothing here is ever updated or deleted
-- but stream heads, stream metadata and subscriber checkpoints.

create sequence es_global_position as bigint;

create table es_events (
  global_position bigint primary key,
  -- The appending transaction: readers stay below the oldest one still running (see es_reserve_positions).
  transaction_id xid8 not null,
  stream_id text not null,
  stream_version integer not null check (stream_version >= 1),
  event_id text not null,
  event_type text not null,
  data jsonb not null,
  metadata jsonb not null,
  recorded_at timestamptz not null,
  -- SHA-256 of the canonical event, chained through previous_hash to the stream's earlier events.
  hash text not null,
  previous_hash text,
  -- The concurrency check: two writers can never both store version N of a stream.
  constraint es_events_stream_version_key unique (stream_id, stream_version),
  -- Idempotency: an event id is stored once.
  constraint es_events_event_id_key unique (event_id)
);

create table es_streams (
  stream_id text primary key,
  version integer not null,
  head_hash text,
  metadata jsonb not null default '{}'::jsonb
);

create table es_checkpoints (
  subscriber_id text primary key,
  position bigint not null,
  updated_at timestamptz not null default now()
);

-- Appends a batch of events to one stream in one call (one round trip, its own transaction when
-- called outside one). The caller computed the hash chain from the stream head it read at
-- version read_version; if the stream moved since, this raises SQLSTATE CN409 with the actual
-- version in the message detail and stores nothing, and the caller decides whether to retry.
--
-- The ordering trap: a sequence value is taken before commit, so position 11 can become visible
-- while 10 is still in flight, and a reader that moves past 11 skips 10 forever. Readers therefore
-- only read rows whose transaction_id is below the oldest running transaction
-- (pg_snapshot_xmin(pg_current_snapshot())). That is gap-free only if positions grow with
-- transaction ids, so the transaction id is assigned and the positions taken under one short lock,
-- as the transaction's first write: whoever got the smaller transaction id got the smaller
-- positions. The lock is held for those two steps only, not until commit, so appends to different
-- streams still commit in parallel.
create function es_append(
  p_stream_id text,
  p_read_version integer,
  p_recorded_at timestamptz,
  p_event_ids text[],
  p_event_types text[],
  p_data text[],
  p_metadata text[],
  p_hashes text[],
  p_previous_hashes text[],
  p_notify_channel text
) returns bigint
language plpgsql as $$
declare
  n integer := cardinality(p_event_ids);
  first_position bigint;
  current_version integer;
begin
  perform pg_advisory_lock(4242424242);
  begin
    perform pg_current_xact_id();
    first_position := nextval('es_global_position');
    if n > 1 then
      perform setval('es_global_position', first_position + n - 1);
    end if;
  exception when others then
    perform pg_advisory_unlock(4242424242);
    raise;
  end;
  perform pg_advisory_unlock(4242424242);

  insert into es_streams (stream_id, version) values (p_stream_id, 0) on conflict (stream_id) do nothing;
  select version into current_version from es_streams where stream_id = p_stream_id for update;
  if current_version <> p_read_version then
    raise exception using errcode = 'CN409', message = 'stream moved', detail = current_version::text;
  end if;

  insert into es_events (global_position, transaction_id, stream_id, stream_version, event_id,
    event_type, data, metadata, recorded_at, hash, previous_hash)
  select first_position + e.i - 1, pg_current_xact_id(), p_stream_id, p_read_version + e.i::integer,
    e.id, e.t, e.d::jsonb, e.m::jsonb, p_recorded_at, e.h, e.ph
  from unnest(p_event_ids, p_event_types, p_data, p_metadata, p_hashes, p_previous_hashes)
    with ordinality as e(id, t, d, m, h, ph, i);

  update es_streams set version = p_read_version + n, head_hash = p_hashes[n]
  where stream_id = p_stream_id;
  perform pg_notify(p_notify_channel, (first_position + n - 1)::text);
  return first_position;
end;
$$;
