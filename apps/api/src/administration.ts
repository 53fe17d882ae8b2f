import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { AuthenticationError, type ApiKeyRecord, type Caller } from '@concord/auth';
import {
  apiKeyRefusalAt,
  mayAdminister,
  organizationDecider,
  PLATFORM_ORGANIZATION_ID,
  type CommandMetadata,
  type OrganizationCommand,
  type OrganizationDirectory,
  type OrganizationKind,
  type Role,
} from '@concord/domain';
import type { EventStore } from '@concord/event-store';
import { decideStreamCommands, Registry, storedEventId, streams } from '@concord/ingest';
import type { SqlDatabase } from '@concord/sql';
import { ActRefusedError } from './human-acts.ts';

/** The role, held at the platform organization, of the platform's own staff. */
export const OPERATOR_ROLE = 'operator';

/** An administrative act: what is asked, and about which organization. */
export type AdministrativeAct =
  | {
      kind: 'register-organization';
      organizationId: string;
      name: string;
      organizationKind: OrganizationKind;
    }
  | { kind: 'appoint-administrator'; organizationId: string; personId: string; printedName: string }
  | { kind: 'remove-administrator'; organizationId: string; personId: string }
  | {
      kind: 'grant-role';
      organizationId: string;
      personId: string;
      printedName: string;
      role: Role;
    }
  | { kind: 'revoke-role'; organizationId: string; personId: string; role: Role }
  | { kind: 'register-partner-system'; organizationId: string; systemId: string; name: string }
  | {
      kind: 'issue-api-key';
      organizationId: string;
      systemId: string;
      roles: Role[];
      expiresAt: string;
    }
  | {
      kind: 'revoke-api-key';
      organizationId: string;
      systemId: string;
      keyId: string;
      /** @default now */
      revokedAt?: string;
    };

export interface RecordedAdministration {
  eventId: string;
  streamId: string;
  position: bigint;
  recordedAt: string;
  /** Only for an issued API key: the key itself, which is shown this once and stored nowhere. */
  apiKey?: { keyId: string; key: string; expiresAt: string };
}

/**
 * Stored API keys read `ck1.<organization, base64url>.<key id>.<secret>`: the key names whose it
 * is, so checking it reads that one organization's stream (the source of truth: a revocation
 * holds from the instant it is recorded, in every replica).
 */
const API_KEY_PREFIX = 'ck1';

function newApiKey(organizationId: string) {
  const keyId = `k-${randomBytes(8).toString('hex')}`;
  const org = Buffer.from(organizationId).toString('base64url');
  const key = `${API_KEY_PREFIX}.${org}.${keyId}.${randomBytes(32).toString('base64url')}`;
  return { keyId, key, sha256: sha256Hex(key) };
}

const sha256Hex = (value: string) => createHash('sha256').update(value).digest('hex');

function parseApiKey(key: string): { organizationId: string; keyId: string } | undefined {
  const parts = key.split('.');
  if (parts.length !== 4 || parts[0] !== API_KEY_PREFIX) return undefined;
  const organizationId = Buffer.from(parts[1]!, 'base64url').toString('utf8');
  return organizationId && parts[2] ? { organizationId, keyId: parts[2] } : undefined;
}

/**
 * Organizations, their administrators, people, partner systems and API keys, administered
 * through the organization decider like every other record: who acts is the caller (a platform
 * operator, or an administrator the organization's stream names), why is the reason they give,
 * recorded with the act, and the platform's store signs what is recorded.
 */
export class Administration {
  readonly #store: EventStore;
  readonly #registry: Registry;
  readonly #clock: () => Date;
  readonly #usage: ApiKeyUsage | undefined;

  constructor(options: { store: EventStore; clock?: () => Date; db?: SqlDatabase }) {
    this.#store = options.store;
    this.#registry = new Registry(options.store);
    this.#clock = options.clock ?? (() => new Date());
    this.#usage = options.db ? new ApiKeyUsage(options.db) : undefined;
  }

