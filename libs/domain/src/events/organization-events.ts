import type { Id, Instant, OrganizationKind, Role } from '../shared/vocabulary.ts';
import type { Event } from './event.ts';

export type OrganizationRegistered = Event<
  'concord.organization.registered.v1',
  { organizationId: Id; name: string; kind: OrganizationKind }
>;

export type SigningKeyRegistered = Event<
  'concord.organization.signing-key-registered.v1',
  { organizationId: Id; keyId: Id; algorithm: 'Ed25519'; publicKey: string; validFrom: Instant }
>;

export type SigningKeyRevoked = Event<
  'concord.organization.signing-key-revoked.v1',
  { organizationId: Id; keyId: Id; revokedAt: Instant; reason: string }
>;

export type RoleGranted = Event<
  'concord.organization.role-granted.v1',
  { organizationId: Id; personId: Id; printedName: string; role: Role }
>;

export type RoleRevoked = Event<
  'concord.organization.role-revoked.v1',
  { organizationId: Id; personId: Id; role: Role; reason: string }
>;

export type OrganizationEvent =
  | OrganizationRegistered
  | SigningKeyRegistered
  | SigningKeyRevoked
  | RoleGranted
  | RoleRevoked;
