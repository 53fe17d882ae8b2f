import { upcastData } from '@concord/contract';
import {
  evolveBatch,
  evolveDeviation,
  initialBatchState,
  initialDeviationState,
  toDomainEvent,
  withinSpecification,
  type BatchEvent,
  type BatchState,
  type BatchStatus,
  type DeviationEvent,
  type DeviationState,
  type DeviationStatus,
  type ElectronicSignature,
  type OosStatus,
  type Severity,
} from '@concord/domain';
import type { EventStore, Json, JsonObject, RecordedEvent } from '@concord/event-store';
import { applyCorrections, type AppliedCorrection } from './corrections.ts';
import { auditSubject, UnknownSubjectError, type AuditSubject } from './history.ts';
import { instantOf, occurredAtOf, parseInstant, type Timeline } from './stored-event.ts';

/** An instant on one of the record's two timelines. */
export interface AsOf {
  instant: string;
  timeline: Timeline;
}

/** The events that counted at an instant, with the corrections made by then applied. */
export interface RecordAsOf {
  /** Null: everything the store holds. */
  asOf: AsOf | null;
  /** The events up to the instant, in stream order, each with its data as corrected by then. */
  events: RecordedEvent[];
  corrections: AppliedCorrection[];
  /** The original data of the events a correction had changed by then, by event id. */
  originalData: Map<string, JsonObject>;
}

/**
 * The events that had counted by an instant, as first entered. On the `recorded` timeline: what
 * the platform held then (the store's clock), which is what anybody could have known. On the
 * `occurred` timeline: what had happened by then according to the parties, including what they
 * reported only later. A correction counts from its own instant on the same timeline. Events
 * keep their stream order, which is lifecycle order. `null`: every event.
 */
export function eventsAsOf(events: readonly RecordedEvent[], asOf: AsOf | null): RecordedEvent[] {
  if (asOf === null) return [...events];
  const until = parseInstant(asOf.instant);
  return events.filter((event) => instantOf(event, asOf.timeline) <= until);
}

/** The record as it stood at an instant: before a correction the old value, from it on the new one. */
export function recordAsOf(events: readonly RecordedEvent[], asOf: AsOf | null): RecordAsOf {
  const included = eventsAsOf(events, asOf);
  const { dataById, applied } = applyCorrections(included);
  const originalData = new Map<string, JsonObject>();
  for (const { correctedEventId } of applied) {
    const original = included.find((event) => event.id === correctedEventId);
    if (original) originalData.set(correctedEventId, original.data);
  }
  return {
    asOf,
    events: included.map((event) => ({ ...event, data: dataById.get(event.id) ?? event.data })),
    corrections: applied,
    originalData,
  };
}

/** An act someone signed electronically, as it stood. */
export interface SignedAct {
  eventId: string;
  occurredAt: string;
  recordedAt: string;
  signature: ElectronicSignature | null;
}

export interface QcResultAsOf {
  resultId: string;
  eventId: string;
  test: string;
  method: string | null;
  value: number;
  unit: string;
  specification: { lower?: number; upper?: number; unit: string };
  withinSpecification: boolean;
  testedAt: string | null;
  /** Values a correction had changed by then, with what was first entered. */
  changedSinceFirstEntry: { path: string; firstEntered: Json | undefined }[];
}

/** What a person asks of a batch at an instant. */
export interface BatchFactsAsOf {
  batchId: string;
  batchNumber: string;
  status: Exclude<BatchStatus, 'empty'>;
  productId: string;
  agreementId: string;
  sponsorId: string;
  cdmoId: string;
  site: string | null;
  plannedQuantity: { value: number; unit: string } | null;
  actualQuantity: { value: number; unit: string } | null;
  qcResults: QcResultAsOf[];
  oosInvestigations: Record<string, OosStatus>;
  /** Linked deviations still open, with their severity then (major/critical block release). */
  openDeviations: Record<string, Severity>;
  /** Every deviation linked to the batch by then, open or closed. */
  linkedDeviationIds: string[];
  coa: (SignedAct & { coaId: string; issuedAt: string | null }) | null;
  disposition: (SignedAct & { decision: string; conditions: string | null }) | null;
  certification: (SignedAct & { registerEntryId: string; certifiedAt: string | null }) | null;
  shipment: { shipmentId: string; shippedAt: string | null; destination: Json } | null;
}

