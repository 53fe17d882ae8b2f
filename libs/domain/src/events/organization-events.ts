import type { CatalogueEvent } from './event.ts';

export type OrganizationRegistered = CatalogueEvent<'concord.organization.registered.v1'>;

export type SigningKeyRegistered = CatalogueEvent<'concord.organization.signing-key-registered.v1'>;

export type SigningKeyRevoked = CatalogueEvent<'concord.organization.signing-key-revoked.v1'>;

export type RoleGranted = CatalogueEvent<'concord.organization.role-granted.v1'>;

export type RoleRevoked = CatalogueEvent<'concord.organization.role-revoked.v1'>;

export type AdministratorAppointed =
  CatalogueEvent<'concord.organization.administrator-appointed.v1'>;

export type AdministratorRemoved = CatalogueEvent<'concord.organization.administrator-removed.v1'>;

export type PartnerSystemRegistered =
  CatalogueEvent<'concord.organization.partner-system-registered.v1'>;

export type ApiKeyIssued = CatalogueEvent<'concord.organization.api-key-issued.v1'>;

export type ApiKeyRevoked = CatalogueEvent<'concord.organization.api-key-revoked.v1'>;

export type SiteRegistered = CatalogueEvent<'concord.organization.site-registered.v1'>;

export type ProductRegistered = CatalogueEvent<'concord.organization.product-registered.v1'>;

export type OrganizationEvent =
  | OrganizationRegistered
  | SigningKeyRegistered
  | SigningKeyRevoked
  | RoleGranted
  | RoleRevoked
  | AdministratorAppointed
  | AdministratorRemoved
  | PartnerSystemRegistered
  | ApiKeyIssued
  | ApiKeyRevoked
  | SiteRegistered
  | ProductRegistered;
