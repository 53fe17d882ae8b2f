import type { CorrectionRecorded } from '../events/correction-events.ts';
import { DomainError } from './domain-error.ts';
import type { Id } from './vocabulary.ts';

/**
 * The ids of the events a stream has seen, each with the type that decides who may correct it
 * (a correction is filed under the type of the event it corrects, so correcting a correction is
 * authorized like correcting the original).
 */
export type SeenEvents = Readonly<Record<Id, string>>;

/**
 * Validates a correction against the stream (21 CFR 11.10(e), Annex 11 §9: a correction names
 * what it corrects and why, and never overwrites it). Returns the corrected event's type.
 */
export function checkCorrection(data: CorrectionRecorded['data'], seen: SeenEvents): string {
  const correctedType = seen[data.correctedEventId];
  if (correctedType === undefined) {
    throw new DomainError(
      'correction.unknown-event',
      `Event ${data.correctedEventId} is not an event of this stream.`,
      { correctedEventId: data.correctedEventId },
    );
  }
  if (typeof data.reason !== 'string' || data.reason.trim() === '') {
    throw new DomainError('correction.reason-required', 'A correction must carry a reason.', {
      correctedEventId: data.correctedEventId,
    });
  }
  if (!Array.isArray(data.changes) || data.changes.length === 0) {
    throw new DomainError('correction.no-changes', 'A correction must change at least one value.', {
      correctedEventId: data.correctedEventId,
    });
  }
  return correctedType;
}

/** Records an event id as seen; a correction is filed under the type of what it corrects. */
export function rememberEvent(
  seen: SeenEvents,
  event: { type: string; data: unknown; metadata?: { id: Id } },
): SeenEvents {
  const id = event.metadata?.id;
  if (id === undefined) return seen;
  const type =
    event.type === 'concord.correction.recorded.v1'
      ? (seen[(event.data as CorrectionRecorded['data']).correctedEventId] ?? event.type)
      : event.type;
  return { ...seen, [id]: type };
}
