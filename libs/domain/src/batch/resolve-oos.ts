import type { OosResolved } from '../events/batch-events.ts';
import { eventMetadata } from '../shared/command.ts';
import { DomainError } from '../shared/domain-error.ts';
import { verifySignature } from '../shared/signature.ts';
import type { BatchCommandOf } from './batch-command.ts';
import type { ScheduledBatch } from './batch-state.ts';

export type ResolveOos = BatchCommandOf<'concord.batch.oos-resolved.v1'>;

/** Closes an open OOS investigation: invalidated (lab error) or confirmed (the batch fails). */
export function resolveOos(command: ResolveOos, state: ScheduledBatch): OosResolved[] {
  const { investigationId } = command.data;
  const current = state.oosInvestigations[investigationId];
  if (current === undefined) {
    throw new DomainError(
      'batch.unknown-investigation',
      `Batch ${state.batchId} has no OOS investigation ${investigationId}.`,
      { investigationId },
    );
  }
  if (current !== 'open') {
    throw new DomainError(
      'batch.investigation-already-resolved',
      `OOS investigation ${investigationId} is already ${current}.`,
      { investigationId, outcome: current },
    );
  }
  const actorRole = verifySignature(command.type, command.data.signature, command.metadata);
  return [
    {
      type: command.type,
      data: command.data,
      metadata: eventMetadata(command.metadata, { actorRole }),
    },
  ];
}
