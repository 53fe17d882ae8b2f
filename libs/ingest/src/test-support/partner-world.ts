// A small, realistic world for ingest tests: a sponsor and a CDMO registered on the platform,
// with signing keys, people in roles and a quality agreement, seeded straight into the store the
// way the platform's administration would record them. Partners' events are built from the
// published examples and signed with the partners' keys.
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

export async function seedPartnerWorld(store: EventStore): Promise<PartnerWorld> {
  const keys: PartnerWorld['keys'] = {};
  const people: Record<string, [string, string, string][]> = {
    [CDMO]: [
      ['nb-p-0212', 'Ciarán Walsh', 'production'],
      ['nb-p-0331', 'Aoife Byrne', 'qc'],
      ['nb-p-0147', 'Siobhán Murphy', 'qa'],
      ['nb-p-0409', 'Dr. Declan Ryan', 'qp'],
    ],
    [SPONSOR]: [['htx-p-0021', 'Dr. Lena Vogel', 'qa']],
    [OTHER_SPONSOR]: [['aur-p-0001', 'Maya Lindqvist', 'qa']],
  };
  const kinds: Record<string, string> = {
    [CDMO]: 'cdmo',
    [SPONSOR]: 'sponsor',
    [OTHER_SPONSOR]: 'sponsor',
  };
  for (const organizationId of [CDMO, SPONSOR, OTHER_SPONSOR]) {
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
    for (const [personId, printedName, role] of people[organizationId]!) {
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
