import type { Event, EventMetadata } from '../events/event.ts';
import type { Id, Instant, Role } from './vocabulary.ts';

/** The person acting, the organization they act for and the roles they hold there. */
export type Actor = { personId: Id; organizationId: Id; roles: readonly Role[] };

/**
 * Who, when and under which id: the same for a partner's event arriving over Kafka/HTTP and for
 * a human act through the API. `eventId` becomes the recorded event's id.
 */
export type CommandMetadata = {
  eventId: Id;
  source?: string;
  actor: Actor;
  occurredAt: Instant;
  recordedAt: Instant;
  correlationId?: Id;
  causationId?: Id;
  /**
   * How far ahead of `recordedAt` the partner's `occurredAt` may be (clocks disagree).
   * @default DEFAULT_CLOCK_TOLERANCE_MS (5 minutes)
   */
  clockToleranceMs?: number;
  /** The partner's Ed25519 signature over the canonical event, verified at ingest. */
  signature?: string;
  signatureKeyId?: string;
};

/**
 * "Record this event": the command carries the event's catalogue `type` and `data`, the metadata
 * and the facts the decider needs from other streams (`context`).
 */
export type RecordEvent<E, Context> =
  E extends Event<infer Type, infer Data>
    ? { type: Type; data: Data; metadata: CommandMetadata; context: Context }
    : never;

/** The organization id the platform acts under (process managers, decider-emitted events). */
export const PLATFORM_ORGANIZATION_ID = 'concord';

/** The actor for commands the platform issues itself. */
export const platformActor: Actor = {
  personId: 'concord-platform',
  organizationId: PLATFORM_ORGANIZATION_ID,
  roles: [],
};

/** Metadata of an event recorded for the command; derived events get a suffixed id. */
export function eventMetadata(
  metadata: CommandMetadata,
  options: { idSuffix?: string; actorRole?: Role } = {},
): EventMetadata {
  const result: EventMetadata = {
    id:
      options.idSuffix === undefined ? metadata.eventId : `${metadata.eventId}:${options.idSuffix}`,
    time: metadata.occurredAt,
    recordedtime: metadata.recordedAt,
    actorid: metadata.actor.personId,
    actororg: metadata.actor.organizationId,
  };
  if (metadata.source !== undefined) result.source = metadata.source;
  if (options.actorRole !== undefined) result.actorrole = options.actorRole;
  if (metadata.correlationId !== undefined) result.correlationid = metadata.correlationId;
  if (options.idSuffix !== undefined) result.causationid = metadata.eventId;
  else if (metadata.causationId !== undefined) result.causationid = metadata.causationId;
  if (options.idSuffix === undefined) {
    if (metadata.signature !== undefined) result.signature = metadata.signature;
    if (metadata.signatureKeyId !== undefined) result.signaturekeyid = metadata.signatureKeyId;
  }
  return result;
}
