import type { ClosureApproved, DeviationClosed } from '../events/deviation-events.ts';
import { eventMetadata } from '../shared/command.ts';
import { DomainError } from '../shared/domain-error.ts';
import { verifySignature } from '../shared/signature.ts';
import { isMajorOrCritical } from '../shared/vocabulary.ts';
import type { DeviationCommandOf } from './deviation-command.ts';
import {
  assertInLifecycle,
  deviationLifecycle,
  type ReportedDeviation,
} from './deviation-state.ts';

export type ApproveClosure = DeviationCommandOf<'concord.deviation.closure-approved.v1'>;
export type CloseDeviation = DeviationCommandOf<'concord.deviation.closed.v1'>;

export function approveClosure(
  command: ApproveClosure,
  state: ReportedDeviation,
): ClosureApproved[] {
  assertInLifecycle(command.type, state);
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
  if (
    !deviationLifecycle[command.type](state) &&
    isMajorOrCritical(state.severity) &&
    state.status === 'capa-approved'
  ) {
    throw new DomainError(
      'deviation.sponsor-approval-required',
      `A ${state.severity} deviation is closed only after the sponsor approved the closure.`,
      { severity: state.severity },
    );
  }
  assertInLifecycle(command.type, state);
  const actorRole = verifySignature(command.type, command.data.signature, command.metadata);
  return [
    {
      type: command.type,
      data: command.data,
      metadata: eventMetadata(command.metadata, { actorRole }),
    },
  ];
}
