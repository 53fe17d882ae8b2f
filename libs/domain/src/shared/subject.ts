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

/** Separates the organization that names a record from its own reference: `<org>:<reference>`. */
export const NAMESPACE_SEPARATOR = ':';

/** The organization whose namespace an id is in (undefined for an id outside every namespace). */
export function namespaceOf(id: Id): Id | undefined {
  const separator = id.indexOf(NAMESPACE_SEPARATOR);
  return separator > 0 ? id.slice(0, separator) : undefined;
}

/**
 * An organization names the batches and deviations it creates in its own namespace, so an id
 * one partner chooses can never be one another partnership already holds: a collision is only
 * ever with the creator's own records, and the answer for an id outside its namespace is the
 * same whether or not a record with that id exists.
 */
export function assertInOwnNamespace(organizationId: Id, subject: NamedSubject): void {
  if (namespaceOf(subject.id) === organizationId) return;
  const noun = subject.kind === 'deviation' ? 'deviation' : 'batch';
  const namespace = `${organizationId}${NAMESPACE_SEPARATOR}`;
  throw new DomainError(
    'id.outside-namespace',
    `A ${noun} id you create must begin with your organization's namespace, "${namespace}"; ${subject.id} does not.`,
    { subject: subject.id, namespace },
  );
}
