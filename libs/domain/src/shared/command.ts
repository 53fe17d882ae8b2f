import { DomainError } from './domain-error.ts';
import type { Event, EventMetadata } from '../events/event.ts';
import type { Id, Instant, Role } from './vocabulary.ts';

/**
 * The person acting, the organization they act for and the roles the platform registered for
 * them there. `role` is the role they say they act in (a partner's `actorrole`), a claim the
 * domain checks against `roles`; `printedName` is their name as registered, which an
 * e-signature must carry.
 */
export type Actor = {
  personId: Id;
  organizationId: Id;
  roles: readonly Role[];
  role?: Role;
  printedName?: string;
};

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

/**
 * The source of administrative acts (organizations, people, systems, keys, agreements) the
 * platform records on the word of an authenticated operator or administrator. Partners cannot
 * send events under it: ingest accepts only their own `urn:concord:<organizationId>:` sources.
 */
export const ADMINISTRATION_SOURCE = 'urn:concord:platform:administration';

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
  // The role recorded is one the platform checked: the one a signature was given in, else the
  // claimed role the actor holds (see assertActsInRegisteredRole).
  const actorRole = options.actorRole ?? metadata.actor.role;
  if (actorRole !== undefined) result.actorrole = actorRole;
  if (metadata.correlationId !== undefined) result.correlationid = metadata.correlationId;
  if (options.idSuffix !== undefined) result.causationid = metadata.eventId;
  else if (metadata.causationId !== undefined) result.causationid = metadata.causationId;
  if (options.idSuffix === undefined) {
    if (metadata.signature !== undefined) result.signature = metadata.signature;
    if (metadata.signatureKeyId !== undefined) result.signaturekeyid = metadata.signatureKeyId;
  }
  return result;
}

/**
 * Who acted is a registered fact, not a claim: a person acting in a role must hold it (a
 * production operator cannot sign off as the QP by writing `actorrole: qp`).
 */
export function assertActsInRegisteredRole(actor: Actor): void {
  if (actor.role !== undefined && !actor.roles.includes(actor.role)) {
    throw new DomainError(
      'actor.role-not-held',
      `${actor.personId} acts as ${actor.role} but holds ${actor.roles.length === 0 ? 'no role' : actor.roles.join(', ')} at ${actor.organizationId}.`,
      { personId: actor.personId, claimedRole: actor.role, heldRoles: actor.roles },
    );
  }
}
