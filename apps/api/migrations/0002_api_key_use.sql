-- When each stored API key (issued through administration, recorded in its organization's
-- stream) was last used: operational data for its administrators, not part of the record.
create table api_key_use (
  organization_id text not null,
  key_id text not null,
  last_used_at timestamptz not null,
  primary key (organization_id, key_id)
);
