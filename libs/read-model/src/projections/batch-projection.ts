import {
  evolveBatch,
  NOTHING_SEEN,
  withinSpecification,
  type BatchEvent,
  type BatchScheduled,
  type BatchState,
  type BatchStatus,
  type DispositionDecision,
  type OosStatus,
  type Severity,
} from '@concord/domain';
import type { RecordedEvent } from '@concord/event-store';
import { rowKey } from './chunk-table.ts';
import { streamRowMoved, type Projection, type ProjectionContext } from './projection.ts';
import type { AgreementRow, BatchRow, QcResultRow } from './rows.ts';
import { recordOnTimeline, restatedByCorrection } from './timeline-projection.ts';

/**
 * The batches, their QC results and their timeline: a batch row is created when it is scheduled,
 * moved with the domain's lifecycle, and shows what each event states (a correction restates the
 * corrected event's facts).
 */
export const batchProjection: Projection<BatchEvent> = {
  streamKind: 'batch',
  async apply(batchId, event, stored, context) {
    const { batches, agreements } = context.tables;
    let batch = await batches.find(batchId);
    if (event.type === 'concord.batch.scheduled.v1') {
      if (batch) return;
      const agreement = await agreements.find(event.data.agreementId);
      batch = batches.put(scheduledBatchRow(batchId, event, agreement, stored.recordedAt));
    }
    if (!batch) return;
    if (event.type === 'concord.correction.recorded.v1') {
      const restated = await restatedByCorrection(stored, event, context);
      if (restated) restate(batch, restated as BatchFactEvent, stored, context, true);
    } else {
      evolveBatchLifecycle(batch, event);
      restate(batch, event, stored, context, false);
    }
    streamRowMoved(batches, 'batch', batch, stored, context);
    const { sponsor_id, cdmo_id } = batch;
    recordOnTimeline(
      stored,
      { batch_id: batchId, deviation_id: null, sponsor_id, cdmo_id },
      context,
    );
  },
};

function restate(
  batch: BatchRow,
  event: BatchFactEvent,
  stored: RecordedEvent,
  { tables }: ProjectionContext,
  correcting: boolean,
): void {
  const before = (resultId: string) => tables.qcResults.get(rowKey(batch.id, resultId));
  const qcResult = restateBatchFacts(batch, event, stored.id, correcting ? { before } : null);
  if (qcResult) tables.qcResults.put(qcResult);
}

/** A batch event other than a correction: one that states facts about the batch. */
export type BatchFactEvent = Exclude<BatchEvent, { type: 'concord.correction.recorded.v1' }>;

/** The row of a newly scheduled batch; `restateBatchFacts` fills in what the event states. */
export function scheduledBatchRow(
  batchId: string,
  event: BatchScheduled,
  agreement: AgreementRow | undefined,
  recordedAt: string,
): BatchRow {
  const { productId, agreementId, sponsorId, cdmoId } = event.data;
  return {
    id: batchId,
    batch_number: '',
    product_id: productId,
    product_name:
      agreement?.products.find((product) => product.productId === productId)?.name ?? null,
    agreement_id: agreementId,
    sponsor_id: sponsorId,
    cdmo_id: cdmoId,
    site: '',
    status: 'scheduled',
    planned_quantity_value: 0,
    planned_quantity_unit: '',
    actual_quantity_value: null,
    actual_quantity_unit: null,
    planned_start: '',
    scheduled_at: recordedAt,
    started_at: null,
    completed_at: null,
    record_reviewed_at: null,
    coa_id: null,
    coa_issued_at: null,
    disposition_decision: null,
    dispositioned_at: null,
    disposition_signature: null,
    register_entry_id: null,
    certified_at: null,
    certification_signature: null,
    shipment_id: null,
    shipped_at: null,
    open_deviations: {},
    oos_investigations: {},
    blockers: [],
    blocker_count: 0,
    release_ready: false,
    last_changed_at: recordedAt,
    stream_version: 0,
    last_position: '0',
  };
}

/**
 * Moves the row's lifecycle (status, open deviations, OOS investigations) with the domain's own
 * `evolve`, so the read model holds no second copy of the transitions.
 */
export function evolveBatchLifecycle(batch: BatchRow, event: BatchEvent): void {
  const evolved = evolveBatch(batchStateOf(batch), event);
  if (evolved.status === 'empty') return;
  batch.status = evolved.status;
  batch.open_deviations = { ...evolved.openDeviations };
  batch.oos_investigations = { ...evolved.oosInvestigations };
}

/** How a QC result stood before a correction restated it (its row keeps the original event). */
export type QcResultBefore = (resultId: string) => QcResultRow | undefined;

/**
 * Writes what an event states onto the batch row, and returns the QC result row it records, if
 * any. A correction restates the corrected event's facts with `correcting` set: the lifecycle
 * stays where it is, and a QC result keeps the event that first recorded it.
 */
