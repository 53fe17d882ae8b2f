import type { CommandMetadata } from './command.ts';
import { DomainError } from './domain-error.ts';
import { toMillis } from './time.ts';
import type { ElectronicSignature, Role, SignatureMeaning } from './vocabulary.ts';

/**
 * How far a signature's `signedAt` may be from the act's occurred-at. A signature is applied as
 * part of the act (21 CFR 11.70: bound to the record), but the signing workstation and the
 * partner system that stamps occurred-at keep separate clocks; five minutes absorbs that skew and
 * the time to press "sign" without letting a signature be reused for a later act.
 */
export const SIGNATURE_TIME_TOLERANCE_MS = 5 * 60 * 1000;

/** Which role a signer must hold and which meanings fit the act. */
export type SignatureRule = { roles: readonly Role[]; meanings: readonly SignatureMeaning[] };

/** The signature rules per signed act (see README for the reasoning). */
export const signatureRules = {
  'concord.batch.record-reviewed.v1': { roles: ['qa'], meanings: ['review'] },
  'concord.batch.oos-resolved.v1': { roles: ['qa'], meanings: ['approval'] },
  'concord.batch.coa-issued.v1': { roles: ['qa', 'qc'], meanings: ['approval', 'authorship'] },
  'concord.batch.disposition-recorded.v1': { roles: ['qa'], meanings: ['approval'] },
  'concord.batch.qp-certified.v1': { roles: ['qp'], meanings: ['responsibility'] },
  'concord.deviation.capa-approved.v1': { roles: ['qa'], meanings: ['approval'] },
  'concord.deviation.closure-approved.v1': { roles: ['qa'], meanings: ['approval'] },
  // Closing is QA approving the outcome or taking responsibility for it; both are customary.
  'concord.deviation.closed.v1': { roles: ['qa'], meanings: ['approval', 'responsibility'] },
} as const satisfies Record<string, SignatureRule>;

export type SignedEventType = keyof typeof signatureRules;

/**
 * Checks an e-signature against the act: present, signed by the acting person, who holds a
 * required role, with a meaning that fits, at the act's time. Returns the role it was signed in.
 */
export function verifySignature(
  eventType: SignedEventType,
  signature: ElectronicSignature | undefined,
  metadata: CommandMetadata,
): Role {
  const rule: SignatureRule = signatureRules[eventType];
  if (signature === undefined || signature === null) {
    throw new DomainError('signature.missing', `${eventType} must carry an electronic signature.`, {
      eventType,
    });
  }
  if (signature.signerId !== metadata.actor.personId) {
    throw new DomainError(
      'signature.signer-mismatch',
      `The signature is by ${signature.signerId}, but ${metadata.actor.personId} is acting.`,
      { signerId: signature.signerId, actorId: metadata.actor.personId },
    );
  }
  if (metadata.actor.printedName !== undefined)
    assertRegisteredPrintedName(signature.printedName, metadata.actor.printedName);
  // Acting in a stated role, the person signs in that role only.
  const held = metadata.actor.role === undefined ? metadata.actor.roles : [metadata.actor.role];
  const role = rule.roles.find((candidate) => held.includes(candidate));
  if (role === undefined) {
    throw new DomainError(
      'signature.wrong-role',
      `${eventType} must be signed by a person holding the role ${rule.roles.join(' or ')}.`,
      { required: rule.roles, held },
    );
  }
  if (!rule.meanings.includes(signature.meaning)) {
    throw new DomainError(
      'signature.wrong-meaning',
      `A signature on ${eventType} must mean ${rule.meanings.join(' or ')}, not ${signature.meaning}.`,
      { required: rule.meanings, meaning: signature.meaning },
    );
  }
  const skew = Math.abs(
    toMillis(signature.signedAt, 'signature.signedAt') -
      toMillis(metadata.occurredAt, 'occurredAt'),
  );
  if (skew > SIGNATURE_TIME_TOLERANCE_MS) {
    throw new DomainError(
      'signature.time-mismatch',
      `The signature was applied ${Math.round(skew / 1000)} s away from the act; at most ${SIGNATURE_TIME_TOLERANCE_MS / 1000} s are allowed.`,
      { signedAt: signature.signedAt, occurredAt: metadata.occurredAt },
    );
  }
  return role;
}

/** Names compare as people read them: the same letters, whatever the Unicode form or spacing. */
const normalName = (name: string) => name.normalize('NFC').trim().replace(/\s+/g, ' ');

/**
 * An e-signature shows the signer's printed name (21 CFR 11.50(a)(1)): the name the platform
 * registered for them, never one the signing system supplies.
 */
export function assertRegisteredPrintedName(stated: string, registered: string): void {
  if (typeof stated !== 'string' || normalName(stated) !== normalName(registered)) {
    throw new DomainError(
      'signature.printed-name-mismatch',
      `The printed name must be the signer's registered name, ${registered}.`,
      { stated, registered },
    );
  }
}
