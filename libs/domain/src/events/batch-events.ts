import type { CorrectableFields, CorrectionRecorded } from './correction-events.ts';
import type { CatalogueEvent, CatalogueEventsOf } from './event.ts';

export type BatchScheduled = CatalogueEvent<'concord.batch.scheduled.v1'>;

export type ManufacturingStarted = CatalogueEvent<'concord.batch.manufacturing-started.v1'>;

export type ManufacturingHeld = CatalogueEvent<'concord.batch.manufacturing-held.v1'>;

export type ManufacturingResumed = CatalogueEvent<'concord.batch.manufacturing-resumed.v1'>;

export type ManufacturingAborted = CatalogueEvent<'concord.batch.manufacturing-aborted.v1'>;

export type ManufacturingCompleted = CatalogueEvent<'concord.batch.manufacturing-completed.v1'>;

export type RecordReviewed = CatalogueEvent<'concord.batch.record-reviewed.v1'>;

export type QcResultRecorded = CatalogueEvent<'concord.batch.qc-result-recorded.v1'>;

/** Specification limits; the schema requires at least one of `lower` and `upper`. */
export type SpecificationLimits = QcResultRecorded['data']['specification'];

export type OosInvestigationOpened = CatalogueEvent<'concord.batch.oos-investigation-opened.v1'>;

export type OosResolved = CatalogueEvent<'concord.batch.oos-resolved.v1'>;

export type CoaIssued = CatalogueEvent<'concord.batch.coa-issued.v1'>;

export type DispositionRecorded = CatalogueEvent<'concord.batch.disposition-recorded.v1'>;

export type DispositionDecision = DispositionRecorded['data']['decision'];

export type QpCertified = CatalogueEvent<'concord.batch.qp-certified.v1'>;

export type BatchShipped = CatalogueEvent<'concord.batch.shipped.v1'>;

/** v2: the destination as a site and an ISO 3166-1 country (v1 named it in free text). */
export type BatchShippedV2 = CatalogueEvent<'concord.batch.shipped.v2'>;

export type DeviationLinked = CatalogueEvent<'concord.batch.deviation-linked.v1'>;

export type DeviationLinkClosed = CatalogueEvent<'concord.batch.deviation-link-closed.v1'>;

/** The batch stream's events: every `concord.batch.*` type of the catalogue, and corrections. */
export type BatchEvent = CatalogueEventsOf<'concord.batch.'> | CorrectionRecorded;

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
