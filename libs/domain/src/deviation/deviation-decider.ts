import type { DeviationEvent } from '../events/deviation-events.ts';
import { assertActsInRegisteredRole, eventMetadata } from '../shared/command.ts';
import { checkCorrection } from '../shared/correction.ts';
import type { Decider } from '../shared/decider.ts';
import { DomainError, unsupported } from '../shared/domain-error.ts';
import { approveCapa, proposeCapa } from './capa.ts';
import { approveClosure, closeDeviation } from './close-deviation.ts';
import type { DeviationCommand } from './deviation-command.ts';
import { authorizeDeviationAct, deviationSubject } from './deviation-authorization.ts';
import {
  evolveDeviation,
  initialDeviationState,
  outOfOrder,
  type DeviationState,
} from './deviation-state.ts';
import { investigateDeviation } from './investigate-deviation.ts';
import { warnOfDeadline } from './deadlines.ts';
import { reportDeviation } from './report-deviation.ts';
import { assertSubjectKnownTo } from '../shared/subject.ts';
import { assertNotAfterReceipt } from '../shared/time.ts';

/**
 * Decides whether a deviation event may be recorded: the deviation exists and is the subject;
 * the actor may emit the event type under the agreement (sponsor for major/critical approvals);
 * then lifecycle order and signatures.
 */
export function decideDeviation(
  command: DeviationCommand,
  state: DeviationState,
): DeviationEvent[] {
  const { occurredAt, recordedAt, clockToleranceMs } = command.metadata;
  assertNotAfterReceipt(occurredAt, recordedAt, clockToleranceMs);
  assertActsInRegisteredRole(command.metadata.actor);
  if (command.type === 'concord.deviation.reported.v1') return reportDeviation(command, state);
  if (state.status === 'empty') {
    throw new DomainError('deviation.not-reported', 'The deviation has not been reported.', {
      type: command.type,
    });
  }
  if (
    command.type === 'concord.deviation.deadline-due-soon.v1' ||
    command.type === 'concord.deviation.deadline-overdue.v1'
  )
    return warnOfDeadline(command, state);
  const actorOrg = command.metadata.actor.organizationId;
  // The parties are the agreement's; with no version in force, deviationSubject refuses.
  const parties = command.context.agreement ?? command.context.agreementAtReceipt ?? undefined;
  if (parties !== undefined) {
    assertSubjectKnownTo(
      actorOrg,
      {
        kind: command.type === 'concord.correction.recorded.v1' ? 'either' : 'deviation',
        id: state.deviationId,
      },
      parties,
    );
  }
  const subject = deviationSubject(state, command.context.agreement);
  if (command.type === 'concord.correction.recorded.v1') {
    const correctedType = checkCorrection(command.data, state.seen);
    authorizeDeviationAct(correctedType, actorOrg, state.severity, subject, command.context);
    return [{ type: command.type, data: command.data, metadata: eventMetadata(command.metadata) }];
  }
  if (command.data.deviationId !== state.deviationId) {
    throw new DomainError(
      'command.subject-mismatch',
      `The command is about deviation ${command.data.deviationId}, the stream is ${state.deviationId}.`,
      { deviationId: command.data.deviationId, streamDeviationId: state.deviationId },
    );
  }
  authorizeDeviationAct(command.type, actorOrg, state.severity, subject, command.context);
  if (state.status === 'closed') throw outOfOrder(command.type, state);
  switch (command.type) {
    case 'concord.deviation.classified.v1':
    case 'concord.deviation.investigation-updated.v1':
    case 'concord.deviation.root-cause-identified.v1':
    case 'concord.deviation.batch-impact-assessed.v1':
      return investigateDeviation(command, state);
    case 'concord.deviation.capa-proposed.v1':
      return proposeCapa(command, state);
    case 'concord.deviation.capa-approved.v1':
      return approveCapa(command, state);
    case 'concord.deviation.closure-approved.v1':
      return approveClosure(command, state);
    case 'concord.deviation.closed.v1':
      return closeDeviation(command, state);
    default:
      return unsupported(command, 'deviation decider');
  }
}

export const deviationDecider: Decider<DeviationState, DeviationCommand, DeviationEvent> = {
  decide: decideDeviation,
  evolve: evolveDeviation,
  initialState: initialDeviationState,
};
