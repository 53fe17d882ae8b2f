-- The read model: what the projector derives from the event store, for the API to read.
-- Every row that belongs to a partnership carries its sponsor_id and cdmo_id, so row-level
-- security can scope it to the two parties without a join. Nothing here is the record: it can be
-- dropped and rebuilt from the events at any time (concord projections rebuild).

create table rm_organizations (
  id text primary key,
  name text not null,
  kind text not null
);

create table rm_people (
  organization_id text not null,
  person_id text not null,
  printed_name text not null,
  roles text[] not null default '{}',
  primary key (organization_id, person_id)
);

create table rm_agreements (
  id text primary key,
  version integer not null,
  sponsor_id text not null,
  cdmo_id text not null,
  products jsonb not null,
  responsibilities jsonb not null,
  notification_deadlines_hours jsonb not null,
  effective_from timestamptz not null,
  terminated_at timestamptz
);

create table rm_batches (
  id text primary key,
  batch_number text not null,
  product_id text not null,
  product_name text,
  agreement_id text not null,
  sponsor_id text not null,
  cdmo_id text not null,
  site text not null,
  status text not null,
  planned_quantity_value double precision not null,
  planned_quantity_unit text not null,
  actual_quantity_value double precision,
  actual_quantity_unit text,
  planned_start timestamptz not null,
  scheduled_at timestamptz not null,
  started_at timestamptz,
  completed_at timestamptz,
  record_reviewed_at timestamptz,
  coa_id text,
  coa_issued_at timestamptz,
  disposition_decision text,
  dispositioned_at timestamptz,
  disposition_signature jsonb,
  register_entry_id text,
  certified_at timestamptz,
  certification_signature jsonb,
  shipment_id text,
  shipped_at timestamptz,
  open_deviations jsonb not null default '{}',
  oos_investigations jsonb not null default '{}',
  blockers jsonb not null default '[]',
  blocker_count integer not null default 0,
  release_ready boolean not null default false,
  last_changed_at timestamptz not null,
  stream_version integer not null,
  last_position bigint not null
);
create index rm_batches_sponsor on rm_batches (sponsor_id, scheduled_at desc, id);
create index rm_batches_cdmo on rm_batches (cdmo_id, scheduled_at desc, id);
create index rm_batches_status on rm_batches (status);

create table rm_qc_results (
  batch_id text not null,
  result_id text not null,
  sponsor_id text not null,
  cdmo_id text not null,
  test text not null,
  method text,
  specification_lower double precision,
  specification_upper double precision,
  specification_unit text not null,
  value double precision not null,
  unit text not null,
  within_specification boolean not null,
  tested_at timestamptz not null,
  corrected boolean not null default false,
  event_id text not null,
  primary key (batch_id, result_id)
);

create table rm_deviations (
  id text primary key,
  title text not null,
  description text not null,
  category text not null,
  severity text not null,
  status text not null,
  product_id text not null,
  agreement_id text not null,
  sponsor_id text not null,
  cdmo_id text not null,
  reported_by_organization_id text not null,
  detected_at timestamptz not null,
  reported_at timestamptz not null,
  notification_deadline timestamptz,
  notified_late boolean not null default false,
  late_by_minutes integer,
  investigation_summary text,
  root_cause text,
  root_cause_category text,
  capa_id text,
  capa_actions jsonb,
  capa_status text not null default 'none',
  capa_approval_signature jsonb,
  closure_approved_at timestamptz,
  closure_approval_signature jsonb,
  closed_at timestamptz,
  conclusion text,
  closing_signature jsonb,
  last_changed_at timestamptz not null,
  stream_version integer not null,
  last_position bigint not null
);
create index rm_deviations_sponsor on rm_deviations (sponsor_id, reported_at desc, id);
create index rm_deviations_cdmo on rm_deviations (cdmo_id, reported_at desc, id);

