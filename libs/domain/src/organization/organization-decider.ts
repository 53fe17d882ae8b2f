import type {
  OrganizationEvent,
  SigningKeyRegistered,
  SigningKeyRevoked,
} from '../events/organization-events.ts';
import {
  eventMetadata,
  PLATFORM_ORGANIZATION_ID,
  type CommandMetadata,
  type RecordEvent,
} from '../shared/command.ts';
import type { Decider } from '../shared/decider.ts';
import { DomainError, unsupported, type DomainErrorCode } from '../shared/domain-error.ts';
import { toMillis } from '../shared/time.ts';
import { assertRegisteredPrintedName } from '../shared/signature.ts';
import { DEFAULT_CLOCK_TOLERANCE_MS } from '../shared/time.ts';
import type { ElectronicSignature, Id } from '../shared/vocabulary.ts';
import {
  evolveDirectory,
  keyValidAt,
  type OrganizationDirectory,
} from './organization-directory.ts';

type Administer<Type extends OrganizationEvent['type']> = RecordEvent<
  Extract<OrganizationEvent, { type: Type }>,
  Record<string, never>
>;

/**
 * How the organization proved a change to its signing keys, as established before deciding (the
 * domain does no cryptography): the request was signed with a key it holds (`held-key`, the
 * signature verified against that key's public half), or one of its administrators approved it
 * with an e-signature (`administrator-signature`, the credential re-entered and checked).
 */
export type SigningKeyProof =
  | { method: 'held-key'; keyId: Id }
  | { method: 'administrator-signature'; signature: ElectronicSignature };

export type RegisterSigningKey = RecordEvent<SigningKeyRegistered, { proof: SigningKeyProof }>;
export type RevokeSigningKey = RecordEvent<SigningKeyRevoked, { proof: SigningKeyProof }>;

/**
 * What an organization's administration records: the organization, its administrators, people
 * and roles, partner systems and API keys, and its signing keys (each change proven by the
 * organization itself).
 */
export type OrganizationCommand =
  | Administer<'concord.organization.registered.v1'>
  | Administer<'concord.organization.administrator-appointed.v1'>
  | Administer<'concord.organization.administrator-removed.v1'>
  | Administer<'concord.organization.role-granted.v1'>
  | Administer<'concord.organization.role-revoked.v1'>
  | Administer<'concord.organization.partner-system-registered.v1'>
  | Administer<'concord.organization.site-registered.v1'>
  | Administer<'concord.organization.product-registered.v1'>
  | Administer<'concord.organization.api-key-issued.v1'>
  | Administer<'concord.organization.api-key-revoked.v1'>
  | RegisterSigningKey
  | RevokeSigningKey;

export type OrganizationState = OrganizationDirectory | undefined;

/** The longest an API key may live: a partner system's key is rotated at least yearly. */
export const API_KEY_MAX_LIFETIME_MS = 366 * 24 * 60 * 60_000;

/**
 * Who may administer an organization: the platform's operators (actors of the platform
 * organization; the API gives that identity only to its operator role), and the administrators
 * the organization has, as recorded in its own stream, acting for it.
 */
export function mayAdminister(metadata: CommandMetadata, state: OrganizationState): boolean {
  const { actor } = metadata;
  if (actor.organizationId === PLATFORM_ORGANIZATION_ID) return true;
  return (
    state !== undefined &&
    actor.organizationId === state.organizationId &&
    state.administrators.has(actor.personId)
  );
}

function checkAdministers(command: OrganizationCommand, state: OrganizationState): void {
  if (mayAdminister(command.metadata, state)) return;
  const { actor } = command.metadata;
  throw new DomainError(
    'authorization.not-administrator',
    `${actor.personId} does not administer ${command.data.organizationId}.`,
    { personId: actor.personId, organizationId: command.data.organizationId },
  );
}

function registered(command: OrganizationCommand, state: OrganizationState): OrganizationDirectory {
  if (state === undefined)
    throw new DomainError(
      'organization.not-registered',
      `Organization ${command.data.organizationId} is not registered.`,
      { organizationId: command.data.organizationId },
    );
  if (command.data.organizationId !== state.organizationId)
    throw new DomainError(
      'command.subject-mismatch',
      `The command is about ${command.data.organizationId}, the stream is ${state.organizationId}'s.`,
    );
  return state;
}

function refuse(code: DomainErrorCode, message: string, details?: Record<string, unknown>): never {
  throw new DomainError(code, message, details);
}

