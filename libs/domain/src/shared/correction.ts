import { correctableBatchFields } from '../events/batch-events.ts';
import type { CorrectionChange, CorrectionRecorded } from '../events/correction-events.ts';
import { correctableDeviationFields } from '../events/deviation-events.ts';
import { DomainError } from './domain-error.ts';
import { pointerSegments, valueAt, withValues, type Json } from './json-pointer.ts';
import type { Id } from './vocabulary.ts';

const CORRECTION = 'concord.correction.recorded.v1';

/** An event a stream has seen: its type, and its data with every accepted correction applied. */
export type SeenEvent = { readonly type: string; readonly data: Json };

/**
 * The events a stream has seen (what a correction can name and must state truly), newest first.
 * A list that shares everything older: remembering one more event costs the same at the
 * thousandth event as at the first, so folding a stream stays linear; only a correction looks
 * back through it.
 */
export type SeenEvents = {
  readonly id: Id;
  readonly event: SeenEvent;
  readonly older: SeenEvents;
} | null;

/** A stream that has seen nothing yet. */
export const NOTHING_SEEN: SeenEvents = null;

/** The event with `id` as the stream has seen it, corrections applied. */
export function seenEvent(seen: SeenEvents, id: Id): SeenEvent | undefined {
  for (let at = seen; at !== null; at = at.older) if (at.id === id) return at.event;
  return undefined;
}

const correctableFields: Readonly<Record<string, readonly string[]>> = {
  ...correctableBatchFields,
  ...correctableDeviationFields,
};

/** The fields a correction may change on an event type (none for a type not declared). */
export function correctableFieldsOf(type: string): readonly string[] {
  return correctableFields[type] ?? [];
}

/** Whether a change at `path` is a correction of a declared correctable field of `type`. */
export function isCorrectablePath(type: string, path: string): boolean {
  let segments: string[];
  try {
    segments = pointerSegments(path);
  } catch {
    return false;
  }
  return correctableFieldsOf(type).some((declared) => {
    const pattern = pointerSegments(declared);
    return (
      segments.length >= pattern.length &&
      pattern.every(
        (part, index) =>
          part === segments[index] || (part === '*' && /^(0|[1-9]\d*)$/.test(segments[index]!)),
      )
    );
  });
}

/**
 * Validates a correction against the stream (21 CFR 11.10(e), Annex 11 §9: a correction names
 * what it corrects and why, states truly what the record held, and never overwrites it). Only
 * declared correctable fields change (`CorrectableFields`): a decision, an identity or a signed
 * value changes only through a new act. Returns the corrected event's type, which decides who
 * may correct it.
 */
export function checkCorrection(data: CorrectionRecorded['data'], seen: SeenEvents): string {
  const corrected = seenEvent(seen, data.correctedEventId);
  if (corrected === undefined) {
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
  for (const change of data.changes) checkChange(data.correctedEventId, corrected, change);
  return corrected.type;
}

function checkChange(correctedEventId: Id, corrected: SeenEvent, change: CorrectionChange): void {
  const { path } = change;
  const details = { correctedEventId, correctedEventType: corrected.type, path };
  if (!isCorrectablePath(corrected.type, path)) {
    const fields = correctableFieldsOf(corrected.type);
    throw new DomainError(
      'correction.field-not-correctable',
      corrected.type === CORRECTION
        ? `Event ${correctedEventId} is a correction: correct the original event again instead.`
        : fields.length === 0
          ? `No field of a ${corrected.type} event can be corrected: record a new act instead (a decision or a signed value changes only by a new signed act).`
          : `${path} of a ${corrected.type} event cannot be corrected; correctable: ${fields.join(', ')}.`,
      { ...details, correctableFields: fields },
    );
  }
  const onRecord = valueAt(corrected.data, path);
  const stated = change.oldValue ?? null;
  // An optional field that was never entered holds nothing; stating `null` for it is true.
  if (!sameJson(onRecord ?? null, stated)) {
    throw new DomainError(
      'correction.old-value-mismatch',
      `${path} of event ${correctedEventId} holds ${JSON.stringify(onRecord ?? null)}, not the stated ${JSON.stringify(stated)}.`,
      { ...details, onRecord: onRecord ?? null, statedOldValue: stated },
    );
  }
  const next = change.newValue ?? null;
  if (next === null || sameJson(onRecord ?? null, next)) {
    throw new DomainError(
      'correction.invalid-change',
      `The change of ${path} gives ${JSON.stringify(next)}, which ${next === null ? 'removes the value' : 'is the value already recorded'}.`,
      details,
    );
  }
  if (onRecord !== undefined && onRecord !== null && kindOf(onRecord) !== kindOf(next)) {
    throw new DomainError(
      'correction.invalid-change',
      `${path} holds a ${kindOf(onRecord)}; the correction gives a ${kindOf(next)}.`,
      details,
    );
  }
}

function kindOf(value: unknown): string {
  if (Array.isArray(value)) return 'list';
  return value === null ? 'null' : typeof value;
}

/** Structural equality of JSON values (object members in any order). */
function sameJson(left: unknown, right: unknown): boolean {
  if (left === right) return true;
  if (typeof left !== 'object' || typeof right !== 'object' || left === null || right === null)
    return false;
  if (Array.isArray(left) !== Array.isArray(right)) return false;
  const leftKeys = Object.keys(left);
  const rightKeys = Object.keys(right);
  return (
    leftKeys.length === rightKeys.length &&
    leftKeys.every(
      (key) =>
        Object.hasOwn(right, key) &&
        sameJson((left as Record<string, unknown>)[key], (right as Record<string, unknown>)[key]),
    )
  );
}

/**
 * Records an event as seen. A correction is applied to the data of the event it corrects, so the
 * next correction must state the corrected value; only declared correctable fields are applied
 * (a correction stored before the rule existed changes nothing it could not change today).
 */
export function rememberEvent(
  seen: SeenEvents,
  event: { type: string; data: unknown; metadata?: { id: Id } },
): SeenEvents {
  const id = event.metadata?.id;
  if (id === undefined) return seen;
  let next: SeenEvents = { id, event: { type: event.type, data: event.data as Json }, older: seen };
  if (event.type === CORRECTION) {
    const { correctedEventId, changes } = event.data as CorrectionRecorded['data'];
    const corrected = seenEvent(seen, correctedEventId);
    if (corrected !== undefined && Array.isArray(changes)) {
      // The corrected data shadows the original: lookups find the newest entry for an id.
      const data = correctedData(corrected.type, corrected.data, changes);
      next = { id: correctedEventId, event: { type: corrected.type, data }, older: next };
    }
  }
  return next;
}

/** The data of an event of `type` with the correctable ones among `changes` applied. */
export function correctedData(
  type: string,
  data: Json,
  changes: readonly { path: string; newValue?: unknown }[],
): Json {
  const applicable = changes
    .filter((change) => isCorrectablePath(type, change.path))
    .map((change) => ({ path: change.path, newValue: change.newValue ?? null }));
  return applicable.length === 0 ? data : withValues(data, applicable);
}
