import { PLATFORM_ORGANIZATION_ID } from './command.ts';
import { DomainError } from './domain-error.ts';
import type { Id } from './vocabulary.ts';

/** The two organizations a batch or deviation is shared between. */
export type SubjectParties = { sponsorId: Id; cdmoId: Id };

/**
 * What an event names as its subject: a batch, a deviation, or (a correction) either. The kind
 * comes from the event's type, never from what the platform found, so the answer for a subject
 * reveals nothing the type did not already say.
 */
export type NamedSubject = { kind: 'batch' | 'deviation' | 'either'; id: Id };

/**
 * Existence is need-to-know: a batch or deviation of a partnership the organization is not party
 * to is answered exactly like one that does not exist (same code, same sentence). Only the
 * platform sees every subject. `parties` is undefined when no such subject exists.
 */
export function assertSubjectKnownTo(
  organizationId: Id,
  subject: NamedSubject,
  parties: SubjectParties | undefined,
): void {
  if (organizationId === PLATFORM_ORGANIZATION_ID && parties !== undefined) return;
  if (parties?.sponsorId === organizationId || parties?.cdmoId === organizationId) return;
  throw unknownSubject(subject);
}

/** The answer for a subject the sender's organization has none of. */
export function unknownSubject({ kind, id }: NamedSubject): DomainError {
  const message =
    kind === 'batch'
      ? `Batch ${id} is not known.`
      : kind === 'deviation'
        ? `Deviation ${id} is not known.`
        : `Nothing is known about ${id}.`;
  return new DomainError('subject.unknown', message, { subject: id });
}
