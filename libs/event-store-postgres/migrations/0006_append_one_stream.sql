-- A call that appends to one stream (every command, and most appends) no longer goes through
-- es_append_streams_answered, es_append_streams and their statements for many streams (a window
-- over the streams, a range join of events with streams, a locking CTE, an aggregate of the
-- answers): per one-event append PostgreSQL spent 0.16-0.19 ms in those functions, where
-- Emmett's one-stream function spends 0.10 ms (track_functions = all, one client, the same
-- events). es_append_one_stream takes the same arguments and gives the same answer as
-- es_append_streams_answered for one stream, in two statements after the reservation: a
-- conditional UPDATE of the stream row (which waits for a concurrent writer of the stream, then
-- checks the row that writer left) and the INSERT of the events. 0.08-0.09 ms in the same
-- measurement; for 100 events per call the two functions cost the same.

-- The transaction id and the positions of p_count events, taken under one short lock, as the
-- transaction's first write: whoever got the smaller transaction id got the smaller positions, so
-- a reader that stays below the oldest running transaction never skips an event (see 0001). The
-- lock is a session lock, held for these two steps and not until commit, so appends still commit
-- in parallel; the exception block gives it back if either step fails (a cancel included).
create function es_reserve_positions(p_count integer) returns bigint
language plpgsql as $$
declare
  reserved bigint;
begin
  perform pg_advisory_lock(4242424242);
  begin
    perform pg_current_xact_id();
    reserved := nextval('es_global_position');
    if p_count > 1 then
      perform setval('es_global_position', reserved + p_count - 1);
    end if;
  exception when others then
    perform pg_advisory_unlock(4242424242);
    raise;
  end;
  perform pg_advisory_unlock(4242424242);
  return reserved;
end;
$$;

-- Appends p_event_ids (all of them, one stream's) to p_stream_ids[1] if the stream is at
-- p_read_versions[1] with head p_previous_hashes[1]. Appended: its first position and new version.
-- Refused: first_position null, the stream's head as its winner left it (read in a statement of
-- its own, after the UPDATE waited for that winner), and whether any of these events is stored
-- already (a redelivery), as es_append_streams_answered answers.
create function es_append_one_stream(
  p_stream_ids text[],
  p_read_versions integer[],
  p_counts integer[],
  p_recorded_at timestamptz,
  p_event_ids text[],
  p_event_types text[],
  p_data text[],
  p_metadata text[],
  p_hashes text[],
  p_previous_hashes text[]
) returns table (
  stream_id text,
  first_position bigint,
  current_version integer,
  head_hash text,
  stored boolean
)
language plpgsql as $$
declare
  total integer := cardinality(p_event_ids);
  sid text := p_stream_ids[1];
  read_version integer := p_read_versions[1];
  reserved bigint;
begin
  if cardinality(p_stream_ids) is distinct from 1 or cardinality(p_read_versions) is distinct from 1
      or total < 1 or p_counts is distinct from array[total] or read_version < 0
      or cardinality(p_event_types) is distinct from total
      or cardinality(p_data) is distinct from total
      or cardinality(p_metadata) is distinct from total
      or cardinality(p_hashes) is distinct from total
      or cardinality(p_previous_hashes) is distinct from total then
    raise exception 'es_append_one_stream: % streams with counts % do not match % events',
      cardinality(p_stream_ids), p_counts, total using errcode = 'invalid_parameter_value';
  end if;

  reserved := es_reserve_positions(total);

  if read_version = 0 then
    insert into es_streams as st (stream_id, version) values (sid, 0)
    on conflict on constraint es_streams_pkey do nothing;
  end if;
  update es_streams as st set version = read_version + total, head_hash = p_hashes[total]
  where st.stream_id = sid and st.version = read_version
    and st.head_hash is not distinct from p_previous_hashes[1];

  if found then
    insert into es_events (global_position, transaction_id, stream_id, stream_version, event_id,
      event_type, data, metadata, recorded_at, hash, previous_hash)
    select reserved + e.i - 1, pg_current_xact_id(), sid, read_version + e.i::integer, e.id, e.t,
      e.d::jsonb, e.m::jsonb, p_recorded_at, e.h, e.ph
    from unnest(p_event_ids, p_event_types, p_data, p_metadata, p_hashes, p_previous_hashes)
      with ordinality as e(id, t, d, m, h, ph, i);
    return query select sid, reserved, read_version + total, null::text, false;
    return;
  end if;

  -- A stream that has no row yet stands at version 0.
  return query
  select sid, null::bigint, coalesce(st.version, 0), st.head_hash,
    exists (select 1 from es_events as e where e.event_id = any(p_event_ids))
  from (select) as one
  left join es_streams as st on st.stream_id = sid;
end;
$$;

grant execute on function es_reserve_positions(integer) to concord_writer;
grant execute on function es_append_one_stream(text[], integer[], integer[], timestamptz, text[],
  text[], text[], text[], text[], text[]) to concord_writer;
