import type { RecordReviewed } from '../events/batch-events.ts';
import { eventMetadata } from '../shared/command.ts';
import { verifySignature } from '../shared/signature.ts';
import type { BatchCommandOf } from './batch-command.ts';
import { assertInLifecycle, type ScheduledBatch } from './batch-state.ts';

export type ReviewRecord = BatchCommandOf<'concord.batch.record-reviewed.v1'>;

/** QA reviews the executed batch record once manufacturing is complete; "returned" asks for rework. */
export function reviewRecord(command: ReviewRecord, state: ScheduledBatch): RecordReviewed[] {
  assertInLifecycle(command.type, state);
  const actorRole = verifySignature(command.type, command.data.signature, command.metadata);
  return [
    {
      type: command.type,
      data: command.data,
      metadata: eventMetadata(command.metadata, { actorRole }),
    },
  ];
}