function decideOne(command: OrganizationCommand, state: OrganizationState): OrganizationEvent {
  if (command.type === 'concord.organization.registered.v1') {
    if (command.metadata.actor.organizationId !== PLATFORM_ORGANIZATION_ID)
      refuse(
        'authorization.not-administrator',
        'Only the platform operators register organizations.',
      );
    if (state !== undefined)
      refuse(
        'organization.already-registered',
        `Organization ${state.organizationId} is already registered.`,
      );
    return { type: command.type, data: command.data, metadata: eventMetadata(command.metadata) };
  }
  if (
    command.type === 'concord.organization.signing-key-registered.v1' ||
    command.type === 'concord.organization.signing-key-revoked.v1'
  )
    return decideSigningKey(command, registered(command, state));
  checkAdministers(command, state);
  const directory = registered(command, state);
  const event = {
    type: command.type,
    data: command.data,
    metadata: eventMetadata(command.metadata),
  };
  switch (command.type) {
    case 'concord.organization.administrator-appointed.v1':
      if (directory.administrators.has(command.data.personId))
        refuse(
          'organization.already-administrator',
          `${command.data.personId} already administers ${directory.organizationId}.`,
        );
      break;
    case 'concord.organization.administrator-removed.v1':
      if (!directory.administrators.has(command.data.personId))
        refuse(
          'organization.not-administrator',
          `${command.data.personId} does not administer ${directory.organizationId}.`,
        );
      // An organization keeps someone who can administer it; only the platform may leave it none.
      if (
        directory.administrators.size === 1 &&
        command.metadata.actor.organizationId !== PLATFORM_ORGANIZATION_ID
      )
        refuse(
          'organization.last-administrator',
          `${command.data.personId} is the last administrator of ${directory.organizationId}; appoint another first.`,
        );
      break;
    case 'concord.organization.role-granted.v1':
      if (directory.people.get(command.data.personId)?.roles.has(command.data.role))
        refuse(
          'organization.role-already-held',
          `${command.data.personId} already holds ${command.data.role} at ${directory.organizationId}.`,
        );
      break;
    case 'concord.organization.role-revoked.v1':
      if (!directory.people.get(command.data.personId)?.roles.has(command.data.role))
        refuse(
          'organization.role-not-held',
          `${command.data.personId} does not hold ${command.data.role} at ${directory.organizationId}.`,
        );
      break;
    case 'concord.organization.partner-system-registered.v1':
      if (directory.systems.has(command.data.systemId))
        refuse(
          'organization.system-already-registered',
          `${directory.organizationId} already has a system ${command.data.systemId}.`,
        );
      break;
    case 'concord.organization.site-registered.v1':
      if (directory.sites.has(command.data.siteId))
        refuse(
          'organization.site-already-registered',
          `${directory.organizationId} already has a site ${command.data.siteId}.`,
        );
      break;
    case 'concord.organization.product-registered.v1':
      if (directory.products.has(command.data.productId))
        refuse(
          'organization.product-already-registered',
          `${directory.organizationId} already has a product ${command.data.productId}.`,
        );
      break;
    case 'concord.organization.api-key-issued.v1': {
      const { systemId, keyId, expiresAt } = command.data;
      if (!directory.systems.has(systemId)) unknownSystem(directory, systemId);
      if (directory.apiKeys.has(keyId))
        refuse('organization.api-key-exists', `An API key ${keyId} was issued before.`);
      const lifetime =
        toMillis(expiresAt, 'expiresAt') - toMillis(command.metadata.recordedAt, 'recordedAt');
      if (lifetime <= 0 || lifetime > API_KEY_MAX_LIFETIME_MS)
        refuse(
          'organization.api-key-lifetime',
          `An API key must expire after it is issued and within a year (asked: ${expiresAt}).`,
          { expiresAt, issuedAt: command.metadata.recordedAt },
        );
      break;
    }
    case 'concord.organization.api-key-revoked.v1': {
      const { systemId, keyId, revokedAt } = command.data;
      const key = directory.apiKeys.get(keyId);
      if (!key || key.systemId !== systemId)
        refuse(
          'organization.unknown-api-key',
          `${systemId} of ${directory.organizationId} has no API key ${keyId}.`,
        );
      if (key.revokedAt !== undefined)
        refuse(
          'organization.api-key-revoked',
          `API key ${keyId} was revoked as of ${key.revokedAt}.`,
        );
      // Revocation takes effect now or later, never in the past: what a key was used for stands.
      if (toMillis(revokedAt, 'revokedAt') < toMillis(command.metadata.recordedAt, 'recordedAt'))
        refuse(
          'organization.revocation-in-the-past',
          `A revocation takes effect from when it is recorded (${command.metadata.recordedAt}) or later, not ${revokedAt}.`,
        );
      break;
    }
    default:
      return unsupported(command, 'organization decider');
  }
  return event as OrganizationEvent;
}

