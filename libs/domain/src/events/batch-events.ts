import type { ElectronicSignature, Id, Instant, Quantity, Severity } from '../shared/vocabulary.ts';
import type { CorrectableFields, CorrectionRecorded } from './correction-events.ts';
import type { Event } from './event.ts';

export type BatchScheduled = Event<
  'concord.batch.scheduled.v1',
  {
    batchId: Id;
    batchNumber: string;
    productId: Id;
    agreementId: Id;
    sponsorId: Id;
    cdmoId: Id;
    site: string;
    plannedQuantity: Quantity;
    plannedStart: Instant;
  }
>;

export type ManufacturingStarted = Event<
  'concord.batch.manufacturing-started.v1',
  { batchId: Id; startedAt: Instant }
>;

export type ManufacturingHeld = Event<
  'concord.batch.manufacturing-held.v1',
  { batchId: Id; heldAt: Instant; reason: string }
>;

export type ManufacturingResumed = Event<
  'concord.batch.manufacturing-resumed.v1',
  { batchId: Id; resumedAt: Instant; reason: string }
>;

export type ManufacturingAborted = Event<
  'concord.batch.manufacturing-aborted.v1',
  { batchId: Id; abortedAt: Instant; reason: string }
>;

export type ManufacturingCompleted = Event<
  'concord.batch.manufacturing-completed.v1',
  { batchId: Id; completedAt: Instant; actualQuantity: Quantity }
>;

export type RecordReviewed = Event<
  'concord.batch.record-reviewed.v1',
  {
    batchId: Id;
    outcome: 'approved' | 'returned';
    comments?: string;
    signature: ElectronicSignature;
  }
>;

/** Specification limits; the schema requires at least one of `lower` and `upper`. */
export type SpecificationLimits = { lower?: number; upper?: number; unit: string };

export type QcResultRecorded = Event<
  'concord.batch.qc-result-recorded.v1',
  {
    batchId: Id;
    resultId: Id;
    test: string;
    method?: string;
    specification: SpecificationLimits;
    value: number;
    unit: string;
    testedAt: Instant;
    laboratoryId?: Id;
  }
>;

export type OosInvestigationOpened = Event<
  'concord.batch.oos-investigation-opened.v1',
  { batchId: Id; resultId: Id; investigationId: Id; openedAt: Instant }
>;

export type OosResolved = Event<
  'concord.batch.oos-resolved.v1',
  {
    batchId: Id;
    investigationId: Id;
    outcome: 'invalidated' | 'confirmed';
    rootCause: string;
    signature: ElectronicSignature;
  }
>;

export type CoaIssued = Event<
  'concord.batch.coa-issued.v1',
  {
    batchId: Id;
    coaId: Id;
    issuedAt: Instant;
    documentSha256?: string;
    signature: ElectronicSignature;
  }
>;

export type DispositionDecision =
  | 'released'
  | 'rejected'
  | 'quarantined'
  | 'conditionally-released';

export type DispositionRecorded = Event<
  'concord.batch.disposition-recorded.v1',
  {
    batchId: Id;
    decision: DispositionDecision;
    conditions?: string;
    signature: ElectronicSignature;
  }
>;

export type QpCertified = Event<
  'concord.batch.qp-certified.v1',
  { batchId: Id; registerEntryId: Id; certifiedAt: Instant; signature: ElectronicSignature }
>;

export type BatchShipped = Event<
  'concord.batch.shipped.v1',
  { batchId: Id; shipmentId: Id; shippedAt: Instant; destination: string; quantity: Quantity }
>;

/** v2: the destination as a site and an ISO 3166-1 country (v1 named it in free text). */
export type BatchShippedV2 = Event<
  'concord.batch.shipped.v2',
  {
    batchId: Id;
    shipmentId: Id;
    shippedAt: Instant;
    destination: { siteName: string; country: string };
    quantity: Quantity;
  }
>;

export type DeviationLinked = Event<
  'concord.batch.deviation-linked.v1',
  { batchId: Id; deviationId: Id; severity: Severity }
>;

export type DeviationLinkClosed = Event<
  'concord.batch.deviation-link-closed.v1',
  { batchId: Id; deviationId: Id }
>;

export type BatchEvent =
  | BatchScheduled
  | ManufacturingStarted
  | ManufacturingHeld
  | ManufacturingResumed
  | ManufacturingAborted
  | ManufacturingCompleted
  | RecordReviewed
  | QcResultRecorded
  | OosInvestigationOpened
  | OosResolved
  | CoaIssued
  | DispositionRecorded
  | QpCertified
  | BatchShipped
  | BatchShippedV2
  | DeviationLinked
  | DeviationLinkClosed
  | CorrectionRecorded;

export type BatchEventType = BatchEvent['type'];

/**
 * What a correction may change on a batch event (see `CorrectableFields`). Ids, parties, the
 * agreement, specification limits and every e-signed act are left out on purpose.
 */
export const correctableBatchFields: CorrectableFields<
  Exclude<BatchEventType, CorrectionRecorded['type']>
> = {
  'concord.batch.scheduled.v1': ['/site', '/plannedQuantity', '/plannedStart'],
  'concord.batch.manufacturing-started.v1': ['/startedAt'],
  'concord.batch.manufacturing-held.v1': ['/heldAt', '/reason'],
  'concord.batch.manufacturing-resumed.v1': ['/resumedAt', '/reason'],
  'concord.batch.manufacturing-aborted.v1': ['/abortedAt', '/reason'],
  'concord.batch.manufacturing-completed.v1': ['/completedAt', '/actualQuantity'],
  'concord.batch.record-reviewed.v1': [],
  'concord.batch.qc-result-recorded.v1': ['/test', '/method', '/value', '/unit', '/testedAt'],
  'concord.batch.oos-investigation-opened.v1': [],
  'concord.batch.oos-resolved.v1': [],
  'concord.batch.coa-issued.v1': [],
  'concord.batch.disposition-recorded.v1': [],
  'concord.batch.qp-certified.v1': [],
  'concord.batch.shipped.v1': ['/shippedAt', '/destination', '/quantity'],
  'concord.batch.shipped.v2': ['/shippedAt', '/destination', '/quantity'],
  'concord.batch.deviation-linked.v1': [],
  'concord.batch.deviation-link-closed.v1': [],
};