export interface BatchAsOf {
  subject: AuditSubject;
  /** Null: as the store holds it now. */
  asOf: AsOf | null;
  /** The domain's own state, folded by `evolveBatch` from the events as they stood. */
  state: BatchState;
  /** Null when the batch was not yet scheduled at that instant. */
  facts: BatchFactsAsOf | null;
  eventsApplied: number;
  correctionsApplied: number;
  lastEventId: string | null;
}

/** A batch as it stood at an instant on a timeline, rebuilt from its events by the domain. */
export async function batchStateAsOf(
  store: EventStore,
  batchId: string,
  instant: string,
  timeline: Timeline,
): Promise<BatchAsOf> {
  const subject = auditSubject('batch', batchId);
  const events = await store.readStream(subject.streamId);
  if (events.length === 0) throw new UnknownSubjectError(subject);
  return foldBatchAsOf(subject, events, { instant, timeline });
}

/** Pure: the events folded with the domain's `evolveBatch`, and the facts read off them. */
export function foldBatchAsOf(
  subject: AuditSubject,
  events: readonly RecordedEvent[],
  asOf: AsOf | null,
): BatchAsOf {
  const record = recordAsOf(events, asOf);
  const state = record.events
    .map((event) => toDomainEvent<BatchEvent>(event))
    .reduce(evolveBatch, initialBatchState());
  return {
    subject,
    asOf,
    state,
    facts: state.status === 'empty' ? null : batchFacts(state, record),
    eventsApplied: record.events.length,
    correctionsApplied: record.corrections.length,
    lastEventId: record.events.at(-1)?.id ?? null,
  };
}

function signedAct(event: RecordedEvent): SignedAct {
  return {
    eventId: event.id,
    occurredAt: occurredAtOf(event),
    recordedAt: event.recordedAt,
    signature: (event.data.signature as ElectronicSignature | undefined) ?? null,
  };
}

function batchFacts(
  state: Exclude<BatchState, { status: 'empty' }>,
  record: RecordAsOf,
): BatchFactsAsOf {
  const facts: BatchFactsAsOf = {
    batchId: state.batchId,
    batchNumber: state.batchNumber,
    status: state.status,
    productId: state.productId,
    agreementId: state.agreementId,
    sponsorId: state.sponsorId,
    cdmoId: state.cdmoId,
    site: null,
    plannedQuantity: null,
    actualQuantity: null,
    qcResults: [],
    oosInvestigations: { ...state.oosInvestigations },
    openDeviations: { ...state.openDeviations },
    linkedDeviationIds: [],
    coa: null,
    disposition: null,
    certification: null,
    shipment: null,
  };
  for (const event of record.events) {
    // Shown in the newest version of its type, whichever version was recorded.
    const current = upcastData(toDomainEvent<BatchEvent>(event));
    switch (current.type) {
      case 'concord.batch.scheduled.v1':
        facts.site = current.data.site;
        facts.plannedQuantity = { ...current.data.plannedQuantity };
        break;
      case 'concord.batch.manufacturing-completed.v1':
        facts.actualQuantity = { ...current.data.actualQuantity };
        break;
      case 'concord.batch.qc-result-recorded.v1': {
        const { resultId, test, method, value, unit, specification, testedAt } = current.data;
        const original = record.originalData.get(event.id);
        facts.qcResults.push({
          resultId,
          eventId: event.id,
          test,
          method: method ?? null,
          value,
          unit,
          specification: { ...specification },
          withinSpecification: withinSpecification(value, specification),
          testedAt,
          changedSinceFirstEntry: original ? changedPaths(original, event.data) : [],
        });
        break;
      }
      case 'concord.batch.coa-issued.v1':
        facts.coa = {
          ...signedAct(event),
          coaId: current.data.coaId,
          issuedAt: current.data.issuedAt,
        };
        break;
      case 'concord.batch.disposition-recorded.v1':
        facts.disposition = {
          ...signedAct(event),
          decision: current.data.decision,
          conditions: current.data.conditions ?? null,
        };
        break;
      case 'concord.batch.qp-certified.v1':
        facts.certification = {
          ...signedAct(event),
          registerEntryId: current.data.registerEntryId,
          certifiedAt: current.data.certifiedAt,
        };
        break;
      case 'concord.batch.shipped.v1': // upcast to v2 above
      case 'concord.batch.shipped.v2': {
        const { shipmentId, shippedAt, destination } = current.data;
        facts.shipment = {
          shipmentId,
          shippedAt,
          destination: typeof destination === 'string' ? destination : { ...destination },
        };
        break;
      }
      case 'concord.batch.deviation-linked.v1':
        if (!facts.linkedDeviationIds.includes(current.data.deviationId))
          facts.linkedDeviationIds.push(current.data.deviationId);
        break;
      // The domain's fold (status, holds, OOS, open deviations) covers these; corrections are
      // already applied to the data of the events they correct.
      case 'concord.batch.manufacturing-started.v1':
      case 'concord.batch.manufacturing-held.v1':
      case 'concord.batch.manufacturing-resumed.v1':
      case 'concord.batch.manufacturing-aborted.v1':
      case 'concord.batch.record-reviewed.v1':
      case 'concord.batch.oos-investigation-opened.v1':
      case 'concord.batch.oos-resolved.v1':
      case 'concord.batch.deviation-link-closed.v1':
      case 'concord.correction.recorded.v1':
        break;
      default: {
        const unhandled: never = current;
        void unhandled;
      }
    }
  }
  return facts;
}

