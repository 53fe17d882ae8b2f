import type { Json, JsonObject, RecordedEvent } from '@concord/event-store';
import { correctedData, correctedStoredEventIdOf, valueAt } from '@concord/domain';

/** One changed value: what the record held before, what the correction claims it held, what it holds now. */
export interface CorrectedValue {
  path: string;
  /** The value on the record just before this correction (absent: the path held nothing). */
  oldValue?: Json;
  /** The old value the correction states; differs from `oldValue` when its author misread the record. */
  statedOldValue?: Json;
  newValue: Json;
}

export interface AppliedCorrection {
  correction: RecordedEvent;
  correctedEventId: string;
  /** The corrected event's type; null when it is not an event of these events. */
  correctedEventType: string | null;
  changes: CorrectedValue[];
  reason: string;
}

export interface CorrectedRecord {
  /** The data of each event with every correction among the events applied, by event id. */
  dataById: Map<string, JsonObject>;
  /** The corrections, in the order they were recorded. */
  applied: AppliedCorrection[];
}

/**
 * Applies the corrections among `events` (in stream order) to the events they correct. Nothing
 * is overwritten (21 CFR 11.10(e)): each event keeps its original data, and the corrected data
 * stands beside it; a later correction of the same event starts from the earlier one's result.
 */
export function applyCorrections(events: readonly RecordedEvent[]): CorrectedRecord {
  const dataById = new Map<string, JsonObject>();
  const typeById = new Map<string, string>();
  const applied: AppliedCorrection[] = [];
  for (const event of events) {
    dataById.set(event.id, event.data);
    typeById.set(event.id, event.type);
    const correctedEventId = correctedStoredEventIdOf(event);
    if (correctedEventId === undefined) continue;
    const before = dataById.get(correctedEventId);
    const stated = (event.data.changes ?? []) as {
      path: string;
      oldValue?: Json;
      newValue: Json;
    }[];
    const changes = stated.map(({ path, oldValue, newValue }) => {
      const change: CorrectedValue = { path, newValue };
      const onRecord = before === undefined ? undefined : safeValueAt(before, path);
      if (onRecord !== undefined) change.oldValue = onRecord;
      if (oldValue !== undefined) change.statedOldValue = oldValue;
      return change;
    });
    // Only declared correctable fields change (a correction stored before that rule existed may
    // name others: it stays on the record, and changes nothing the domain would not change).
    const correctedType = typeById.get(correctedEventId);
    if (before !== undefined && correctedType !== undefined)
      dataById.set(correctedEventId, correctedData(correctedType, before, stated) as JsonObject);
    applied.push({
      correction: event,
      correctedEventId,
      correctedEventType: typeById.get(correctedEventId) ?? null,
      changes,
      reason: String(event.data.reason ?? ''),
    });
  }
  return { dataById, applied };
}

/** A malformed pointer in a stored correction reads as "nothing there", never as a crash. */
function safeValueAt(document: Json, path: string): Json | undefined {
  try {
    return valueAt(document, path);
  } catch {
    return undefined;
  }
}
