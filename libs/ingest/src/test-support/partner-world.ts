// The reference world (@concord/contract/world, the demo's too) as the tests seed it: a sponsor
// and a CDMO registered on the platform, with signing keys, the people in the roles the tests
// use and their quality agreement, seeded straight into the store the way the platform's
// administration would record them. Partners' events are built from the
// published examples and signed with the partners' keys. On request, a second pair (the other
// sponsor and a second CDMO, under their own agreement for their own product) joins them.
import { readFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import {
  generateSigningKey,
  signEvent,
  validateEvent,
  type AgreementVersionApprovedV1,
  type AgreementVersionApprovedV2,
  type Role,
} from '@concord/contract';
import {
  AURORA,
  CALDERA,
  HELVION,
  NORTHBRIDGE,
  worldAgreementVersions,
  worldOrganization,
  worldPerson,
} from '@concord/contract/world';
import type { EventStore, JsonObject } from '@concord/event-store';
import type { IncomingEvent } from '../ingest-pipeline.ts';
import { streams } from '../registry.ts';

const examples = fileURLToPath(new URL('../../../../schemas/examples/', import.meta.url));

export function example(path: string): Record<string, unknown> & { data: Record<string, unknown> } {
  return JSON.parse(readFileSync(`${examples}${path}.json`, 'utf8'));
}

export const SPONSOR = HELVION;
export const CDMO = NORTHBRIDGE;
export const OTHER_SPONSOR = AURORA;
/** The second CDMO: manufactures for OTHER_SPONSOR (seeded with `{ secondPair: true }`). */
export const OTHER_CDMO = CALDERA;

/** The first pair's agreement and product (those of the published examples). */
export const AGREEMENT = 'qa-htx-nb-2026';
export const PRODUCT = 'prd-hlv-201';
/** The second pair's agreement and product. */
export const OTHER_AGREEMENT = 'qa-aur-cal-2026';
export const OTHER_PRODUCT = 'prd-aur-310';

export interface Person {
  personId: string;
  printedName: string;
  role: string;
}

/** The people of the reference world an organization's tests need, by role. */
const people = (organizationId: string, roles: readonly Role[]): Person[] =>
  roles.map((role) => worldPerson(organizationId, role));

/** People in roles, per organization, as seeded (the second pair's only with `secondPair`). */
const PEOPLE: Record<string, Person[]> = {
  [CDMO]: people(CDMO, ['production', 'qc', 'qa', 'qp']),
  [SPONSOR]: people(SPONSOR, ['qa']),
  [OTHER_SPONSOR]: people(OTHER_SPONSOR, ['qa']),
};
const SECOND_PAIR_PEOPLE: Record<string, Person[]> = {
  // Under the second agreement the sponsor's own QP certifies (an EU importer certifying a batch
  // made outside the EU), so the sponsor has a QP.
  [OTHER_SPONSOR]: people(OTHER_SPONSOR, ['qp']),
  [OTHER_CDMO]: people(OTHER_CDMO, ['production', 'qc', 'qa']),
};

/** The first person of an organization holding a role (second pair included). */
export function personIn(organizationId: string, role: string): Person {
  const found = [
    ...(PEOPLE[organizationId] ?? []),
    ...(SECOND_PAIR_PEOPLE[organizationId] ?? []),
  ].find((candidate) => candidate.role === role);
  if (!found) throw new Error(`nobody at ${organizationId} holds the role ${role}`);
  return found;
}

/**
 * An agreement of the reference world as the tests hold it: its current terms, as one version in
 * force from the start of 2026, so every instant a test uses falls under the same terms.
 */
function agreementForTests(agreementId: string): AgreementVersionApprovedV1 {
  const versions = worldAgreementVersions().filter((v) => v.agreementId === agreementId);
  const { reason: _reason, ...current } = versions.at(-1)!;
  return { ...current, version: 1, effectiveFrom: '2026-01-01T00:00:00Z' };
}

export interface SeedOptions {
  /**
   * Also seeds OTHER_CDMO, more people at OTHER_SPONSOR and the agreement OTHER_AGREEMENT
   * between them for OTHER_PRODUCT (the QP certification assigned to the sponsor).
   * @default false
   */
  secondPair?: boolean;
  /**
   * The first pair's agreement sets these deviation due days (recorded as a v2 version): its
   * deviations then get due dates, and the deadline process warns of them.
   * @default none (a v1 version)
   */
  deviationDueDays?: AgreementVersionApprovedV2['deviationDueDays'];
}

const platformMetadata = {
  actorid: 'concord-admin',
  actororg: 'concord',
  time: '2026-01-05T09:00:00Z',
};

export interface PartnerWorld {
  keys: Record<string, { keyId: string; privateKeyPem: string; publicKey: string }>;
  /** A partner's event from an example, with overrides, a fresh id and a valid signature. */
  partnerEvent(
    organizationId: string,
    examplePath: string,
    overrides?: Record<string, unknown>,
    dataOverrides?: Record<string, unknown>,
  ): Record<string, unknown>;
  /** The same, as ingest receives it: validated, on the organization's channel. */
  incoming(event: Record<string, unknown>, channel?: string): IncomingEvent;
}

// Event data is any JSON object of the contract (its generated types have optional members).
async function platformEvent(store: EventStore, streamId: string, type: string, data: object) {
  await store.append(streamId, [
    { id: randomUUID(), type, data: data as JsonObject, metadata: platformMetadata },
  ]);
}

export async function seedPartnerWorld(
  store: EventStore,
  options: SeedOptions = {},
): Promise<PartnerWorld> {
  const keys: PartnerWorld['keys'] = {};
  const people: Record<string, Person[]> = Object.fromEntries(
    Object.entries(PEOPLE).map(([organizationId, list]) => [
      organizationId,
      [...list, ...(options.secondPair ? (SECOND_PAIR_PEOPLE[organizationId] ?? []) : [])],
    ]),
  );
  if (options.secondPair) people[OTHER_CDMO] = SECOND_PAIR_PEOPLE[OTHER_CDMO]!;
  const organizations = [CDMO, SPONSOR, OTHER_SPONSOR, ...(options.secondPair ? [OTHER_CDMO] : [])];
  for (const organizationId of organizations) {
    const stream = streams.organization(organizationId);
    const { name, kind } = worldOrganization(organizationId);
    await platformEvent(store, stream, 'concord.organization.registered.v1', {
      organizationId,
      name,
      kind,
    });
    const key = { keyId: `${organizationId}:2026-01`, ...generateSigningKey() };
    keys[organizationId] = key;
    await platformEvent(store, stream, 'concord.organization.signing-key-registered.v1', {
      organizationId,
      keyId: key.keyId,
      algorithm: 'Ed25519',
      publicKey: key.publicKey,
      validFrom: '2026-01-01T00:00:00Z',
    });
    for (const { personId, printedName, role } of people[organizationId]!) {
      await platformEvent(store, stream, 'concord.organization.role-granted.v1', {
        organizationId,
        personId,
        printedName,
        role,
      });
    }
  }
  for (const agreementId of [AGREEMENT, ...(options.secondPair ? [OTHER_AGREEMENT] : [])]) {
    const dueDays = agreementId === AGREEMENT ? options.deviationDueDays : undefined;
    await platformEvent(
      store,
      streams.agreement(agreementId),
      dueDays ? 'concord.agreement.version-approved.v2' : 'concord.agreement.version-approved.v1',
      { ...agreementForTests(agreementId), ...(dueDays ? { deviationDueDays: dueDays } : {}) },
    );
  }

  return {
    keys,
    partnerEvent(organizationId, examplePath, overrides = {}, dataOverrides = {}) {
      const base = example(examplePath);
      const { signature: _s, signaturekeyid: _k, ...unsigned } = base;
      // Concord's sender rule: a partner's sources are urn:concord:<org>:<system>.
      const source = String(unsigned.source).startsWith(`urn:concord:${organizationId}:`)
        ? unsigned.source
        : `urn:concord:${organizationId}:qms`;
      const event = {
        ...unsigned,
        source,
        id: randomUUID(),
        ...overrides,
        data: { ...base.data, ...dataOverrides },
      };
      return signEvent(event, keys[organizationId]!);
    },
    incoming(event, channel) {
      return {
        channelOrganizationId: channel ?? String(event.actororg),
        decoded: validateEvent(event),
      };
    },
  };
}

/**
 * The example path of step `step` of a long batch lifecycle for load and crash runs: scheduled,
 * started, then held and resumed in turn, for as long as the run needs (every step is accepted).
 */
export function holdResumePath(step: number): string {
  if (step === 0) return 'batch/scheduled.v1';
  if (step === 1) return 'batch/manufacturing-started.v1';
  return step % 2 === 0 ? 'batch/manufacturing-held.v1' : 'batch/manufacturing-resumed.v1';
}