/** The top-level and nested values that differ between the first entry and the corrected data. */
function changedPaths(
  original: JsonObject,
  corrected: JsonObject,
  prefix = '',
): { path: string; firstEntered: Json | undefined }[] {
  const changed: { path: string; firstEntered: Json | undefined }[] = [];
  for (const key of new Set([...Object.keys(original), ...Object.keys(corrected)])) {
    const path = `${prefix}/${key.replaceAll('~', '~0').replaceAll('/', '~1')}`;
    const before = original[key];
    const after = corrected[key];
    if (JSON.stringify(before) === JSON.stringify(after)) continue;
    const nested =
      before !== null &&
      after !== null &&
      typeof before === 'object' &&
      typeof after === 'object' &&
      !Array.isArray(before) &&
      !Array.isArray(after);
    if (nested) changed.push(...changedPaths(before, after, path));
    else changed.push({ path, firstEntered: before });
  }
  return changed;
}

// ---- deviations ------------------------------------------------------------------------------

export interface CapaAsOf {
  capaId: string;
  proposedEventId: string;
  actions: { description: string; owner: string; dueDate: string }[];
  approval: SignedAct | null;
}

/** What a person asks of a deviation at an instant. */
export interface DeviationFactsAsOf {
  deviationId: string;
  status: Exclude<DeviationStatus, 'empty'>;
  severity: Severity;
  title: string | null;
  description: string | null;
  category: string | null;
  agreementId: string;
  productId: string;
  linkedBatchIds: string[];
  detectedAt: string | null;
  reportedAt: string | null;
  late: { deadline: string | null; lateByMinutes: number | null } | null;
  /** The investigation, CAPA and closure due dates in force, if the agreement set any. */
  dueDates: { investigation: string; capa: string; closure: string } | null;
  /** The due-soon and overdue warnings the platform gave, in order. */
  deadlineWarnings: { warning: 'due-soon' | 'overdue'; deadline: string; dueAt: string }[];
  classification: { severity: string; category: string; rationale: string | null } | null;
  investigation: string[];
  rootCause: { rootCause: string; category: string | null } | null;
  impactAssessments: { batchId: string; impact: string; conclusion: string }[];
  capa: CapaAsOf | null;
  closureApproval: SignedAct | null;
  closure: (SignedAct & { conclusion: string | null }) | null;
}

export interface DeviationAsOf {
  subject: AuditSubject;
  /** Null: as the store holds it now. */
  asOf: AsOf | null;
  /** The domain's own state, folded by `evolveDeviation`. */
  state: DeviationState;
  facts: DeviationFactsAsOf | null;
  eventsApplied: number;
  correctionsApplied: number;
  lastEventId: string | null;
}

/** A deviation as it stood at an instant on a timeline, rebuilt from its events by the domain. */
export async function deviationStateAsOf(
  store: EventStore,
  deviationId: string,
  instant: string,
  timeline: Timeline,
): Promise<DeviationAsOf> {
  const subject = auditSubject('deviation', deviationId);
  const events = await store.readStream(subject.streamId);
  if (events.length === 0) throw new UnknownSubjectError(subject);
  return foldDeviationAsOf(subject, events, { instant, timeline });
}

