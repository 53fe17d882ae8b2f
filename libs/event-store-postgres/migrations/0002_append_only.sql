-- Append-only in the database too. Two barriers against changing the record with plain SQL:
--
-- 1. Grants. Processes that write the store should log in as a role that is a member of
--    concord_writer and owns nothing: it may append (es_append), read, and move stream heads and
--    checkpoints, and it can never update, delete or truncate an event.
-- 2. A trigger, for whoever else can reach the table (its owner included): every UPDATE, DELETE
--    or TRUNCATE of es_events is refused. Only someone who can switch triggers off (a superuser,
--    or the owner with ALTER TABLE) gets past it, and the hash chains and signatures are there for
--    exactly that insider.
do $$
begin
  create role concord_writer nologin;
exception
  when duplicate_object or unique_violation then null;
end
$$;

revoke all on es_events from public;
grant select, insert on es_events to concord_writer;
grant select, insert, update on es_streams to concord_writer;
grant select, insert, update on es_checkpoints to concord_writer;
grant usage, select, update on sequence es_global_position to concord_writer;
grant execute on function es_append(text, integer, timestamptz, text[], text[], text[], text[],
  text[], text[], text) to concord_writer;

create function es_refuse_change() returns trigger language plpgsql as $$
begin
  raise exception using
    errcode = 'CN403',
    message = format('es_events is append-only: %s refused', tg_op),
    hint = 'A recorded event is never changed: record a correcting event instead.';
end;
$$;

create trigger es_events_append_only before update or delete on es_events
  for each row execute function es_refuse_change();
create trigger es_events_no_truncate before truncate on es_events
  for each statement execute function es_refuse_change();
