-- Appends to several streams in one call and one transaction (see es_append for the ordering
-- and the lock that keeps positions growing with transaction ids). The events of all streams come
-- as one set of arrays, stream after stream; p_counts says how many belong to each stream.
--
-- A stream that is not at its read version is answered with first_position null and its actual
-- version, and nothing of it is written: a conflict is an answer, not an error, so the other
-- streams commit and the caller's connection survives. Its reserved positions stay unused, like
-- those of any rolled-back append (positions are ordered, not dense).
--
-- Stream rows are locked in stream id order, so two such calls over overlapping streams wait for
-- each other instead of deadlocking.
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
  p_previous_hashes text[],
  p_notify_channel text
) returns table (stream_id text, first_position bigint, current_version integer)
language plpgsql as $$
declare
  total integer := cardinality(p_event_ids);
  reserved bigint;
  s integer;
  n integer;
  offset_in integer := 0;
  actual integer;
  last_written bigint := null;
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
  select id, 0 from unnest(p_stream_ids) as u(id) order by id
  on conflict on constraint es_streams_pkey do nothing;
  perform 1 from es_streams as st where st.stream_id = any(p_stream_ids)
  order by st.stream_id for update;

  for s in 1 .. cardinality(p_stream_ids) loop
    n := p_counts[s];
    select st.version into actual from es_streams as st where st.stream_id = p_stream_ids[s];
    if actual <> p_read_versions[s] then
      stream_id := p_stream_ids[s];
      first_position := null;
      current_version := actual;
      return next;
    else
      insert into es_events (global_position, transaction_id, stream_id, stream_version, event_id,
        event_type, data, metadata, recorded_at, hash, previous_hash)
      select reserved + offset_in + e.i - 1, pg_current_xact_id(), p_stream_ids[s],
        p_read_versions[s] + e.i::integer, e.id, e.t, e.d::jsonb, e.m::jsonb, p_recorded_at, e.h, e.ph
      from unnest(p_event_ids[offset_in + 1 : offset_in + n], p_event_types[offset_in + 1 : offset_in + n],
        p_data[offset_in + 1 : offset_in + n], p_metadata[offset_in + 1 : offset_in + n],
        p_hashes[offset_in + 1 : offset_in + n], p_previous_hashes[offset_in + 1 : offset_in + n])
        with ordinality as e(id, t, d, m, h, ph, i);
      update es_streams as st set version = p_read_versions[s] + n, head_hash = p_hashes[offset_in + n]
      where st.stream_id = p_stream_ids[s];
      last_written := reserved + offset_in + n - 1;
      stream_id := p_stream_ids[s];
      first_position := reserved + offset_in;
      current_version := p_read_versions[s] + n;
      return next;
    end if;
    offset_in := offset_in + n;
  end loop;
  if last_written is not null then
    perform pg_notify(p_notify_channel, last_written::text);
  end if;
end;
$$;

grant execute on function es_append_streams(text[], integer[], integer[], timestamptz, text[],
  text[], text[], text[], text[], text[], text) to concord_writer;
