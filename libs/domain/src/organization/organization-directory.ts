import type { OrganizationEvent } from '../events/organization-events.ts';
import type { Id, Instant, OrganizationKind, Role } from '../shared/vocabulary.ts';

export interface SigningKey {
  keyId: string;
  publicKey: string;
  validFrom: string;
  revokedAt?: string;
}

/** An API key of a partner system, as recorded: its digest, never the key. */
export interface ApiKey {
  keyId: Id;
  systemId: Id;
  sha256: string;
  roles: readonly Role[];
  issuedAt: Instant;
  expiresAt: Instant;
  revokedAt?: Instant;
}

/** A plant, laboratory or warehouse of the organization. */
export interface Site {
  siteId: Id;
  name: string;
  country: string;
  registeredAt: Instant;
}

/** A product of the organization (a sponsor's, which agreements name). */
export interface Product {
  productId: Id;
  name: string;
  registeredAt: Instant;
}

export interface PartnerSystem {
  systemId: Id;
  name: string;
  registeredAt: Instant;
}

/**
 * What the platform knows of one organization: its keys, its people's roles, who administers
 * it, its partner systems and their API keys.
 */
export interface OrganizationDirectory {
  organizationId: string;
  name: string;
  kind: OrganizationKind;
  keys: Map<string, SigningKey>;
  people: Map<string, { printedName: string; roles: Set<Role> }>;
  /** Person id → printed name of the organization's administrators. */
  administrators: Map<Id, string>;
  systems: Map<Id, PartnerSystem>;
  /** By key id (unique within the organization). */
  apiKeys: Map<Id, ApiKey>;
  sites: Map<Id, Site>;
  products: Map<Id, Product>;
}

/** Folds an organization stream into its directory entry (undefined before registration). */
export function foldOrganization(
  events: readonly OrganizationEvent[],
): OrganizationDirectory | undefined {
  return events.reduce(evolveDirectory, undefined);
}

/**
 * One event applied to the directory: a new directory, the old one left as it was (the
 * organization decider folds with it, and a refused command must not have changed its state).
 */
export function evolveDirectory(
  directory: OrganizationDirectory | undefined,
  event: OrganizationEvent,
): OrganizationDirectory | undefined {
  if (event.type === 'concord.organization.registered.v1') {
    // A second registration never passes the decider; the seed never appends one either.
    if (directory) return directory;
    const { organizationId, name, kind } = event.data;
    return {
      organizationId,
      name,
      kind,
      keys: new Map(),
      people: new Map(),
      administrators: new Map(),
      systems: new Map(),
      apiKeys: new Map(),
      sites: new Map(),
      products: new Map(),
    };
  }
  if (!directory) return directory;
  const at = event.metadata?.time ?? '';
  switch (event.type) {
    case 'concord.organization.signing-key-registered.v1': {
      const { keyId, publicKey, validFrom } = event.data;
      return {
        ...directory,
        keys: withEntry(directory.keys, keyId, { keyId, publicKey, validFrom }),
      };
    }
    case 'concord.organization.signing-key-revoked.v1': {
      const key = directory.keys.get(event.data.keyId);
      if (!key) return directory;
      const revoked = { ...key, revokedAt: event.data.revokedAt };
      return { ...directory, keys: withEntry(directory.keys, key.keyId, revoked) };
    }
    case 'concord.organization.role-granted.v1': {
      const { personId, printedName, role } = event.data;
      const roles = new Set(directory.people.get(personId)?.roles ?? []).add(role);
      return {
        ...directory,
        people: withEntry(directory.people, personId, { printedName, roles }),
      };
    }
    case 'concord.organization.role-revoked.v1': {
      const person = directory.people.get(event.data.personId);
      if (!person) return directory;
      const roles = new Set(person.roles);
      roles.delete(event.data.role);
      const changed = { printedName: person.printedName, roles };
      return { ...directory, people: withEntry(directory.people, event.data.personId, changed) };
    }
    case 'concord.organization.administrator-appointed.v1': {
      const { personId, printedName } = event.data;
      return {
        ...directory,
        administrators: withEntry(directory.administrators, personId, printedName),
      };
    }
    case 'concord.organization.administrator-removed.v1': {
      const administrators = new Map(directory.administrators);
      administrators.delete(event.data.personId);
      return { ...directory, administrators };
    }
    case 'concord.organization.partner-system-registered.v1': {
      const { systemId, name } = event.data;
      const system = { systemId, name, registeredAt: at };
      return { ...directory, systems: withEntry(directory.systems, systemId, system) };
    }
    case 'concord.organization.site-registered.v1': {
      const { siteId, name, country } = event.data;
      const site = { siteId, name, country, registeredAt: at };
      return { ...directory, sites: withEntry(directory.sites, siteId, site) };
    }
    case 'concord.organization.product-registered.v1': {
      const { productId, name } = event.data;
      const product = { productId, name, registeredAt: at };
      return { ...directory, products: withEntry(directory.products, productId, product) };
    }
    case 'concord.organization.api-key-issued.v1': {
      const { keyId, systemId, sha256, roles, expiresAt } = event.data;
      const key: ApiKey = { keyId, systemId, sha256, roles, expiresAt, issuedAt: at };
      return { ...directory, apiKeys: withEntry(directory.apiKeys, keyId, key) };
    }
    case 'concord.organization.api-key-revoked.v1': {
      const key = directory.apiKeys.get(event.data.keyId);
      if (!key) return directory;
      const revoked = { ...key, revokedAt: event.data.revokedAt };
      return { ...directory, apiKeys: withEntry(directory.apiKeys, key.keyId, revoked) };
    }
    default: {
      const unexpected: never = event;
      throw new Error(`unexpected organization event ${(unexpected as { type: string }).type}`);
    }
  }
}

function withEntry<Key, Value>(map: ReadonlyMap<Key, Value>, key: Key, value: Value) {
  return new Map(map).set(key, value);
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

/** Why an API key is not accepted at an instant; undefined when it is. */
export type ApiKeyRefusal = 'unknown' | 'expired' | 'revoked';

/**
 * Whether the API key `keyId` is accepted at `at`: issued, not past its expiry, not revoked by
 * then. The one rule every API replica applies to a partner system's call.
 */
export function apiKeyRefusalAt(
  directory: OrganizationDirectory,
  keyId: string,
  at: Instant,
): ApiKeyRefusal | undefined {
  const key = directory.apiKeys.get(keyId);
  if (!key) return 'unknown';
  const instant = Date.parse(at);
  if (key.revokedAt !== undefined && Date.parse(key.revokedAt) <= instant) return 'revoked';
  if (Date.parse(key.expiresAt) <= instant) return 'expired';
  return undefined;
}