/** Pure: the events folded with the domain's `evolveDeviation`, and the facts read off them. */
export function foldDeviationAsOf(
  subject: AuditSubject,
  events: readonly RecordedEvent[],
  asOf: AsOf | null,
): DeviationAsOf {
  const record = recordAsOf(events, asOf);
  const state = record.events
    .map((event) => toDomainEvent<DeviationEvent>(event))
    .reduce(evolveDeviation, initialDeviationState());
  return {
    subject,
    asOf,
    state,
    facts: state.status === 'empty' ? null : deviationFacts(state, record),
    eventsApplied: record.events.length,
    correctionsApplied: record.corrections.length,
    lastEventId: record.events.at(-1)?.id ?? null,
  };
}

function deviationFacts(
  state: Exclude<DeviationState, { status: 'empty' }>,
  record: RecordAsOf,
): DeviationFactsAsOf {
  const facts: DeviationFactsAsOf = {
    deviationId: state.deviationId,
    status: state.status,
    severity: state.severity,
    title: null,
    description: null,
    category: null,
    agreementId: state.agreementId,
    productId: state.productId,
    linkedBatchIds: [...state.linkedBatchIds],
    detectedAt: null,
    reportedAt: null,
    late: null,
    dueDates: null,
    deadlineWarnings: [],
    classification: null,
    investigation: [],
    rootCause: null,
    impactAssessments: [],
    capa: null,
    closureApproval: null,
    closure: null,
  };
  for (const event of record.events) {
    const current = toDomainEvent<DeviationEvent>(event);
    switch (current.type) {
      case 'concord.deviation.reported.v1':
        facts.title = current.data.title;
        facts.description = current.data.description;
        facts.category = current.data.category;
        facts.detectedAt = current.data.detectedAt;
        facts.reportedAt = occurredAtOf(event);
        break;
      case 'concord.deviation.reported-late.v1':
        facts.late = { deadline: current.data.deadline, lateByMinutes: current.data.lateByMinutes };
        break;
      case 'concord.deviation.due-dates-set.v1':
        facts.dueDates = {
          investigation: current.data.investigation.dueAt,
          capa: current.data.capa.dueAt,
          closure: current.data.closure.dueAt,
        };
        break;
      case 'concord.deviation.deadline-due-soon.v1':
      case 'concord.deviation.deadline-overdue.v1':
        facts.deadlineWarnings.push({
          warning:
            current.type === 'concord.deviation.deadline-overdue.v1' ? 'overdue' : 'due-soon',
          deadline: current.data.deadline,
          dueAt: current.data.dueAt,
        });
        break;
      case 'concord.deviation.classified.v1':
        facts.category = current.data.category;
        facts.classification = {
          severity: current.data.severity,
          category: current.data.category,
          rationale: current.data.rationale,
        };
        break;
      case 'concord.deviation.investigation-updated.v1':
        facts.investigation.push(current.data.summary);
        break;
      case 'concord.deviation.root-cause-identified.v1':
        facts.rootCause = {
          rootCause: current.data.rootCause,
          category: current.data.rootCauseCategory,
        };
        break;
      case 'concord.deviation.batch-impact-assessed.v1':
        facts.impactAssessments = current.data.assessments.map((assessment) => ({ ...assessment }));
        break;
      case 'concord.deviation.capa-proposed.v1':
        facts.capa = {
          capaId: current.data.capaId,
          proposedEventId: event.id,
          actions: current.data.actions.map((action) => ({ ...action })),
          approval: null,
        };
        break;
      case 'concord.deviation.capa-approved.v1':
        if (facts.capa) facts.capa.approval = signedAct(event);
        break;
      case 'concord.deviation.closure-approved.v1':
        facts.closureApproval = signedAct(event);
        break;
      case 'concord.deviation.closed.v1':
        facts.closure = { ...signedAct(event), conclusion: current.data.conclusion };
        break;
      // Corrections are already applied to the data of the events they correct.
      case 'concord.correction.recorded.v1':
        break;
      default: {
        const unhandled: never = current;
        void unhandled;
      }
    }
  }
  return facts;
}
