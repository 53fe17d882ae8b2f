import type {
  DeviationEvent,
  BatchImpactAssessed,
  DeviationClassified,
  InvestigationUpdated,
  RootCauseIdentified,
} from '../events/deviation-events.ts';
import { eventMetadata } from '../shared/command.ts';
import { DomainError } from '../shared/domain-error.ts';
import type { DeviationCommandOf } from './deviation-command.ts';
import { dueDatesSetEvent, dueDatesUnder } from './deadlines.ts';
import { assertInLifecycle, type ReportedDeviation } from './deviation-state.ts';

export type ClassifyDeviation = DeviationCommandOf<'concord.deviation.classified.v1'>;
export type UpdateInvestigation = DeviationCommandOf<'concord.deviation.investigation-updated.v1'>;
export type IdentifyRootCause = DeviationCommandOf<'concord.deviation.root-cause-identified.v1'>;
export type AssessBatchImpact = DeviationCommandOf<'concord.deviation.batch-impact-assessed.v1'>;

type InvestigationCommand =
  | ClassifyDeviation
  | UpdateInvestigation
  | IdentifyRootCause
  | AssessBatchImpact;
type InvestigationEvent =
  | DeviationClassified
  | InvestigationUpdated
  | RootCauseIdentified
  | BatchImpactAssessed;

export function investigateDeviation(
  command: InvestigationCommand,
  state: ReportedDeviation,
): DeviationEvent[] {
  assertInLifecycle(command.type, state);
  if (command.type === 'concord.deviation.batch-impact-assessed.v1') {
    const unlinked = command.data.assessments
      .map((assessment) => assessment.batchId)
      .filter((batchId) => !state.linkedBatchIds.includes(batchId));
    if (unlinked.length > 0) {
      throw new DomainError(
        'deviation.unknown-batch',
        `Batch ${unlinked.join(', ')} is not linked to deviation ${state.deviationId}.`,
        { batchIds: unlinked },
      );
    }
  }
  const recorded = {
    type: command.type,
    data: command.data,
    metadata: eventMetadata(command.metadata),
  } as InvestigationEvent;
  // A new severity moves the due dates, under the agreement in force when it is set.
  if (
    command.type === 'concord.deviation.classified.v1' &&
    command.data.severity !== state.severity &&
    state.detectedAt !== undefined
  ) {
    const dueDates = dueDatesUnder(
      command.context.agreement,
      state.deviationId,
      command.data.severity,
      state.detectedAt,
    );
    if (dueDates) return [recorded, dueDatesSetEvent(dueDates, command.metadata)];
  }
  return [recorded];
}
