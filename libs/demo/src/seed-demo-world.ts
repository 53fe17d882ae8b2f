import {
  ADMINISTRATION_SOURCE,
  agreementDecider,
  isDomainError,
  organizationDecider,
  platformActor,
  type Actor,
  type AgreementCommand,
  type CommandMetadata,
  type DomainErrorCode,
  type OrganizationCommand,
  type Signatories,
} from '@concord/domain';
import type { EventStore } from '@concord/event-store';
import { decideStreamCommands, streams, type StreamCommandResult } from '@concord/ingest';
import { WORLD_ORGANIZATIONS, worldAgreementVersions } from '@concord/contract/world';
import { keysOf, type DemoKeys } from './demo-keys.ts';
import { stableUuid } from './stable-ids.ts';

/** When the demo organizations joined the platform (fixed: a re-seed must be identical). */
const ONBOARDED_AT = '2024-12-02T09:00:00Z';

/** Why the demo's administrative acts were done: recorded with each, as any administrator's. */
const REASON = 'Demo world onboarding';

/**
 * Refusals that mean "already recorded" (by an earlier seed, perhaps under other ids): the seed
 * runs on every start and records only what is missing.
 */
const ALREADY_THERE = new Set<DomainErrorCode>([
  'organization.already-registered',
  'organization.already-administrator',
  'organization.role-already-held',
  'organization.signing-key-exists',
  'agreement.version-out-of-sequence',
]);

function metadata(name: string, actor: Actor, at: string): CommandMetadata {
  return {
    eventId: stableUuid(name),
    source: ADMINISTRATION_SOURCE,
    actor,
    occurredAt: at,
    recordedAt: at,
  };
}

/**
 * Each demo organization, administered as any is: the platform registers it and appoints its QA
 * as its administrator, who grants its people their roles and registers its signing key with an
 * e-signature (the demo's stand-in for the ceremony the API runs).
 */
function organizationCommands(keys: DemoKeys): Map<string, OrganizationCommand[]> {
  const byStream = new Map<string, OrganizationCommand[]>();
  for (const { organizationId, name, kind, people } of WORLD_ORGANIZATIONS) {
    const admin = people.find((person) => person.role === 'qa') ?? people[0]!;
    const adminActor: Actor = { personId: admin.personId, organizationId, roles: [] };
    const commands: OrganizationCommand[] = [
      {
        type: 'concord.organization.registered.v1',
        data: { organizationId, name, kind },
        metadata: metadata(
          `organization/${organizationId}/registered`,
          platformActor,
          ONBOARDED_AT,
        ),
        context: {},
      },
      {
        type: 'concord.organization.administrator-appointed.v1',
        data: { organizationId, personId: admin.personId, printedName: admin.printedName },
        metadata: metadata(
          `organization/${organizationId}/administrator/${admin.personId}`,
          platformActor,
          ONBOARDED_AT,
        ),
        context: {},
      },
      ...people.map(
        ({ personId, printedName, role }): OrganizationCommand => ({
          type: 'concord.organization.role-granted.v1',
          data: { organizationId, personId, printedName, role },
          metadata: metadata(
            `organization/${organizationId}/role/${personId}/${role}`,
            adminActor,
            ONBOARDED_AT,
          ),
          context: {},
        }),
      ),
    ];
    const { signingKey } = keysOf(keys, organizationId);
    commands.push({
      type: 'concord.organization.signing-key-registered.v1',
      data: {
        organizationId,
        keyId: signingKey.keyId,
        algorithm: 'Ed25519',
        publicKey: signingKey.publicKey,
        validFrom: signingKey.validFrom,
      },
      metadata: metadata(
        `organization/${organizationId}/signing-key/${signingKey.keyId}`,
        adminActor,
        signingKey.validFrom,
      ),
      context: {
        proof: {
          method: 'administrator-signature',
          signature: {
            signerId: admin.personId,
            printedName: admin.printedName,
            signedAt: signingKey.validFrom,
            meaning: 'approval',
            reason: REASON,
          },
        },
      },
    });
    byStream.set(streams.organization(organizationId), commands);
  }
  return byStream;
}

/** The people who sign the world's agreements, as their organizations registered them. */
function worldSignatories(): Signatories {
  const signatories: Record<string, Signatories[string]> = {};
  for (const { organizationId, people } of WORLD_ORGANIZATIONS)
    for (const { personId, role } of people) {
      const roles = [...(signatories[personId]?.roles ?? []), role];
      signatories[personId] = { organizationId, roles };
    }
  return signatories;
}

/** Each agreement version, approved with both parties' signatures. */
function agreementCommands(): Map<string, AgreementCommand[]> {
  const byStream = new Map<string, AgreementCommand[]>();
  const signatories = worldSignatories();
  for (const version of worldAgreementVersions()) {
    const approvedAt = version.signatures
      .map((signature) => signature.signedAt)
      .sort((a, b) => Date.parse(a) - Date.parse(b))
      .at(-1)!;
    const stream = streams.agreement(version.agreementId);
    byStream.set(stream, [
      ...(byStream.get(stream) ?? []),
      {
        type: 'concord.agreement.version-approved.v1',
        data: version,
        metadata: metadata(
          `agreement/${version.agreementId}/v${version.version}`,
          platformActor,
          approvedAt,
        ),
        context: { signatories },
      },
    ]);
  }
  return byStream;
}

/** How many of `results` were recorded now; throws on a refusal other than "already there". */
function recordedNow(results: readonly StreamCommandResult[]): number {
  let recorded = 0;
  for (const result of results) {
    if (result.status === 'recorded') recorded += result.ids.length;
    if (result.status !== 'refused') continue;
    if (isDomainError(result.error) && ALREADY_THERE.has(result.error.code)) continue;
    throw result.error;
  }
  return recorded;
}

/**
 * Records the demo world through the platform's deciders, as its administration would: the
 * four organizations with their administrators, people, roles and signing keys, and the quality
 * agreements signed by both parties. Safe to run on every start: what is already recorded (the
 * same event, or the same fact) is refused as such and skipped, so only a new key or a person
 * added to the demo is appended. Resolves to the number of events appended.
 */
export async function seedDemoWorld(
  store: EventStore,
  options: { keys: DemoKeys },
): Promise<{ appended: number }> {
  let appended = 0;
  for (const [streamId, commands] of organizationCommands(options.keys))
    appended += recordedNow(
      await decideStreamCommands({
        store,
        streamId,
        decider: organizationDecider,
        commands: commands.map((command) => ({
          eventId: command.metadata.eventId,
          command,
          extraMetadata: { reason: REASON },
        })),
      }),
    );
  for (const [streamId, commands] of agreementCommands())
    appended += recordedNow(
      await decideStreamCommands({
        store,
        streamId,
        decider: agreementDecider,
        commands: commands.map((command) => ({ eventId: command.metadata.eventId, command })),
      }),
    );
  return { appended };
}
