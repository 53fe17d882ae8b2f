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

-- Reserves n consecutive global positions for the calling transaction.
--
-- The ordering trap: a sequence value is taken before commit, so position 11 can become visible
-- while 10 is still in flight, and a reader that moves past 11 skips 10 forever. Readers therefore
-- only read rows whose transaction_id is below the oldest running transaction
-- (pg_snapshot_xmin(pg_current_snapshot())). That is gap-free only if positions grow with
-- transaction ids, so this function assigns the transaction id and takes the positions under one
-- short lock: whoever got the smaller transaction id got the smaller positions. The lock is held
-- only for these two steps, not until commit, so appends to different streams still commit in
-- parallel. It must be the appending transaction's first write (nothing may assign its id earlier).
create function es_reserve_positions(n integer) returns bigint
language plpgsql as $$
declare
  first_position bigint;
begin
  perform pg_advisory_lock(4242424242);
  begin
    perform pg_current_xact_id();
    select min(p) into first_position
      from (select nextval('es_global_position') as p from generate_series(1, n)) as reserved;
  exception when others then
    perform pg_advisory_unlock(4242424242);
    raise;
  end;
  perform pg_advisory_unlock(4242424242);
  return first_position;
end;
$$;
