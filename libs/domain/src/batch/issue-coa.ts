import type { CoaIssued } from '../events/batch-events.ts';
import { eventMetadata } from '../shared/command.ts';
import { DomainError } from '../shared/domain-error.ts';
import { verifySignature } from '../shared/signature.ts';
import type { BatchCommandOf } from './batch-command.ts';
import { assertInLifecycle, investigationsWith, type ScheduledBatch } from './batch-state.ts';

export type IssueCoa = BatchCommandOf<'concord.batch.coa-issued.v1'>;

/**
 * Issues the certificate of analysis once QC testing has results and no OOS investigation is
 * open. It may come before or after the disposition; QP certification needs both.
 */
export function issueCoa(command: IssueCoa, state: ScheduledBatch): CoaIssued[] {
  assertInLifecycle(command.type, state);
  const open = investigationsWith(state, 'open');
  if (open.length > 0) {
    throw new DomainError(
      'batch.coa-blocked.open-oos',
      `No CoA while OOS investigation ${open.join(', ')} is open.`,
      { investigationIds: open },
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
