-- es_append_streams (0003, 0004) answers a stream it refuses with its version alone. The writer
-- then had two more queries to make before it could answer its caller: the stream's head (to
-- chain a retry, or to see the version it lost to) and the refused events' ids (a redelivery of
-- events stored already is answered as such, not as a conflict). Under contention that made a
-- lost race cost four round trips where the peer stores spend two (measured on 50 hot streams
-- from 8 writers). es_append_streams_answered makes the same call and answers each refused
-- stream with its head as it stands once its winner has committed (version and hash, read in a
-- statement of its own, so after the lock the refusal waited for) and whether any of its events
-- is stored already: a conflict is answered, and a retry chained, from the one round trip.
create function es_append_streams_answered(
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
  answered_streams text[];
  firsts bigint[];
  versions integer[];
begin
  select array_agg(a.sid order by a.place), array_agg(a.first order by a.place),
    array_agg(a.version order by a.place)
  into answered_streams, firsts, versions
  from es_append_streams(p_stream_ids, p_read_versions, p_counts, p_recorded_at, p_event_ids,
    p_event_types, p_data, p_metadata, p_hashes, p_previous_hashes)
    with ordinality as a(sid, first, version, place);

  -- Every stream appended (the common case): nothing more to read.
  if array_position(firsts, null) is null then
    return query
    select u.sid, u.first, u.version, null::text, false
    from unnest(answered_streams, firsts, versions) with ordinality as u(sid, first, version, place)
    order by u.place;
    return;
  end if;

  -- A new statement, a new snapshot: a refused stream's head includes its winner's append. Each
  -- refused stream's row and events are looked up by key (a join could scan es_streams).
  return query
  select u.sid,
    u.first,
    coalesce(h.version, u.version),
    h.head_hash,
    u.first is null and exists (
      select 1 from es_events as e
      where e.event_id = any(p_event_ids[c.start + 1 : c.start + c.n]))
  from unnest(answered_streams, firsts, versions) with ordinality as u(sid, first, version, place)
  join (
    select c.place, c.n, (sum(c.n) over (order by c.place) - c.n)::integer as start
    from unnest(p_counts) with ordinality as c(n, place)
  ) as c on c.place = u.place
  left join lateral (
    select st.version, st.head_hash from es_streams as st
    where u.first is null and st.stream_id = u.sid
  ) as h on true
  order by u.place;
end;
$$;

grant execute on function es_append_streams_answered(text[], integer[], integer[], timestamptz,
  text[], text[], text[], text[], text[], text[]) to concord_writer;