/**
 * A signing key changes only on the organization's own proof: never on the word of a platform
 * operator, who could otherwise make any organization sign anything.
 */
function checkKeyProof(
  command: RegisterSigningKey | RevokeSigningKey,
  directory: OrganizationDirectory,
): void {
  const { proof } = command.context;
  const { actor, recordedAt } = command.metadata;
  if (proof.method === 'held-key') {
    // Whoever relays the proof acts for the organization (or is the platform relaying it).
    if (
      actor.organizationId !== directory.organizationId &&
      actor.organizationId !== PLATFORM_ORGANIZATION_ID
    )
      refuse(
        'authorization.not-administrator',
        `${actor.organizationId} does not act for ${directory.organizationId}.`,
      );
    if (
      command.type === 'concord.organization.signing-key-registered.v1' &&
      proof.keyId === command.data.keyId
    )
      refuse('organization.key-proof-refused', 'A new key cannot prove its own registration.');
    if (!keyValidAt(directory, proof.keyId, recordedAt))
      refuse(
        'organization.key-proof-refused',
        `${proof.keyId} is not a key ${directory.organizationId} holds now; prove the change with a key it holds, or have its administrator sign.`,
        { proofKeyId: proof.keyId },
      );
    return;
  }
  const { signature } = proof;
  const printedName = directory.administrators.get(actor.personId);
  if (actor.organizationId !== directory.organizationId || printedName === undefined)
    refuse(
      'organization.key-proof-refused',
      `Only an administrator of ${directory.organizationId} approves its signing keys by e-signature.`,
    );
  if (signature.signerId !== actor.personId)
    refuse('signature.signer-mismatch', 'The administrator approving the change signs it.');
  if (signature.meaning !== 'approval')
    refuse('signature.wrong-meaning', 'A signing key change is approved: meaning approval.');
  assertRegisteredPrintedName(signature.printedName, printedName);
}

function decideSigningKey(
  command: RegisterSigningKey | RevokeSigningKey,
  directory: OrganizationDirectory,
): OrganizationEvent {
  checkKeyProof(command, directory);
  const recordedAt = toMillis(command.metadata.recordedAt, 'recordedAt');
  if (command.type === 'concord.organization.signing-key-registered.v1') {
    const { keyId, validFrom } = command.data;
    if (directory.keys.has(keyId))
      refuse('organization.signing-key-exists', `A signing key ${keyId} was registered before.`);
    // A key cannot be made valid for a past it was not registered in.
    if (toMillis(validFrom, 'validFrom') < recordedAt - DEFAULT_CLOCK_TOLERANCE_MS)
      refuse(
        'organization.signing-key-backdated',
        `A signing key is valid from its registration (${command.metadata.recordedAt}) or later, not ${validFrom}.`,
      );
  } else {
    const { keyId, revokedAt } = command.data;
    const key = directory.keys.get(keyId);
    if (!key)
      refuse(
        'organization.unknown-signing-key',
        `${directory.organizationId} has no signing key ${keyId}.`,
      );
    if (key.revokedAt !== undefined)
      refuse(
        'organization.signing-key-revoked',
        `Signing key ${keyId} was revoked as of ${key.revokedAt}.`,
      );
    if (toMillis(revokedAt, 'revokedAt') < recordedAt)
      refuse(
        'organization.revocation-in-the-past',
        `A revocation takes effect from when it is recorded (${command.metadata.recordedAt}) or later, not ${revokedAt}.`,
      );
  }
  return {
    type: command.type,
    data: command.data,
    metadata: eventMetadata(command.metadata),
  } as OrganizationEvent;
}

function unknownSystem(directory: OrganizationDirectory, systemId: Id): never {
  return refuse(
    'organization.unknown-system',
    `${directory.organizationId} has no partner system ${systemId}.`,
  );
}

export function decideOrganization(
  command: OrganizationCommand,
  state: OrganizationState,
): OrganizationEvent[] {
  return [decideOne(command, state)];
}

export const organizationDecider: Decider<
  OrganizationState,
  OrganizationCommand,
  OrganizationEvent
> = {
  decide: decideOrganization,
  evolve: evolveDirectory,
  initialState: () => undefined,
};