export function restateBatchFacts(
  batch: BatchRow,
  event: BatchFactEvent,
  eventId: string,
  correcting: { before: QcResultBefore } | null,
): QcResultRow | undefined {
  switch (event.type) {
    case 'concord.batch.scheduled.v1': {
      const { batchNumber, site, plannedQuantity, plannedStart } = event.data;
      batch.batch_number = batchNumber;
      batch.site = site;
      batch.planned_quantity_value = plannedQuantity.value;
      batch.planned_quantity_unit = plannedQuantity.unit;
      batch.planned_start = plannedStart;
      return undefined;
    }
    case 'concord.batch.manufacturing-started.v1':
      batch.started_at = event.data.startedAt;
      return undefined;
    case 'concord.batch.manufacturing-completed.v1':
      batch.completed_at = event.data.completedAt;
      batch.actual_quantity_value = event.data.actualQuantity.value;
      batch.actual_quantity_unit = event.data.actualQuantity.unit;
      return undefined;
    case 'concord.batch.record-reviewed.v1':
      if (event.data.outcome === 'approved')
        batch.record_reviewed_at = event.data.signature.signedAt;
      return undefined;
    case 'concord.batch.qc-result-recorded.v1': {
      const { resultId, test, method, specification, value, unit, testedAt } = event.data;
      return {
        batch_id: batch.id,
        result_id: resultId,
        sponsor_id: batch.sponsor_id,
        cdmo_id: batch.cdmo_id,
        test,
        method: method ?? null,
        specification_lower: specification.lower ?? null,
        specification_upper: specification.upper ?? null,
        specification_unit: specification.unit,
        value,
        unit,
        within_specification: withinSpecification(value, specification),
        tested_at: testedAt,
        corrected: correcting !== null,
        event_id: correcting?.before(resultId)?.event_id ?? eventId,
      };
    }
    case 'concord.batch.coa-issued.v1':
      batch.coa_id = event.data.coaId;
      batch.coa_issued_at = event.data.issuedAt;
      return undefined;
    case 'concord.batch.disposition-recorded.v1':
      batch.disposition_decision = event.data.decision;
      batch.disposition_signature = event.data.signature;
      batch.dispositioned_at = event.data.signature.signedAt;
      return undefined;
    case 'concord.batch.qp-certified.v1':
      batch.register_entry_id = event.data.registerEntryId;
      batch.certified_at = event.data.certifiedAt;
      batch.certification_signature = event.data.signature;
      return undefined;
    case 'concord.batch.shipped.v1':
    case 'concord.batch.shipped.v2':
      batch.shipment_id = event.data.shipmentId;
      batch.shipped_at = event.data.shippedAt;
      return undefined;
    // The lifecycle (status, holds, OOS, deviation links) moved with the domain's evolve; these
    // state nothing else the row keeps.
    case 'concord.batch.manufacturing-held.v1':
    case 'concord.batch.manufacturing-resumed.v1':
    case 'concord.batch.manufacturing-aborted.v1':
    case 'concord.batch.oos-investigation-opened.v1':
    case 'concord.batch.oos-resolved.v1':
    case 'concord.batch.deviation-linked.v1':
    case 'concord.batch.deviation-link-closed.v1':
      return undefined;
    default: {
      // Reached by no type of the union (the compiler checks); anything else states nothing.
      const unhandled: never = event;
      void unhandled;
      return undefined;
    }
  }
}

/**
 * The domain's state for a row: what the domain's `evolve` needs to move the lifecycle. What the
 * row does not keep (the events seen, the QC result ids) plays no part in moving it.
 */
export function batchStateOf(batch: BatchRow): BatchState {
  const facts = {
    batchId: batch.id,
    batchNumber: batch.batch_number,
    productId: batch.product_id,
    agreementId: batch.agreement_id,
    sponsorId: batch.sponsor_id,
    cdmoId: batch.cdmo_id,
    seen: NOTHING_SEEN,
    openDeviations: batch.open_deviations as Record<string, Severity>,
    oosInvestigations: batch.oos_investigations as Record<string, OosStatus>,
    qcResultIds: [],
    ...(batch.coa_id === null ? {} : { coaId: batch.coa_id }),
  };
  const status = batch.status as BatchStatus;
  switch (status) {
    case 'empty':
      return { status };
    case 'dispositioned':
      return { status, decision: batch.disposition_decision as DispositionDecision, ...facts };
    case 'qp-certified':
      return { status, registerEntryId: batch.register_entry_id ?? '', ...facts };
    case 'shipped':
      return { status, shipmentId: batch.shipment_id ?? '', ...facts };
    default:
      return { status, ...facts };
  }
}
