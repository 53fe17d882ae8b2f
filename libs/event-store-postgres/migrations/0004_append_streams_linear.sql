-- es_append_streams (0003) with a cost per event that does not grow with the number of streams
-- in a call. 0003 found each event's stream by a range join of the events with the streams that
-- PostgreSQL ran as a nested loop (it expected one stream): for every stream it went through
-- every event again, n events x n streams. Ingest appends one stream per batch of a consumer
-- batch: 2,000 one-event streams took 1.2-1.7 s where 100 took 27 ms (auto_explain: 3,998,000
-- rows removed by the join filter), so the busier ingest got, the more each event cost.
-- es_append_many_streams joins nothing of the events with the streams: each event's stream is
-- laid over it by position (the events come stream after stream, p_counts of each), what
-- belongs to a stream is read by its place in integer arrays (constant time), and only stream
-- rows are joined, by their key. es_append_streams hands it every call of several streams and
-- keeps its own statement for one stream: the same arguments, answers, locks and ordering.
create function es_append_many_streams(
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
) returns table (stream_id text, first_position bigint, current_version integer)
-- Every stream row is read by its key. Left to choose, the planner scans the whole of es_streams
-- for a call of a few thousand streams once the table is large (200,000 streams: a hash join on
-- a scan of every row, 288 ms of a 374-ms call; with lookups by key 39 of 92 ms): a cost that
-- grows with the store, not with the call.
language plpgsql set enable_seqscan = off as $$
declare
  total integer := cardinality(p_event_ids);
  streams integer := cardinality(p_stream_ids);
  reserved bigint;
  counted bigint;
  smallest integer;
  -- For each event, in p_event_ids' order: its stream's place in p_stream_ids, and its stream.
  event_places integer[];
  event_streams text[];
  -- For each stream, in p_stream_ids' order: how many events come before its first one, the
  -- hash its first event is chained to, and its last event's hash.
  starts integer[];
  first_previous text[];
  last_hashes text[];
begin
  if streams >= 1 then
    with laid as (
      select a.sid, a.n, a.place, (sum(a.n) over (order by a.place) - a.n)::integer as start
      from unnest(p_stream_ids, p_counts) with ordinality as a(sid, n, place)
    )
    select (select array_agg(start order by place) from laid),
      (select array_agg(place order by place) from laid, generate_series(1, laid.n)),
      (select array_agg(sid order by place) from laid, generate_series(1, laid.n)),
      (select sum(n) from laid), (select min(n) from laid)
    into starts, event_places, event_streams, counted, smallest;
    if counted = total then
      select array_agg(e.ph order by e.i) filter (where e.i = starts[e.place] + 1),
        array_agg(e.h order by e.i) filter (where e.i = starts[e.place] + p_counts[e.place])
      into first_previous, last_hashes
      from unnest(p_previous_hashes, p_hashes, event_places) with ordinality as e(ph, h, place, i);
    end if;
  end if;
  if streams is null or streams < 1 or counted is distinct from total or smallest < 1
      or cardinality(p_read_versions) is distinct from streams
      or cardinality(p_event_types) is distinct from total
      or cardinality(p_data) is distinct from total
      or cardinality(p_metadata) is distinct from total
      or cardinality(p_hashes) is distinct from total
      or cardinality(p_previous_hashes) is distinct from total then
    raise exception 'es_append_many_streams: % streams with counts % do not match % events',
      streams, p_counts, total using errcode = 'invalid_parameter_value';
  end if;

  perform pg_advisory_lock(4242424242);
  begin
    perform pg_current_xact_id();
    reserved := nextval('es_global_position');
    if total > 1 then
      perform setval('es_global_position', reserved + total - 1);
    end if;
  exception when others then
    perform pg_advisory_unlock(4242424242);
    raise;
  end;
  perform pg_advisory_unlock(4242424242);

  insert into es_streams as st (stream_id, version)
  select u.id, 0 from unnest(p_stream_ids) as u(id) order by u.id
  on conflict on constraint es_streams_pkey do nothing;
  -- Stream rows are locked in stream id order, so calls over overlapping streams wait for each
  -- other instead of deadlocking.
  perform from es_streams as st where st.stream_id = any(p_stream_ids)
  order by st.stream_id for update;

  -- Only stream rows are joined, each by its key. Every part of the statement sees the streams
  -- as they were before it: a stream's new version is computed, not read back.
  return query
  with asked as (
    select a.sid, a.read_version, a.n, a.place, st.version,
      st.version = a.read_version and st.head_hash is not distinct from a.previous_hash as ok
    from unnest(p_stream_ids, p_read_versions, p_counts, first_previous) with ordinality
      as a(sid, read_version, n, previous_hash, place)
    join es_streams as st on st.stream_id = a.sid
  ),
  refused as (
    select coalesce(array_agg(asked.place), '{}') as places from asked where not asked.ok
  ),
  moved as (
    update es_streams as st set version = a.read_version + a.n, head_hash = a.last_hash
    from unnest(p_stream_ids, p_read_versions, p_counts, last_hashes) with ordinality
      as a(sid, read_version, n, last_hash, place), refused
    where st.stream_id = a.sid and a.place <> all(refused.places)
    returning 1
  ),
  inserted as (
    insert into es_events (global_position, transaction_id, stream_id, stream_version, event_id,
      event_type, data, metadata, recorded_at, hash, previous_hash)
    select reserved + e.i - 1, pg_current_xact_id(), e.sid,
      p_read_versions[e.place] + (e.i - starts[e.place])::integer, e.id, e.t, e.d::jsonb,
      e.m::jsonb, p_recorded_at, e.h, e.ph
    from unnest(p_event_ids, p_event_types, p_data, p_metadata, p_hashes, p_previous_hashes,
        event_places, event_streams) with ordinality as e(id, t, d, m, h, ph, place, sid, i),
      refused
    where e.place <> all(refused.places)
    returning 1
  )
  select asked.sid,
    case when asked.ok then reserved + starts[asked.place] end,
    case when asked.ok then asked.read_version + asked.n else asked.version end
  from asked
  order by asked.place;
