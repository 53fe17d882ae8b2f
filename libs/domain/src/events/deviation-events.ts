import type {
  CalendarDate,
  ElectronicSignature,
  Id,
  Instant,
  Severity,
} from '../shared/vocabulary.ts';
import type { CorrectableFields, CorrectionRecorded } from './correction-events.ts';
import type { Event } from './event.ts';

export type DeviationReported = Event<
  'concord.deviation.reported.v1',
  {
    deviationId: Id;
    title: string;
    description: string;
    category: string;
    severity: Severity;
    productId: Id;
    agreementId: Id;
    linkedBatchIds: Id[];
    detectedAt: Instant;
  }
>;

export type DeviationReportedLate = Event<
  'concord.deviation.reported-late.v1',
  {
    deviationId: Id;
    detectedAt: Instant;
    reportedAt: Instant;
    deadline: Instant;
    lateByMinutes: number;
  }
>;

export type DeviationClassified = Event<
  'concord.deviation.classified.v1',
  { deviationId: Id; severity: Severity; category: string; rationale: string }
>;

export type InvestigationUpdated = Event<
  'concord.deviation.investigation-updated.v1',
  { deviationId: Id; summary: string }
>;

export type RootCauseIdentified = Event<
  'concord.deviation.root-cause-identified.v1',
  { deviationId: Id; rootCause: string; rootCauseCategory: string }
>;

export type BatchImpact = { batchId: Id; impact: 'none' | 'minor' | 'major'; conclusion: string };

export type BatchImpactAssessed = Event<
  'concord.deviation.batch-impact-assessed.v1',
  { deviationId: Id; assessments: BatchImpact[] }
>;

export type CapaAction = { description: string; owner: string; dueDate: CalendarDate };

export type CapaProposed = Event<
  'concord.deviation.capa-proposed.v1',
  { deviationId: Id; capaId: Id; actions: CapaAction[] }
>;

export type CapaApproved = Event<
  'concord.deviation.capa-approved.v1',
  { deviationId: Id; capaId: Id; signature: ElectronicSignature }
>;

export type ClosureApproved = Event<
  'concord.deviation.closure-approved.v1',
  { deviationId: Id; signature: ElectronicSignature }
>;

export type DeviationClosed = Event<
  'concord.deviation.closed.v1',
  { deviationId: Id; conclusion: string; signature: ElectronicSignature }
>;

export type DeviationEvent =
  | DeviationReported
  | DeviationReportedLate
  | DeviationClassified
  | InvestigationUpdated
  | RootCauseIdentified
  | BatchImpactAssessed
  | CapaProposed
  | CapaApproved
  | ClosureApproved
  | DeviationClosed
  | CorrectionRecorded;

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
