-- The deadline process's index: each deviation's investigation, CAPA and closure due dates (from
-- its latest due-dates-set event), the warnings given, where it stands, and the next instant at
-- which a warning not yet given falls due (what the deadline process looks up). Rebuilt from the
-- store like every read-model table.
alter table rm_deviations
  add column due_dates jsonb,
  add column deadline_warnings jsonb not null default '[]',
  add column deadline_status text not null default 'none',
  add column next_deadline_check timestamptz;

create index rm_deviations_next_deadline_check on rm_deviations (next_deadline_check);
