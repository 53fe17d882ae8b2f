import type { DeviationLinkClosed, DeviationLinked } from '../events/batch-events.ts';
import { eventMetadata } from '../shared/command.ts';
import { DomainError } from '../shared/domain-error.ts';
import type { BatchCommandOf } from './batch-command.ts';
import type { ScheduledBatch } from './batch-state.ts';

export type LinkDeviation = BatchCommandOf<'concord.batch.deviation-linked.v1'>;
export type CloseDeviationLink = BatchCommandOf<'concord.batch.deviation-link-closed.v1'>;

/**
 * The process manager tells the batch about a deviation that names it (or its new severity).
 * Accepted in every status: a deviation can surface after abort or shipment (e.g. a complaint).
 */
export function linkDeviation(command: LinkDeviation, _state: ScheduledBatch): DeviationLinked[] {
  return [{ type: command.type, data: command.data, metadata: eventMetadata(command.metadata) }];
}

export function closeDeviationLink(
  command: CloseDeviationLink,
  state: ScheduledBatch,
): DeviationLinkClosed[] {
  if (state.openDeviations[command.data.deviationId] === undefined) {
    throw new DomainError(
      'batch.unknown-deviation-link',
      `Deviation ${command.data.deviationId} is not an open deviation of batch ${state.batchId}.`,
      { deviationId: command.data.deviationId },
    );
  }
  return [{ type: command.type, data: command.data, metadata: eventMetadata(command.metadata) }];
}
