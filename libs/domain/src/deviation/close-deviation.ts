import type { ClosureApproved, DeviationClosed } from '../events/deviation-events.ts';
import { eventMetadata } from '../shared/command.ts';
import { DomainError } from '../shared/domain-error.ts';
import { verifySignature } from '../shared/signature.ts';
import { isMajorOrCritical } from '../shared/vocabulary.ts';
import type { DeviationCommandOf } from './deviation-command.ts';
import { outOfOrder, type DeviationStatus, type ReportedDeviation } from './deviation-state.ts';

export type ApproveClosure = DeviationCommandOf<'concord.deviation.closure-approved.v1'>;
export type CloseDeviation = DeviationCommandOf<'concord.deviation.closed.v1'>;

/**
 * Where the outcome can be approved for closure: after the CAPA approval; a minor deviation may
 * need no CAPA and may be closed from its impact assessment.
 */
function outcomeReady(state: ReportedDeviation): boolean {
  const ready: readonly DeviationStatus[] = isMajorOrCritical(state.severity)
    ? ['capa-approved']
    : ['impact-assessed', 'capa-approved'];
  return ready.includes(state.status);
}

export function approveClosure(
  command: ApproveClosure,
  state: ReportedDeviation,
): ClosureApproved[] {
  if (!outcomeReady(state)) throw outOfOrder(command.type, state);
  const actorRole = verifySignature(command.type, command.data.signature, command.metadata);
  return [
    {
      type: command.type,
      data: command.data,
      metadata: eventMetadata(command.metadata, { actorRole }),
    },
  ];
}

/** Closes the deviation; a major or critical one only after the sponsor approved the closure. */
export function closeDeviation(
  command: CloseDeviation,
  state: ReportedDeviation,
): DeviationClosed[] {
  if (state.status === 'closed') throw outOfOrder(command.type, state);
  if (isMajorOrCritical(state.severity) && state.status !== 'closure-approved') {
    if (state.status === 'capa-approved') {
      throw new DomainError(
        'deviation.sponsor-approval-required',
        `A ${state.severity} deviation is closed only after the sponsor approved the closure.`,
        { severity: state.severity },
      );
    }
    throw outOfOrder(command.type, state);
  }
  if (state.status !== 'closure-approved' && !outcomeReady(state)) {
    throw outOfOrder(command.type, state);
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
