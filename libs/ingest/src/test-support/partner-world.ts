// A small, realistic world for ingest tests: a sponsor and a CDMO registered on the platform,
// with signing keys, people in roles and a quality agreement, seeded straight into the store the
// way the platform's administration would record them. Partners' events are built from the
// published examples and signed with the partners' keys. On request, a second pair (the other
// sponsor and a second CDMO, under their own agreement for their own product) joins them.
import { readFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { generateSigningKey, signEvent, validateEvent } from '@concord/contract';
import type { EventStore, JsonObject } from '@concord/event-store';
import type { IncomingEvent } from '../ingest-pipeline.ts';
import { streams } from '../registry.ts';

const examples = fileURLToPath(new URL('../../../../schemas/examples/', import.meta.url));

export function example(path: string): Record<string, unknown> & { data: Record<string, unknown> } {
  return JSON.parse(readFileSync(`${examples}${path}.json`, 'utf8'));
}

export const SPONSOR = 'helvion-tx';
export const CDMO = 'northbridge-bio';
export const OTHER_SPONSOR = 'aurora-bio';
/** The second CDMO: manufactures for OTHER_SPONSOR (seeded with `{ secondPair: true }`). */
export const OTHER_CDMO = 'caldera-biologics';

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

const person = (personId: string, printedName: string, role: string): Person => ({
  personId,
  printedName,
  role,
});

/** People in roles, per organization, as seeded (the second pair's only with `secondPair`). */
const PEOPLE: Record<string, Person[]> = {
  [CDMO]: [
    person('nb-p-0212', 'Ciarán Walsh', 'production'),
    person('nb-p-0331', 'Aoife Byrne', 'qc'),
    person('nb-p-0147', 'Siobhán Murphy', 'qa'),
    person('nb-p-0409', 'Dr. Katarzyna Nowak', 'qp'),
  ],
  [SPONSOR]: [person('htx-p-0021', 'Dr. Lena Vogel', 'qa')],
  [OTHER_SPONSOR]: [person('aur-p-0001', 'Maya Lindqvist', 'qa')],
};
const SECOND_PAIR_PEOPLE: Record<string, Person[]> = {
  // Under the second agreement the sponsor's own QP certifies (an EU importer certifying a batch
  // made outside the EU), so the sponsor has a QP.
  [OTHER_SPONSOR]: [person('aur-p-0007', 'Dr. Henrik Solberg', 'qp')],
  [OTHER_CDMO]: [
    person('cal-p-0101', 'Tomás Herrera', 'production'),
    person('cal-p-0102', 'Priya Raman', 'qc'),
    person('cal-p-0103', 'Mei Tanaka', 'qa'),
  ],
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

export interface SeedOptions {
  /**
   * Also seeds OTHER_CDMO, more people at OTHER_SPONSOR and the agreement OTHER_AGREEMENT
   * between them for OTHER_PRODUCT (the QP certification assigned to the sponsor).
   * @default false
   */
  secondPair?: boolean;
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

async function platformEvent(store: EventStore, streamId: string, type: string, data: JsonObject) {
  await store.append(streamId, [{ id: randomUUID(), type, data, metadata: platformMetadata }]);
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
  const kinds: Record<string, string> = {
    [CDMO]: 'cdmo',
    [SPONSOR]: 'sponsor',
    [OTHER_SPONSOR]: 'sponsor',
    [OTHER_CDMO]: 'cdmo',
  };
  const organizations = [CDMO, SPONSOR, OTHER_SPONSOR, ...(options.secondPair ? [OTHER_CDMO] : [])];
  for (const organizationId of organizations) {
    const stream = streams.organization(organizationId);
    await platformEvent(store, stream, 'concord.organization.registered.v1', {
      organizationId,
      name: organizationId,
      kind: kinds[organizationId]!,
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
  const { reason: _reason, ...agreement } = example('agreement/version-approved.v1')
    .data as JsonObject;
  await platformEvent(
    store,
    streams.agreement(String(agreement.agreementId)),
    'concord.agreement.version-approved.v1',
    {
      ...agreement,
      version: 1,
      effectiveFrom: '2026-01-01T00:00:00Z',
    },
  );
  if (options.secondPair) {
    const sponsorQa = personIn(OTHER_SPONSOR, 'qa');
    const cdmoQa = personIn(OTHER_CDMO, 'qa');
    await platformEvent(
      store,
      streams.agreement(OTHER_AGREEMENT),
      'concord.agreement.version-approved.v1',
      {
        ...agreement,
        agreementId: OTHER_AGREEMENT,
        version: 1,
        sponsorId: OTHER_SPONSOR,
        cdmoId: OTHER_CDMO,
        products: [
          { productId: OTHER_PRODUCT, name: 'Solvarinib 25 mg film-coated tablets (AUR-310)' },
        ],
        responsibilities: (agreement.responsibilities as JsonObject[]).map((responsibility) =>
          responsibility.activity === 'qp-certification'
            ? { activity: 'qp-certification', performedBy: 'sponsor' }
            : responsibility,
        ),
        notificationDeadlinesHours: { critical: 24, major: 48, minor: 720 },
        effectiveFrom: '2026-01-01T00:00:00Z',
        signatures: [
          {
            signerId: sponsorQa.personId,
            printedName: sponsorQa.printedName,
            signedAt: '2025-12-15T10:02:00Z',
            meaning: 'approval',
            reason: 'Approved on behalf of Aurora Bio as sponsor.',
          },
          {
            signerId: cdmoQa.personId,
            printedName: cdmoQa.printedName,
            signedAt: '2025-12-15T16:40:00Z',
            meaning: 'approval',
            reason: 'Approved on behalf of Caldera Biologics as contract manufacturer.',
          },
        ],
      },
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
