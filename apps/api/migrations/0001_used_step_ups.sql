-- Step-up (e-signature) credentials already used to sign: each signs one act only (21 CFR
-- 11.200(a)(1): the signing components are executed for each signing). Keyed by the SHA-256 of
-- the credential; a row can be forgotten once the credential could no longer pass its age check.
create table used_step_ups (
  credential_sha256 text primary key,
  person_id text not null,
  used_at timestamptz not null default now(),
  usable_until timestamptz not null
);
create index used_step_ups_usable_until on used_step_ups (usable_until);
