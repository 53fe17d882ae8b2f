-- One append function for one stream or many, in one call and one transaction, replacing es_append.
-- The events of all streams come as one set of arrays, stream after stream; p_counts says how
-- many belong to each stream, in p_stream_ids' order. Positions are reserved as es_append did
-- (the transaction id and the positions taken under one short lock, see 0001 for the ordering).
--
-- A stream that is not at its read version, or whose head is not the hash the caller chained its
-- first event to (the caller's knowledge of the head was stale), is answered with first_position
-- null and its actual version, and nothing of it is written: a conflict is an answer, not an error, so the other
-- streams commit and the caller's connection is not spent on a failed statement. Its reserved
-- positions stay unused, like those of any rolled-back append (positions are ordered, not dense).
-- Stream rows are locked in stream id order, so calls over overlapping streams wait for each
-- other instead of deadlocking. Everything after the reservation is one statement.
--
-- No pg_notify here: a transaction that notifies holds a database-wide lock from its pre-commit
-- until its commit is flushed, so appends that notified committed one at a time. The store
-- announces new positions after the commit, from outside the appending transaction.
drop function es_append(text, integer, timestamptz, text[], text[], text[], text[], text[], text[],
  text);

create function es_append_streams(
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

grant execute on function es_append_streams(text[], integer[], integer[], timestamptz, text[],
  text[], text[], text[], text[], text[]) to concord_writer;
