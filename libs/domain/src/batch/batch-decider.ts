import { assertAuthorizedInForce } from '../agreement/authorization.ts';
import type { BatchEvent } from '../events/batch-events.ts';
import type { CorrectionRecorded } from '../events/correction-events.ts';
import { assertActsInRegisteredRole, eventMetadata } from '../shared/command.ts';
import { checkCorrection } from '../shared/correction.ts';
import type { Decider } from '../shared/decider.ts';
import { DomainError, unsupported } from '../shared/domain-error.ts';
import { assertSubjectKnownTo } from '../shared/subject.ts';
import { assertNotAfterReceipt } from '../shared/time.ts';
import type { BatchCommand } from './batch-command.ts';
import { evolveBatch, initialBatchState, type BatchState } from './batch-state.ts';
import { certifyBatch } from './certify-batch.ts';
import { closeDeviationLink, linkDeviation } from './deviation-links.ts';
import { issueCoa } from './issue-coa.ts';
import { recordDisposition } from './record-disposition.ts';
import { recordLifecycleAct } from './record-lifecycle-act.ts';
import { recordQcResult } from './record-qc-result.ts';
import { resolveOos } from './resolve-oos.ts';
import { reviewRecord } from './review-record.ts';
import { scheduleBatch } from './schedule-batch.ts';
import { shipBatch } from './ship-batch.ts';

/**
 * Decides whether a batch event may be recorded. Checks run in this order: the batch exists and
 * is the command's subject; the actor's organization may emit the event type (agreement in
 * force, own batch); then the operation's lifecycle, signature and release invariants.
 */
export function decideBatch(command: BatchCommand, state: BatchState): BatchEvent[] {
  const { occurredAt, recordedAt, clockToleranceMs } = command.metadata;
  assertNotAfterReceipt(occurredAt, recordedAt, clockToleranceMs);
  assertActsInRegisteredRole(command.metadata.actor);
  if (command.type === 'concord.batch.scheduled.v1') return scheduleBatch(command, state);
  if (state.status === 'empty') {
    throw new DomainError('batch.not-scheduled', 'The batch has not been scheduled.', {
      type: command.type,
    });
  }
  const isCorrection = command.type === 'concord.correction.recorded.v1';
  assertSubjectKnownTo(
    command.metadata.actor.organizationId,
    { kind: isCorrection ? 'either' : 'batch', id: state.batchId },
    state,
  );
  if (command.type === 'concord.correction.recorded.v1') {
    const correctedType = checkCorrection(command.data, state.seen);
    assertAuthorizedInForce(
      correctedType,
      command.metadata.actor.organizationId,
      command.context,
      state,
    );
    const correction: CorrectionRecorded = {
      type: command.type,
      data: command.data,
      metadata: eventMetadata(command.metadata),
    };
    return [correction];
  }
  if (command.data.batchId !== state.batchId) {
    throw new DomainError(
      'command.subject-mismatch',
      `The command is about batch ${command.data.batchId}, the stream is batch ${state.batchId}.`,
      { batchId: command.data.batchId, streamBatchId: state.batchId },
    );
  }
  assertAuthorizedInForce(
    command.type,
    command.metadata.actor.organizationId,
    command.context,
    state,
  );
  switch (command.type) {
    case 'concord.batch.manufacturing-started.v1':
    case 'concord.batch.manufacturing-held.v1':
    case 'concord.batch.manufacturing-resumed.v1':
    case 'concord.batch.manufacturing-aborted.v1':
    case 'concord.batch.manufacturing-completed.v1':
      return recordLifecycleAct(command, state);
    case 'concord.batch.record-reviewed.v1':
      return reviewRecord(command, state);
    case 'concord.batch.qc-result-recorded.v1':
      return recordQcResult(command, state);
    case 'concord.batch.oos-resolved.v1':
      return resolveOos(command, state);
    case 'concord.batch.coa-issued.v1':
      return issueCoa(command, state);
    case 'concord.batch.disposition-recorded.v1':
      return recordDisposition(command, state);
    case 'concord.batch.qp-certified.v1':
      return certifyBatch(command, state);
    case 'concord.batch.shipped.v1':
    case 'concord.batch.shipped.v2':
      return shipBatch(command, state);
    case 'concord.batch.deviation-linked.v1':
      return linkDeviation(command, state);
    case 'concord.batch.deviation-link-closed.v1':
      return closeDeviationLink(command, state);
    default:
      return unsupported(command, 'batch decider');
  }
}

export const batchDecider: Decider<BatchState, BatchCommand, BatchEvent> = {
  decide: decideBatch,
  evolve: evolveBatch,
  initialState: initialBatchState,
};
