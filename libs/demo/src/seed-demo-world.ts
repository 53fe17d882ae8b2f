import type {
  AgreementVersionApprovedV1,
  OrganizationRegisteredV1,
  OrganizationRoleGrantedV1,
  OrganizationSigningKeyRegisteredV1,
} from '@concord/contract';
import {
  ConcurrencyError,
  type EventStore,
  type JsonObject,
  type NewEvent,
} from '@concord/event-store';
import { streams } from '@concord/ingest';
import { keysOf, type DemoKeys } from './demo-keys.ts';
import { WORLD_ORGANIZATIONS, worldAgreementVersions } from '@concord/contract/world';
import { stableUuid } from './stable-ids.ts';

/** The platform's administration records these events (as partner-world does in tests). */
const ADMINISTRATION = {
  source: 'urn:concord:platform',
  actorid: 'concord-admin',
  actororg: 'concord',
} as const;

/** When the demo organizations joined the platform (fixed: a re-seed must be identical). */
const ONBOARDED_AT = '2024-12-02T09:00:00Z';

type Planned = NewEvent & { alreadyThere: (existing: ExistingStream) => boolean };

interface ExistingStream {
  ids: Set<string>;
  types: Set<string>;
  grants: Set<string>;
  keyIds: Set<string>;
  versions: Set<number>;
}

function platformEvent(
  name: string,
  type: string,
  data: object,
  time: string,
  alreadyThere: Planned['alreadyThere'],
): Planned {
  return {
    id: stableUuid(name),
    type,
    data: data as JsonObject,
    metadata: { ...ADMINISTRATION, time },
    alreadyThere,
  };
}

function organizationEvents(keys: DemoKeys): Map<string, Planned[]> {
  const byStream = new Map<string, Planned[]>();
  for (const { organizationId, name, kind, people } of WORLD_ORGANIZATIONS) {
    const registered: OrganizationRegisteredV1 = { organizationId, name, kind };
    const events: Planned[] = [
      platformEvent(
        `organization/${organizationId}/registered`,
        'concord.organization.registered.v1',
        registered,
        ONBOARDED_AT,
        // A second registration would reset the organization's directory: never append one.
        (existing) => existing.types.has('concord.organization.registered.v1'),
      ),
    ];
    const { signingKey } = keysOf(keys, organizationId);
    const key: OrganizationSigningKeyRegisteredV1 = {
      organizationId,
      keyId: signingKey.keyId,
      algorithm: 'Ed25519',
      publicKey: signingKey.publicKey,
      validFrom: signingKey.validFrom,
    };
    events.push(
      platformEvent(
        `organization/${organizationId}/signing-key/${signingKey.keyId}`,
        'concord.organization.signing-key-registered.v1',
        key,
        signingKey.validFrom,
        (existing) => existing.keyIds.has(signingKey.keyId),
      ),
    );
    for (const { personId, printedName, role } of people) {
      const granted: OrganizationRoleGrantedV1 = { organizationId, personId, printedName, role };
      events.push(
        platformEvent(
          `organization/${organizationId}/role/${personId}/${role}`,
          'concord.organization.role-granted.v1',
          granted,
          ONBOARDED_AT,
          (existing) => existing.grants.has(`${personId}/${role}`),
        ),
      );
    }
    byStream.set(streams.organization(organizationId), events);
  }
  return byStream;
}

function agreementEvents(): Map<string, Planned[]> {
  const byStream = new Map<string, Planned[]>();
  for (const version of worldAgreementVersions()) {
    const approvedAt = version.signatures
      .map((signature) => signature.signedAt)
      .sort((a, b) => Date.parse(a) - Date.parse(b))
      .at(-1)!;
    const stream = streams.agreement(version.agreementId);
    const data: AgreementVersionApprovedV1 = version;
    byStream.set(stream, [
      ...(byStream.get(stream) ?? []),
      platformEvent(
        `agreement/${version.agreementId}/v${version.version}`,
        'concord.agreement.version-approved.v1',
        data,
        approvedAt,
        (existing) => existing.versions.has(version.version),
      ),
    ]);
  }
  return byStream;
}

async function existingStream(store: EventStore, streamId: string) {
  const events = await store.readStream(streamId);
  const existing: ExistingStream = {
    ids: new Set(),
    types: new Set(),
    grants: new Set(),
    keyIds: new Set(),
    versions: new Set(),
  };
  for (const event of events) {
    existing.ids.add(event.id);
    existing.types.add(event.type);
    if (event.type === 'concord.organization.role-granted.v1')
      existing.grants.add(`${String(event.data.personId)}/${String(event.data.role)}`);
    if (event.type === 'concord.organization.signing-key-registered.v1')
      existing.keyIds.add(String(event.data.keyId));
    if (event.type === 'concord.agreement.version-approved.v1')
      existing.versions.add(Number(event.data.version));
  }
  return { version: events.length, existing };
}

/**
 * Records the demo world in the store as the platform's administration would: the four
 * organizations with their people, roles and signing keys, and the quality agreements. Safe to
 * run on every start: what is already recorded (by id, or in substance: a registration, a role
 * held, a key id, an agreement version) is not recorded again, so only a new key or a person
 * added to the demo is appended. Resolves to the number of events appended.
 */
export async function seedDemoWorld(
  store: EventStore,
  options: { keys: DemoKeys },
): Promise<{ appended: number }> {
  let appended = 0;
  const planned = [...organizationEvents(options.keys), ...agreementEvents()];
  for (const [streamId, events] of planned) {
    for (let attempt = 0; ; attempt++) {
      const { version, existing } = await existingStream(store, streamId);
      const missing = events.filter(
        (event) => !existing.ids.has(event.id) && !event.alreadyThere(existing),
      );
      if (missing.length === 0) break;
      try {
        await store.append(
          streamId,
          missing.map(({ alreadyThere: _alreadyThere, ...event }) => event),
          { expectedVersion: version === 0 ? 'no-stream' : version },
        );
        appended += missing.length;
        break;
      } catch (error) {
        // Another process seeding at the same moment: read again and append what is missing.
        if (error instanceof ConcurrencyError && attempt < 3) continue;
        throw error;
      }
    }
  }
  return { appended };
}