create table rm_deviation_batches (
  deviation_id text not null,
  batch_id text not null,
  sponsor_id text not null,
  cdmo_id text not null,
  impact text,
  impact_conclusion text,
  primary key (deviation_id, batch_id)
);
create index rm_deviation_batches_batch on rm_deviation_batches (batch_id);

-- Every event of a batch or deviation as the people involved read it: who, what, when, why.
create table rm_timeline (
  position bigint primary key,
  event_id text not null unique,
  stream_id text not null,
  batch_id text,
  deviation_id text,
  sponsor_id text not null,
  cdmo_id text not null,
  type text not null,
  summary text not null,
  occurred_at timestamptz not null,
  recorded_at timestamptz not null,
  actor_id text not null,
  actor_name text,
  actor_organization_id text not null,
  actor_role text,
  reason text,
  data jsonb not null,
  -- The data with every correction applied so far (null while never corrected); `data` stays
  -- as recorded.
  corrected_data jsonb,
  e_signature jsonb,
  partner_signature_key_id text,
  corrects_event_id text,
  corrected_by_event_ids text[] not null default '{}'
);
create index rm_timeline_batch on rm_timeline (batch_id, position);
create index rm_timeline_deviation on rm_timeline (deviation_id, position);

-- Where the projector stands (saved in the same transaction as its writes) and what it could
-- not project in normal running.
create table rm_checkpoints (
  subscriber_id text primary key,
  position bigint not null,
  updated_at timestamptz not null default now()
);

create table rm_dead_letters (
  projector text not null,
  position bigint not null,
  event_id text not null,
  stream_id text not null,
  type text not null,
  error text not null,
  failed_at timestamptz not null default now(),
  primary key (projector, position)
);

-- The second barrier: the API reads as concord_reader with concord.organization_id set for the
-- transaction, and PostgreSQL itself hides every row of a partnership the caller is not party
-- to, even when a resolver forgets its filter. The projector writes as the owner (not subject to
-- these policies). Roles are cluster-wide, so creating it tolerates a concurrent creator.
do $$
begin
  create role concord_reader nologin;
exception
  when duplicate_object or unique_violation then null;
end
$$;
grant concord_reader to current_user;

create function rm_caller() returns text language sql stable as
  $$ select nullif(current_setting('concord.organization_id', true), '') $$;

grant select on rm_organizations, rm_people, rm_agreements, rm_batches, rm_qc_results,
  rm_deviations, rm_deviation_batches, rm_timeline to concord_reader;
grant execute on function rm_caller() to concord_reader;

alter table rm_agreements enable row level security;
create policy parties on rm_agreements for select to concord_reader
  using (rm_caller() in (sponsor_id, cdmo_id));

alter table rm_batches enable row level security;
create policy parties on rm_batches for select to concord_reader
  using (rm_caller() in (sponsor_id, cdmo_id));

alter table rm_qc_results enable row level security;
create policy parties on rm_qc_results for select to concord_reader
  using (rm_caller() in (sponsor_id, cdmo_id));

alter table rm_deviations enable row level security;
create policy parties on rm_deviations for select to concord_reader
  using (rm_caller() in (sponsor_id, cdmo_id));

alter table rm_deviation_batches enable row level security;
create policy parties on rm_deviation_batches for select to concord_reader
  using (rm_caller() in (sponsor_id, cdmo_id));

alter table rm_timeline enable row level security;
create policy parties on rm_timeline for select to concord_reader
  using (rm_caller() in (sponsor_id, cdmo_id));

-- An organization is visible to itself and to its partners under an agreement.
alter table rm_organizations enable row level security;
create policy self_and_partners on rm_organizations for select to concord_reader
  using (
    id = rm_caller()
    or exists (
      select 1 from rm_agreements a
      where (a.sponsor_id = rm_caller() and a.cdmo_id = rm_organizations.id)
         or (a.cdmo_id = rm_caller() and a.sponsor_id = rm_organizations.id)
    )
  );

-- People are visible to their own organization only (partners see printed names on signatures).
alter table rm_people enable row level security;
create policy own_people on rm_people for select to concord_reader
  using (organization_id = rm_caller());
