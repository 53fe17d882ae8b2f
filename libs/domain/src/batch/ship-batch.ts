import type { BatchShipped } from '../events/batch-events.ts';
import { eventMetadata } from '../shared/command.ts';
import type { BatchCommandOf } from './batch-command.ts';
import { outOfOrder, type ScheduledBatch } from './batch-state.ts';

export type ShipBatch = BatchCommandOf<'concord.batch.shipped.v1'>;

/** Only a QP-certified batch leaves the site; shipping ends the lifecycle. */
export function shipBatch(command: ShipBatch, state: ScheduledBatch): BatchShipped[] {
  if (state.status !== 'qp-certified') throw outOfOrder(command.type, state);
  return [{ type: command.type, data: command.data, metadata: eventMetadata(command.metadata) }];
}
