import type { CatalogueEvent } from './event.ts';

export type OrganizationRegistered = CatalogueEvent<'concord.organization.registered.v1'>;

export type SigningKeyRegistered = CatalogueEvent<'concord.organization.signing-key-registered.v1'>;

export type SigningKeyRevoked = CatalogueEvent<'concord.organization.signing-key-revoked.v1'>;

export type RoleGranted = CatalogueEvent<'concord.organization.role-granted.v1'>;

export type RoleRevoked = CatalogueEvent<'concord.organization.role-revoked.v1'>;

export type OrganizationEvent =
  | OrganizationRegistered
  | SigningKeyRegistered
  | SigningKeyRevoked
  | RoleGranted
  | RoleRevoked;
