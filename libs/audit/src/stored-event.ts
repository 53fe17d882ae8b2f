import { PLATFORM_ORGANIZATION_ID } from '@concord/domain';
import type { RecordedEvent } from '@concord/event-store';

export const CORRECTION_TYPE = 'concord.correction.recorded.v1';

/** The two clocks of the record: the partner's occurred-at and the store's recorded-at. */
export type Timeline = 'occurred' | 'recorded';

/**
 * When it happened, according to whoever acted (the partner's `time`). Events written before the
 * metadata took CloudEvents names carry `occurredAt`; the store's clock is the last resort.
 */
export function occurredAtOf(event: RecordedEvent): string {
  return event.metadata.time ?? event.recordedAt;
}

/** The instant of an event on a timeline, in milliseconds. */
export function instantOf(event: RecordedEvent, timeline: Timeline): number {
  return Date.parse(timeline === 'occurred' ? occurredAtOf(event) : event.recordedAt);
}

/** An RFC 3339 instant as milliseconds; anything else is the caller's mistake. */
export function parseInstant(instant: string): number {
  const millis = Date.parse(instant);
  if (Number.isNaN(millis)) throw new RangeError(`${instant} is not an RFC 3339 date-time`);
  return millis;
}

export interface StoredActor {
  personId: string;
  organizationId: string;
  /** The role the platform recorded for the act. */
  role: string | null;
  /** The role the partner's envelope stated (checked against the registry only since it was). */
  claimedRole: string | null;
}

/** Who acted, as the metadata records it (the CloudEvents extension names). */
export function actorOf(event: RecordedEvent): StoredActor {
  const { actorid, actororg, actorrole, envelope } = event.metadata;
  // The platform records the role it checked (a signature's, or a claimed role the person
  // holds). Older events name it only in the partner's envelope: a claim, kept apart.
  const claimed = (envelope as { actorrole?: unknown } | undefined)?.actorrole;
  return {
    personId: actorid ?? 'unknown',
    organizationId: actororg ?? 'unknown',
    role: actorrole ?? null,
    claimedRole: typeof claimed === 'string' ? claimed : null,
  };
}

export const isPlatformEvent = (event: RecordedEvent): boolean =>
  actorOf(event).organizationId === PLATFORM_ORGANIZATION_ID;

/**
 * The event a derived event was recorded for (`<id>:oos`, `<id>:late`, `<id>:link:<batch>`): the
 * platform decided it from that event, so that event's signature is its proof of origin.
 */
export function derivedFromOf(event: RecordedEvent): string | null {
  const cause = event.metadata.causationid;
  if (typeof cause !== 'string') return null;
  return event.id.startsWith(`${cause}:`) ? cause : null;
}