end;
$$;

grant execute on function es_append_many_streams(text[], integer[], integer[], timestamptz,
  text[], text[], text[], text[], text[], text[]) to concord_writer;

create or replace function es_append_streams(
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
) returns table (stream_id text, first_position bigint, current_version integer)
language plpgsql as $$
declare
  total integer := cardinality(p_event_ids);
  reserved bigint;
begin
  -- Several streams (or counts that do not add up): es_append_many_streams, whose cost per event
  -- does not grow with the streams. One stream keeps 0003's statement, the cheapest for it (its
  -- range join meets one stream).
  if cardinality(p_stream_ids) is distinct from 1 or p_counts[1] is distinct from total then
    return query select * from es_append_many_streams(p_stream_ids, p_read_versions, p_counts,
      p_recorded_at, p_event_ids, p_event_types, p_data, p_metadata, p_hashes, p_previous_hashes);
    return;
  end if;
  perform pg_advisory_lock(4242424242);
  begin
    perform pg_current_xact_id();
    reserved := nextval('es_global_position');
    if total > 1 then
      perform setval('es_global_position', reserved + total - 1);
    end if;
  exception when others then
    perform pg_advisory_unlock(4242424242);
    raise;
  end;
  perform pg_advisory_unlock(4242424242);

  insert into es_streams as st (stream_id, version)
  select u.id, 0 from unnest(p_stream_ids) as u(id) order by u.id
  on conflict on constraint es_streams_pkey do nothing;

  return query
  with asked as (
    select a.sid, a.read_version, a.n, a.ord,
      (sum(a.n) over (order by a.ord) - a.n)::integer as start_at
    from unnest(p_stream_ids, p_read_versions, p_counts) with ordinality as a(sid, read_version, n, ord)
  ),
  locked as (
    select st.stream_id as sid, st.version, st.head_hash from es_streams as st
    where st.stream_id = any(p_stream_ids)
    order by st.stream_id
    for update
  ),
  ok as (
    select asked.* from asked join locked using (sid)
    where locked.version = asked.read_version
      and locked.head_hash is not distinct from p_previous_hashes[asked.start_at + 1]
  ),
  inserted as (
    insert into es_events (global_position, transaction_id, stream_id, stream_version, event_id,
      event_type, data, metadata, recorded_at, hash, previous_hash)
    select reserved + e.i - 1, pg_current_xact_id(), ok.sid,
      ok.read_version + (e.i - ok.start_at)::integer, e.id, e.t, e.d::jsonb, e.m::jsonb,
      p_recorded_at, e.h, e.ph
    from unnest(p_event_ids, p_event_types, p_data, p_metadata, p_hashes, p_previous_hashes)
      with ordinality as e(id, t, d, m, h, ph, i)
    join ok on e.i > ok.start_at and e.i <= ok.start_at + ok.n
    returning 1
  ),
  moved as (
    update es_streams as st set version = ok.read_version + ok.n, head_hash = p_hashes[ok.start_at + ok.n]
    from ok where st.stream_id = ok.sid
    returning st.stream_id
  )
  select asked.sid,
    case when ok.sid is null then null else reserved + ok.start_at end,
    case when ok.sid is null then locked.version else ok.read_version + ok.n end
  from asked join locked using (sid) left join ok using (sid)
  order by asked.ord;
end;
$$;
