import type { CorrectableFields, CorrectionRecorded } from './correction-events.ts';
import type { CatalogueEvent, CatalogueEventsOf } from './event.ts';

export type DeviationReported = CatalogueEvent<'concord.deviation.reported.v1'>;

export type DeviationReportedLate = CatalogueEvent<'concord.deviation.reported-late.v1'>;

export type DeviationClassified = CatalogueEvent<'concord.deviation.classified.v1'>;

export type InvestigationUpdated = CatalogueEvent<'concord.deviation.investigation-updated.v1'>;

export type RootCauseIdentified = CatalogueEvent<'concord.deviation.root-cause-identified.v1'>;

export type BatchImpactAssessed = CatalogueEvent<'concord.deviation.batch-impact-assessed.v1'>;

export type BatchImpact = BatchImpactAssessed['data']['assessments'][number];

export type CapaProposed = CatalogueEvent<'concord.deviation.capa-proposed.v1'>;

export type CapaAction = CapaProposed['data']['actions'][number];

export type CapaApproved = CatalogueEvent<'concord.deviation.capa-approved.v1'>;

export type ClosureApproved = CatalogueEvent<'concord.deviation.closure-approved.v1'>;

export type DeviationClosed = CatalogueEvent<'concord.deviation.closed.v1'>;

/** The deviation stream's events: every `concord.deviation.*` type of the catalogue, and corrections. */
export type DeviationEvent = CatalogueEventsOf<'concord.deviation.'> | CorrectionRecorded;

export type DeviationEventType = DeviationEvent['type'];

/**
 * What a correction may change on a deviation event (see `CorrectableFields`). Severity and
 * category change only by classification, impacts by a new assessment, and detection time (which
 * starts the notification clock) not at all.
 */
export const correctableDeviationFields: CorrectableFields<
  Exclude<DeviationEventType, CorrectionRecorded['type']>
> = {
  'concord.deviation.reported.v1': ['/title', '/description'],
  'concord.deviation.reported-late.v1': [],
  'concord.deviation.due-dates-set.v1': [],
  'concord.deviation.deadline-due-soon.v1': [],
  'concord.deviation.deadline-overdue.v1': [],
  'concord.deviation.classified.v1': ['/rationale'],
  'concord.deviation.investigation-updated.v1': ['/summary'],
  'concord.deviation.root-cause-identified.v1': ['/rootCause', '/rootCauseCategory'],
  'concord.deviation.batch-impact-assessed.v1': ['/assessments/*/conclusion'],
  'concord.deviation.capa-proposed.v1': [
    '/actions/*/description',
    '/actions/*/owner',
    '/actions/*/dueDate',
  ],
  'concord.deviation.capa-approved.v1': [],
  'concord.deviation.closure-approved.v1': [],
  'concord.deviation.closed.v1': [],
};
