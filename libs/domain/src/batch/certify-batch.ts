import type { QpCertified } from '../events/batch-events.ts';
import { eventMetadata } from '../shared/command.ts';
import { DomainError } from '../shared/domain-error.ts';
import { verifySignature } from '../shared/signature.ts';
import type { BatchCommandOf } from './batch-command.ts';
import {
  assertNothingBlocksRelease,
  batchLifecycle,
  outOfOrder,
  type ScheduledBatch,
} from './batch-state.ts';

export type CertifyBatch = BatchCommandOf<'concord.batch.qp-certified.v1'>;

/**
 * EU Annex 16 certification: by a QP, into the register, only after QA released the batch (a
 * conditional release is not enough: its conditions are still open) and a CoA was issued, and
 * only while nothing blocks release.
 */
export function certifyBatch(command: CertifyBatch, state: ScheduledBatch): QpCertified[] {
  if (!batchLifecycle[command.type](state)) {
    // Around the disposition, the specific reason says more than "out of order".
    if (
      state.status === 'qc-testing' ||
      state.status === 'coa-issued' ||
      state.status === 'dispositioned'
    ) {
      throw new DomainError(
        'qp.requires-release',
        'QP certification needs a released disposition.',
        { decision: state.status === 'dispositioned' ? state.decision : undefined },
      );
    }
    throw outOfOrder(command.type, state);
  }
  if (state.coaId === undefined) {
    throw new DomainError(
      'qp.requires-coa',
      'QP certification needs an issued certificate of analysis.',
    );
  }
  assertNothingBlocksRelease(state, 'QP certification');
  const actorRole = verifySignature(command.type, command.data.signature, command.metadata);
  return [
    {
      type: command.type,
      data: command.data,
      metadata: eventMetadata(command.metadata, { actorRole }),
    },
  ];
}
