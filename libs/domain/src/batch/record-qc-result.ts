import type {
  OosInvestigationOpened,
  QcResultRecorded,
  SpecificationLimits,
} from '../events/batch-events.ts';
import { eventMetadata } from '../shared/command.ts';
import { DomainError } from '../shared/domain-error.ts';
import { toMillis } from '../shared/time.ts';
import type { Id } from '../shared/vocabulary.ts';
import type { BatchCommandOf } from './batch-command.ts';
import { assertInLifecycle, type ScheduledBatch } from './batch-state.ts';

export type RecordQcResult = BatchCommandOf<'concord.batch.qc-result-recorded.v1'>;

/** Limits are inclusive: a value equal to a limit is within specification. */
export function withinSpecification(value: number, specification: SpecificationLimits): boolean {
  if (specification.lower !== undefined && value < specification.lower) return false;
  if (specification.upper !== undefined && value > specification.upper) return false;
  return true;
}

/** The id of the OOS investigation a result opens: derived, so decide stays deterministic. */
export function oosInvestigationId(resultId: Id): Id {
  return `oos-${resultId}`;
}

function checkSpecification(data: RecordQcResult['data']): void {
  const { lower, upper, unit } = data.specification;
  if (
    (lower === undefined && upper === undefined) ||
    (lower !== undefined && upper !== undefined && lower > upper)
  ) {
    throw new DomainError(
      'batch.invalid-specification',
      `The specification of ${data.test} needs at least one limit, and lower <= upper.`,
      { resultId: data.resultId, specification: data.specification },
    );
  }
  if (data.unit !== unit) {
    throw new DomainError(
      'batch.unit-mismatch',
      `The result of ${data.test} is in ${data.unit}, its specification in ${unit}.`,
      { resultId: data.resultId, unit: data.unit, specificationUnit: unit },
    );
  }
}

/**
 * Records a QC result after the batch record was approved; a result outside the specification
 * also opens an OOS investigation (MHRA/FDA OOS guidance: every OOS result is investigated).
 */
export function recordQcResult(
  command: RecordQcResult,
  state: ScheduledBatch,
): (QcResultRecorded | OosInvestigationOpened)[] {
  assertInLifecycle(command.type, state);
  const { data, metadata } = command;
  if (state.qcResultIds.includes(data.resultId)) {
    throw new DomainError(
      'batch.duplicate-qc-result',
      `QC result ${data.resultId} is already recorded; correct it instead.`,
      { resultId: data.resultId },
    );
  }
  checkSpecification(data);
  toMillis(data.testedAt, 'testedAt');
  const recorded: QcResultRecorded = {
    type: command.type,
    data,
    metadata: eventMetadata(metadata),
  };
  if (withinSpecification(data.value, data.specification)) return [recorded];
  return [
    recorded,
    {
      type: 'concord.batch.oos-investigation-opened.v1',
      data: {
        batchId: data.batchId,
        resultId: data.resultId,
        investigationId: oosInvestigationId(data.resultId),
        openedAt: metadata.occurredAt,
      },
      metadata: eventMetadata(metadata, { idSuffix: 'oos' }),
    },
  ];
}
