import {
  correctedData,
  correctedStoredEventIdOf,
  describeEvent,
  reasonOf,
  toDomainEvent,
  type CorrectionRecorded,
  type DomainEvent,
  type ElectronicSignature,
} from '@concord/domain';
import type { JsonObject, RecordedEvent } from '@concord/event-store';
import { rowKey } from './chunk-table.ts';
import type { ProjectionContext } from './projection.ts';
import { jsonOf, type Json, type PersonRow, type TimelineRow } from './rows.ts';

/** Which batch or deviation an entry belongs to, and the parties that may see it. */
export interface TimelineSubject {
  batch_id: string | null;
  deviation_id: string | null;
  sponsor_id: string;
  cdmo_id: string;
}

/**
 * The role the actor acted in, as the platform knows it: the domain records the role it checked
 * (a signature's, or a claimed role the person holds). An event recorded before that names the
 * role only in the partner's envelope; it is shown when the person holds it, never on trust.
 */
function registeredRole(
  metadata: RecordedEvent['metadata'],
  person: PersonRow | undefined,
): string | null {
  if (typeof metadata.actorrole === 'string') return metadata.actorrole;
  const claimed = (metadata.envelope as { actorrole?: unknown } | undefined)?.actorrole;
  if (typeof claimed !== 'string') return null;
  return person?.roles.includes(claimed) ? claimed : null;
}

/**
 * One entry of the timeline: what happened, who did it in which registered role, when it
 * happened and when it was recorded, its e-signature and the partner key that signed it.
 * `actor` is the acting person's row in the directory, if registered.
 */
export function timelineEntry(
  event: RecordedEvent,
  subject: TimelineSubject,
  actor: PersonRow | undefined,
  correctsEventId: string | null,
): TimelineRow {
  const { data, metadata } = event;
  const actorId = metadata.actorid ?? 'unknown';
  const signature = (data.signature as ElectronicSignature | undefined) ?? null;
  return {
    position: String(event.globalPosition),
    event_id: event.id,
    stream_id: event.streamId,
    ...subject,
    type: event.type,
    summary: describeEvent(event.type, data),
    occurred_at: metadata.time ?? event.recordedAt,
    recorded_at: event.recordedAt,
    actor_id: actorId,
    actor_name:
      actor?.printed_name ?? (signature?.signerId === actorId ? signature.printedName : null),
    actor_organization_id: metadata.actororg ?? 'unknown',
    actor_role: registeredRole(metadata, actor),
    reason: reasonOf(data),
    data: jsonOf(data),
    corrected_data: null,
    e_signature: signature,
    partner_signature_key_id:
      typeof metadata.signaturekeyid === 'string' ? metadata.signaturekeyid : null,
    corrects_event_id: correctsEventId,
    corrected_by_event_ids: [],
  };
}

/** Puts an event of a batch or deviation stream on the timeline, with its actor as registered. */
export function recordOnTimeline(
  stored: RecordedEvent,
  subject: TimelineSubject,
  { tables }: ProjectionContext,
): void {
  const { actororg, actorid } = stored.metadata;
  const actor = tables.people.get(rowKey(actororg ?? 'unknown', actorid ?? 'unknown'));
  tables.timeline.put(
    timelineEntry(stored, subject, actor, correctedStoredEventIdOf(stored) ?? null),
  );
}

/**
 * A correction leaves the corrected event untouched in the record and on the timeline (which
 * marks it as corrected) and returns the corrected event restated with its corrected data, for
 * the projection to show the corrected values; a correction never moves the lifecycle (it states
 * facts, it does not act). Undefined when the corrected event is not on the timeline.
 */
export async function restatedByCorrection(
  stored: RecordedEvent,
  correction: CorrectionRecorded,
  { tables }: ProjectionContext,
): Promise<DomainEvent | undefined> {
  const original = await tables.timeline.find(correction.data.correctedEventId);
  if (!original) return undefined;
  // Earlier corrections of the same event stay applied: restate from the latest corrected data.
  // Only the fields the domain lets a correction change are applied, so a correction stored
  // before that rule existed cannot show a decision or a signature nobody made.
  const corrected = correctedData(
    original.type,
    original.corrected_data ?? original.data,
    correction.data.changes,
  );
  original.corrected_data = corrected as Json;
  original.corrected_by_event_ids = [...original.corrected_by_event_ids, stored.id];
  tables.timeline.touch(original);
  const { event_id: id, type } = original;
  return toDomainEvent({ id, type, data: corrected as JsonObject, metadata: {} });
}