  async perform(
    caller: Caller,
    act: AdministrativeAct,
    reason: string,
  ): Promise<RecordedAdministration> {
    if (reason.trim() === '')
      throw new ActRefusedError('administration.reason-required', 'State why.');
    const actor = actorOf(caller);
    const now = this.#clock().toISOString();
    const eventId = storedEventId(
      ADMINISTRATION_SOURCE,
      `${now}:${randomBytes(8).toString('hex')}`,
    );
    const metadata: CommandMetadata = {
      eventId,
      source: ADMINISTRATION_SOURCE,
      actor,
      occurredAt: now,
      recordedAt: now,
    };
    const issued = act.kind === 'issue-api-key' ? newApiKey(act.organizationId) : undefined;
    const command = {
      ...commandOf(act, reason.trim(), now, issued),
      metadata,
      context: {},
    } as OrganizationCommand;
    const streamId = streams.organization(act.organizationId);
    const [result] = await decideStreamCommands({
      store: this.#store,
      streamId,
      decider: organizationDecider,
      // Why, recorded with the act (and covered by the platform's signature of it).
      commands: [{ eventId, command, extraMetadata: { reason: reason.trim() } }],
    });
    if (!result || result.status === 'refused') throw result?.error ?? new Error('not recorded');
    if (result.status === 'duplicate') throw new Error('an administrative act was recorded twice');
    return {
      eventId,
      streamId,
      position: result.positions[0]!,
      recordedAt: now,
      ...(issued && act.kind === 'issue-api-key'
        ? { apiKey: { keyId: issued.keyId, key: issued.key, expiresAt: act.expiresAt } }
        : {}),
    };
  }

