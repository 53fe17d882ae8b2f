import type { OrganizationEvent } from '../events/organization-events.ts';
import type { OrganizationKind, Role } from '../shared/vocabulary.ts';

export interface SigningKey {
  keyId: string;
  publicKey: string;
  validFrom: string;
  revokedAt?: string;
}

/** What the platform knows of one organization: its keys and its people's roles. */
export interface OrganizationDirectory {
  organizationId: string;
  name: string;
  kind: OrganizationKind;
  keys: Map<string, SigningKey>;
  people: Map<string, { printedName: string; roles: Set<Role> }>;
}

/** Folds an organization stream into its directory entry (undefined before registration). */
export function foldOrganization(
  events: readonly OrganizationEvent[],
): OrganizationDirectory | undefined {
  let directory: OrganizationDirectory | undefined;
  for (const event of events) {
    if (event.type === 'concord.organization.registered.v1') {
      directory = { ...event.data, keys: new Map(), people: new Map() };
      continue;
    }
    if (!directory) continue;
    switch (event.type) {
      case 'concord.organization.signing-key-registered.v1':
        directory.keys.set(event.data.keyId, {
          keyId: event.data.keyId,
          publicKey: event.data.publicKey,
          validFrom: event.data.validFrom,
        });
        break;
      case 'concord.organization.signing-key-revoked.v1': {
        const key = directory.keys.get(event.data.keyId);
        if (key) key.revokedAt = event.data.revokedAt;
        break;
      }
      case 'concord.organization.role-granted.v1': {
        const person = directory.people.get(event.data.personId) ?? {
          printedName: event.data.printedName,
          roles: new Set<Role>(),
        };
        person.printedName = event.data.printedName;
        person.roles.add(event.data.role);
        directory.people.set(event.data.personId, person);
        break;
      }
      case 'concord.organization.role-revoked.v1':
        directory.people.get(event.data.personId)?.roles.delete(event.data.role);
        break;
      default: {
        const unexpected: never = event;
        throw new Error(`unexpected organization event ${(unexpected as { type: string }).type}`);
      }
    }
  }
  return directory;
}

/**
 * The key that was valid at `at` (registered before it and not revoked by then): the one rule by
 * which ingest judges a partner's signature (at occurred-at and at receipt) and the audit checks
 * it again later.
 */
export function keyValidAt(
  directory: OrganizationDirectory,
  keyId: string,
  at: string,
): SigningKey | undefined {
  const key = directory.keys.get(keyId);
  if (!key) return undefined;
  const instant = Date.parse(at);
  if (Date.parse(key.validFrom) > instant) return undefined;
  if (key.revokedAt !== undefined && Date.parse(key.revokedAt) <= instant) return undefined;
  return key;
}
