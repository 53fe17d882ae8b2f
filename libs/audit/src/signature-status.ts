import { verifyEventSignature } from '@concord/contract';
import {
  ADMINISTRATION_SOURCE,
  keyValidAt,
  type ElectronicSignature,
  type OrganizationDirectory,
} from '@concord/domain';
import type { RecordedEvent } from '@concord/event-store';
import { isPlatformKeyId, verifyPlatformSignature, type PlatformKeyring } from '@concord/evidence';
import { storedEventId } from '@concord/ingest';
import { actorOf, derivedFromOf, isPlatformEvent } from './stored-event.ts';

/**
 * How an event's origin is proven, checked again from the record alone:
 * - `valid`: the partner's Ed25519 signature verifies, with a key of the sender that was valid
 *   when the event occurred;
 * - `invalid`: the signature does not verify, or the stored event no longer matches the envelope
 *   the partner signed;
 * - `key-not-valid`: the key is unknown, not yet valid or already revoked at that time;
 * - `e-signature-only`: a person's act through Concord's API, proven by their e-signature (21 CFR
 *   Part 11) and the API's authentication, not by a partner system's key;
 * - `platform`: recorded by the platform itself, or derived by it from another event;
 * - `unsigned`: a partner's event with nothing that proves who sent it, or (checked against the
 *   platform's keyring) an event the platform recorded without signing it.
 * What the platform records carries its signature; given the platform's keyring (from outside
 * the database), `platformKeyId` names the key it verified with, and a signature that does not
 * verify is `invalid` or `key-not-valid` like a partner's. Without a keyring it is not checked
 * (`platformKeyId` null).
 */
export type SignatureStatus =
  | { status: 'valid'; keyId: string }
  | { status: 'invalid'; keyId: string | null; problem: string }
  | { status: 'key-not-valid'; keyId: string; problem: string }
  | {
      status: 'e-signature-only';
      signerId: string;
      printedName: string;
      meaning: string;
      platformKeyId: string | null;
    }
  | { status: 'platform'; derivedFrom: string | null; platformKeyId: string | null }
  | { status: 'unsigned'; problem: string };

export type SignatureStatusKind = SignatureStatus['status'];

/** Statuses that fail verification: the record no longer proves its origin. */
export const SIGNATURE_PROBLEMS: ReadonlySet<SignatureStatusKind> = new Set([
  'invalid',
  'key-not-valid',
  'unsigned',
]);

export const isSignatureProblem = (
  status: SignatureStatus,
): status is Extract<SignatureStatus, { problem: string }> => SIGNATURE_PROBLEMS.has(status.status);

/** The e-signature an event's data carries (disposition, certification, approvals), if any. */
export function eSignatureOf(event: RecordedEvent): ElectronicSignature | null {
  const signature = event.data.signature as Partial<ElectronicSignature> | undefined;
  if (!signature || typeof signature !== 'object' || typeof signature.signerId !== 'string')
    return null;
  return signature as ElectronicSignature;
}

/** The source human acts through the GraphQL API are recorded under. */
const API_SOURCE = /^urn:concord:[^:]+:concord-api$/;

/**
 * The signature status of one stored event, from the record alone: the stored envelope and data
 * (what the partner signed), and the directory of organizations (their keys over time).
 */
export function signatureStatusOf(
  event: RecordedEvent,
  directoryOf: (organizationId: string) => OrganizationDirectory | undefined,
  platformKeyring?: PlatformKeyring,
): SignatureStatus {
  const { signature, signaturekeyid } = event.metadata;
  const platformSigned =
    typeof signature === 'string' &&
    typeof signaturekeyid === 'string' &&
    isPlatformKeyId(signaturekeyid);
  if (typeof signature === 'string' && !platformSigned)
    return partnerSignatureStatus(event, directoryOf);
  const recordedBy = recordedByPlatform(event);
  if (recordedBy === undefined) {
    const actor = actorOf(event);
    return {
      status: 'unsigned',
      problem:
        typeof signaturekeyid === 'string' && !platformSigned
          ? `names key ${signaturekeyid} but carries no signature`
          : `an event of ${actor.organizationId} with neither a partner signature nor an e-signature through the API: nothing proves who sent it`,
    };
  }
  let platformKeyId: string | null = null;
  if (platformKeyring) {
    if (!platformSigned)
      return {
        status: 'unsigned',
        problem: 'recorded by the platform, but not signed with a platform key',
      };
    const check = verifyPlatformSignature(event, platformKeyring);
    if (check.status !== 'valid') return check;
    platformKeyId = check.keyId;
  }
  return recordedBy.kind === 'platform'
    ? { status: 'platform', derivedFrom: recordedBy.derivedFrom, platformKeyId }
    : { status: 'e-signature-only', ...recordedBy.eSignature, platformKeyId };
}

