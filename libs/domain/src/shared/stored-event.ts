import type { AgreementEvent } from '../events/agreement-events.ts';
import type { BatchEvent } from '../events/batch-events.ts';
import type { DeviationEvent } from '../events/deviation-events.ts';
import type { Event as GenericEvent, EventMetadata } from '../events/event.ts';
import type { OrganizationEvent } from '../events/organization-events.ts';

/** Every event the domain knows. */
export type DomainEvent = AgreementEvent | BatchEvent | DeviationEvent | OrganizationEvent;

/**
 * An event as a store keeps it, whichever store (the event store's `RecordedEvent` is one): the
 * id it is stored under, its type and data as recorded (a partner's signed original), and its
 * metadata, spelled as stored (the CloudEvents attribute and extension names).
 */
export interface StoredEvent {
  id: string;
  type: string;
  data: { readonly [key: string]: unknown };
  metadata: { readonly [key: string]: unknown };
}

/**
 * The stored id of the event a correction names. A partner names it by the id it sent it with;
 * ingest resolves that to the stored id and keeps it in the metadata (`correctedStoredEventId`),
 * because the data must stay the partner's signed original. Undefined for any other event.
 */
export function correctedStoredEventIdOf(stored: StoredEvent): string | undefined {
  if (stored.type !== 'concord.correction.recorded.v1') return undefined;
  const resolved = stored.metadata.correctedStoredEventId;
  if (typeof resolved === 'string') return resolved;
  const named = stored.data.correctedEventId;
  return typeof named === 'string' ? named : undefined;
}

/**
 * A stored event as the domain's `evolve` sees it: the stored id in its metadata and, for a
 * correction, the stored id of the event it corrects. The one conversion every reader of the
 * store uses (the command handler, the process manager, the audit's as-of fold, the projector).
 * The version is the recorded one: a partner's later statement (a correction) is checked against
 * what that partner signed. Readers that show the newest shape upcast (`@concord/contract`).
 */
export function toDomainEvent<Event extends DomainEvent = DomainEvent>(stored: StoredEvent): Event {
  const corrected = correctedStoredEventIdOf(stored);
  const data =
    corrected === undefined || stored.data.correctedEventId === corrected
      ? stored.data
      : { ...stored.data, correctedEventId: corrected };
  // The type names one of the domain's events: the store holds nothing else in a domain stream
  // (ingest validated each against its schema before it was recorded).
  const event: GenericEvent<string, unknown> = {
    type: stored.type,
    data,
    metadata: { ...stored.metadata, id: stored.id } as EventMetadata,
  };
  return event as Event;
}
