import type {
  BatchImpactAssessed,
  DeviationClassified,
  InvestigationUpdated,
  RootCauseIdentified,
} from '../events/deviation-events.ts';
import { eventMetadata } from '../shared/command.ts';
import { DomainError } from '../shared/domain-error.ts';
import type { DeviationCommandOf } from './deviation-command.ts';
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
): InvestigationEvent[] {
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
  return [
    { type: command.type, data: command.data, metadata: eventMetadata(command.metadata) },
  ] as InvestigationEvent[];
}
