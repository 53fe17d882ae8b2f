import type { BatchShipped, BatchShippedV2 } from '../events/batch-events.ts';
import { eventMetadata } from '../shared/command.ts';
import type { BatchCommandOf } from './batch-command.ts';
import { assertInLifecycle, type ScheduledBatch } from './batch-state.ts';

export type ShipBatch = BatchCommandOf<'concord.batch.shipped.v1' | 'concord.batch.shipped.v2'>;

/**
 * Only a QP-certified batch leaves the site; shipping ends the lifecycle. Either published version
 * of the event records it (v2 names the destination as a site and a country).
 */
export function shipBatch(
  command: ShipBatch,
  state: ScheduledBatch,
): (BatchShipped | BatchShippedV2)[] {
  assertInLifecycle(command.type, state);
  const metadata = eventMetadata(command.metadata);
  // The same in both branches: only after narrowing does TypeScript pair each type with its data.
  return [
    command.type === 'concord.batch.shipped.v1'
      ? { type: command.type, data: command.data, metadata }
      : { type: command.type, data: command.data, metadata },
  ];
}
