import type { DispositionRecorded } from '../events/batch-events.ts';
import { eventMetadata } from '../shared/command.ts';
import { DomainError } from '../shared/domain-error.ts';
import { verifySignature } from '../shared/signature.ts';
import type { BatchCommandOf } from './batch-command.ts';
import {
  assertInLifecycle,
  assertNothingBlocksRelease,
  type ScheduledBatch,
} from './batch-state.ts';

export type RecordDisposition = BatchCommandOf<'concord.batch.disposition-recorded.v1'>;

/**
 * QA's disposition, once QC testing has results. Quarantine and conditional release are not
 * final, so a later disposition may follow them; release and rejection are final.
 */
export function recordDisposition(
  command: RecordDisposition,
  state: ScheduledBatch,
): DispositionRecorded[] {
  assertInLifecycle(command.type, state);
  const { data, metadata } = command;
  const actorRole = verifySignature(command.type, data.signature, metadata);
  if (
    data.decision === 'conditionally-released' &&
    (data.conditions === undefined || data.conditions.trim() === '')
  ) {
    throw new DomainError(
      'batch.conditions-required',
      'A conditional release must state its conditions.',
    );
  }
  if (data.decision === 'released' || data.decision === 'conditionally-released') {
    assertNothingBlocksRelease(
      state,
      data.decision === 'released' ? 'Release' : 'Conditional release',
    );
  }
  return [{ type: command.type, data, metadata: eventMetadata(metadata, { actorRole }) }];
}
