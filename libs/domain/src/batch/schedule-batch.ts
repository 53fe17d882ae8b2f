import type { BatchScheduled } from '../events/batch-events.ts';
import { assertAuthorizedInForce } from '../agreement/authorization.ts';
import { eventMetadata } from '../shared/command.ts';
import { DomainError } from '../shared/domain-error.ts';
import { assertInOwnNamespace } from '../shared/subject.ts';
import { toMillis } from '../shared/time.ts';
import type { BatchCommandOf } from './batch-command.ts';
import type { BatchState } from './batch-state.ts';

export type ScheduleBatch = BatchCommandOf<'concord.batch.scheduled.v1'>;

/** Opens the batch stream; the batch's parties and agreement come from the scheduling event. */
export function scheduleBatch(command: ScheduleBatch, state: BatchState): BatchScheduled[] {
  assertInOwnNamespace(command.metadata.actor.organizationId, {
    kind: 'batch',
    id: command.data.batchId,
  });
  if (state.status !== 'empty') {
    throw new DomainError(
      'batch.already-scheduled',
      `Batch ${state.batchId} is already scheduled.`,
      {
        batchId: state.batchId,
      },
    );
  }
  const { data, metadata, context } = command;
  assertAuthorizedInForce(command.type, metadata.actor.organizationId, context, data);
  toMillis(data.plannedStart, 'plannedStart');
  return [{ type: command.type, data, metadata: eventMetadata(metadata) }];
}