/** The platform's own events and derivations, and people's e-signed acts through the API. */
function recordedByPlatform(
  event: RecordedEvent,
):
  | { kind: 'platform'; derivedFrom: string | null }
  | { kind: 'e-signature'; eSignature: { signerId: string; printedName: string; meaning: string } }
  | undefined {
  const derivedFrom = derivedFromOf(event);
  if (isPlatformEvent(event) || derivedFrom !== null) return { kind: 'platform', derivedFrom };
  // An administrative act: the platform's record of what an authenticated administrator did.
  if (event.metadata.source === ADMINISTRATION_SOURCE) return { kind: 'platform', derivedFrom };
  const eSignature = eSignatureOf(event);
  if (
    eSignature &&
    eSignature.signerId === actorOf(event).personId &&
    API_SOURCE.test(String(event.metadata.source ?? ''))
  ) {
    const { signerId, printedName, meaning } = eSignature;
    return { kind: 'e-signature', eSignature: { signerId, printedName, meaning } };
  }
  return undefined;
}

/** The fields the metadata repeats from the signed envelope: they must still agree with it. */
const BOUND_FIELDS = [
  ['signature', 'signature'],
  ['signaturekeyid', 'signaturekeyid'],
  ['actorid', 'actorid'],
  ['actororg', 'actororg'],
  ['time', 'time'],
  ['source', 'source'],
] as const;

function partnerSignatureStatus(
  event: RecordedEvent,
  directoryOf: (organizationId: string) => OrganizationDirectory | undefined,
): SignatureStatus {
  const keyId =
    typeof event.metadata.signaturekeyid === 'string' ? event.metadata.signaturekeyid : null;
  const invalid = (problem: string): SignatureStatus => ({ status: 'invalid', keyId, problem });
  const envelope = event.metadata.envelope;
  if (!envelope || typeof envelope !== 'object' || Array.isArray(envelope))
    return invalid(
      'the partner envelope is not stored with the event: the signature cannot be checked',
    );
  if (keyId === null) return invalid('the signature names no key (signaturekeyid)');
  for (const [stored, signed] of BOUND_FIELDS) {
    if (event.metadata[stored] !== envelope[signed])
      return invalid(`the stored ${stored} differs from the one the partner signed`);
  }
  if (envelope.type !== event.type) return invalid('the stored type differs from the signed one');
  // The stored id is derived from the signed source and id: a re-labelled event is caught here.
  if (storedEventId(String(envelope.source), String(envelope.id)) !== event.id)
    return invalid('the stored event id does not derive from the signed source and id');

  const organizationId = String(envelope.actororg);
  const directory = directoryOf(organizationId);
  if (!directory)
    return { status: 'key-not-valid', keyId, problem: `${organizationId} is not registered` };
  const occurredAt = String(envelope.time);
  const key = keyValidAt(directory, keyId, occurredAt);
  if (!key) {
    const known = directory.keys.get(keyId);
    return {
      status: 'key-not-valid',
      keyId,
      problem: !known
        ? `${keyId} is not a registered key of ${organizationId}`
        : known.revokedAt !== undefined && Date.parse(known.revokedAt) <= Date.parse(occurredAt)
          ? `${keyId} was revoked at ${known.revokedAt}, before the event occurred (${occurredAt})`
          : `${keyId} is valid only from ${known.validFrom}, after the event occurred (${occurredAt})`,
    };
  }
  if (!verifyEventSignature({ ...envelope, data: event.data }, key.publicKey))
    return invalid(`the Ed25519 signature does not verify with key ${keyId}`);
  return { status: 'valid', keyId };
}

/** One line for a person: what the status means for this event. */
export function describeSignatureStatus(status: SignatureStatus): string {
  switch (status.status) {
    case 'valid':
      return `Partner signature valid (key ${status.keyId})`;
    case 'invalid':
      return `Partner signature INVALID: ${status.problem}`;
    case 'key-not-valid':
      return `Signing key NOT VALID at that time: ${status.problem}`;
    case 'e-signature-only':
      return `E-signature only (act through the Concord API by ${status.printedName}, meaning ${status.meaning})${platformSignatureNote(status.platformKeyId)}`;
    case 'platform':
      return `${
        status.derivedFrom ? `Platform event, derived from ${status.derivedFrom}` : 'Platform event'
      }${platformSignatureNote(status.platformKeyId)}`;
    case 'unsigned':
      return `UNSIGNED: ${status.problem}`;
    default: {
      const unexpected: never = status;
      return String(unexpected);
    }
  }
}

function platformSignatureNote(platformKeyId: string | null): string {
  return platformKeyId === null ? '' : `; platform signature valid (key ${platformKeyId})`;
}