  /**
   * The organization as its administration sees it, for an operator or one of its
   * administrators; undefined otherwise, exactly as for an organization that does not exist.
   */
  async organization(caller: Caller, organizationId: string) {
    let actor;
    try {
      actor = actorOf(caller);
    } catch {
      return undefined;
    }
    const directory = await this.#registry.organization(organizationId);
    const probe = { eventId: 'read', actor, occurredAt: '', recordedAt: '' };
    if (!directory || !mayAdminister(probe, directory)) return undefined;
    const lastUse = (await this.#usage?.lastUse(organizationId)) ?? new Map<string, Date>();
    return { directory, lastUse, now: this.#clock().toISOString() };
  }

  /**
   * The partner system a stored API key belongs to, if the key is one and is accepted now;
   * undefined for a key of another form (the authenticator's static keys may know it).
   */
  async findApiKey(key: string): Promise<ApiKeyRecord | undefined> {
    const named = parseApiKey(key);
    if (!named) return undefined;
    const refused = () => new AuthenticationError('The API key is not known.');
    const directory = await this.#registry.organization(named.organizationId);
    const stored = directory?.apiKeys.get(named.keyId);
    if (!directory || !stored) throw refused();
    const given = Buffer.from(sha256Hex(key), 'hex');
    if (!timingSafeEqual(given, Buffer.from(stored.sha256, 'hex'))) throw refused();
    // Only whoever holds the whole key learns that it has expired or was revoked.
    const now = this.#clock();
    const refusal = apiKeyRefusalAt(directory, named.keyId, now.toISOString());
    if (refusal === 'revoked')
      throw new AuthenticationError(`The API key was revoked as of ${stored.revokedAt}.`);
    if (refusal === 'expired')
      throw new AuthenticationError(`The API key expired at ${stored.expiresAt}.`);
    if (refusal) throw refused();
    this.#usage?.used(named.organizationId, named.keyId, now);
    return {
      sha256: stored.sha256,
      organizationId: directory.organizationId,
      systemId: stored.systemId,
      roles: [...stored.roles],
    };
  }
}

export type AdministeredOrganization = NonNullable<
  Awaited<ReturnType<Administration['organization']>>
>;

/** The source of every administrative act recorded through the API or the CLI. */
const ADMINISTRATION_SOURCE = 'urn:concord:platform:administration';

/**
 * Who acts: a person (a system administers nothing). An operator acts for the platform; anyone
 * else for their own organization, where the decider checks they administer it.
 */
function actorOf(caller: Caller): CommandMetadata['actor'] {
  if (caller.kind !== 'person')
    throw new ActRefusedError(
      'act.person-required',
      'Only a person administers; partner systems cannot.',
    );
  if (caller.organizationId === PLATFORM_ORGANIZATION_ID && !caller.roles.includes(OPERATOR_ROLE))
    throw new ActRefusedError(
      'administration.operator-required',
      `Platform staff administer with the ${OPERATOR_ROLE} role.`,
    );
  return {
    personId: caller.personId,
    organizationId: caller.organizationId,
    roles: [],
    ...(caller.name ? { printedName: caller.name } : {}),
  };
}

function commandOf(
  act: AdministrativeAct,
  reason: string,
  now: string,
  issued: ReturnType<typeof newApiKey> | undefined,
): Pick<OrganizationCommand, 'type' | 'data'> {
  const { organizationId } = act;
  switch (act.kind) {
    case 'register-organization':
      return {
        type: 'concord.organization.registered.v1',
        data: { organizationId, name: act.name, kind: act.organizationKind },
      };
    case 'appoint-administrator':
      return {
        type: 'concord.organization.administrator-appointed.v1',
        data: { organizationId, personId: act.personId, printedName: act.printedName },
      };
    case 'remove-administrator':
      return {
        type: 'concord.organization.administrator-removed.v1',
        data: { organizationId, personId: act.personId, reason },
      };
    case 'grant-role':
      return {
        type: 'concord.organization.role-granted.v1',
        data: {
          organizationId,
          personId: act.personId,
          printedName: act.printedName,
          role: act.role,
        },
      };
    case 'revoke-role':
      return {
        type: 'concord.organization.role-revoked.v1',
        data: { organizationId, personId: act.personId, role: act.role, reason },
      };
    case 'register-partner-system':
      return {
        type: 'concord.organization.partner-system-registered.v1',
        data: { organizationId, systemId: act.systemId, name: act.name },
      };
    case 'issue-api-key':
      return {
        type: 'concord.organization.api-key-issued.v1',
        data: {
          organizationId,
          systemId: act.systemId,
          keyId: issued!.keyId,
          sha256: issued!.sha256,
          roles: [...new Set(act.roles)],
          expiresAt: act.expiresAt,
        },
      };
    case 'revoke-api-key':
      return {
        type: 'concord.organization.api-key-revoked.v1',
        data: {
          organizationId,
          systemId: act.systemId,
          keyId: act.keyId,
          revokedAt: act.revokedAt ?? now,
          reason,
        },
      };
  }
}

/**
 * When each stored API key was last used, in the platform's SQL database: operational data, not
 * a record (it is not in the event store). Written at most once a minute per key and process,
 * and never in the way of the request that used the key.
 */
class ApiKeyUsage {
  readonly #db: SqlDatabase;
  readonly #written = new Map<string, number>();

  constructor(db: SqlDatabase) {
    this.#db = db;
  }

  used(organizationId: string, keyId: string, at: Date): void {
    const name = `${organizationId}/${keyId}`;
    if (at.getTime() - (this.#written.get(name) ?? 0) < 60_000) return;
    this.#written.set(name, at.getTime());
    this.#db
      .query(
        `insert into api_key_use (organization_id, key_id, last_used_at) values ($1, $2, $3)
         on conflict (organization_id, key_id)
         do update set last_used_at = greatest(api_key_use.last_used_at, excluded.last_used_at)`,
        [organizationId, keyId, at.toISOString()],
      )
      .catch(() => this.#written.delete(name));
  }

  async lastUse(organizationId: string): Promise<Map<string, Date>> {
    const { rows } = await this.#db.query<{ key_id: string; last_used_at: Date | string }>(
      'select key_id, last_used_at from api_key_use where organization_id = $1',
      [organizationId],
    );
    return new Map(rows.map((row) => [row.key_id, new Date(row.last_used_at)]));
  }
}

export type { OrganizationDirectory };
