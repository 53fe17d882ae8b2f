import {
  deadlineStatus,
  evolveDeviation,
  nextDeadlineCheck,
  warningKey,
  NOTHING_SEEN,
  type DeviationEvent,
  type DeviationReported,
  type DeviationState,
  type DeviationStatus,
  type Severity,
} from '@concord/domain';
import { rowKey } from './chunk-table.ts';
import { streamRowMoved, type Projection, type ProjectionContext } from './projection.ts';
import { jsonOf, type AgreementRow, type DeviationBatchRow, type DeviationRow } from './rows.ts';
import { recordOnTimeline, restatedByCorrection } from './timeline-projection.ts';

/**
 * The deviations, their links to batches and their timeline: a deviation row is created when it
 * is reported (its parties are the agreement's), moved with the domain's lifecycle, and shows
 * what each event states (a correction restates the corrected event's facts).
 */
export const deviationProjection: Projection<DeviationEvent> = {
  streamKind: 'deviation',
  async apply(deviationId, event, stored, context) {
    const { deviations, agreements } = context.tables;
    let deviation = await deviations.find(deviationId);
    if (event.type === 'concord.deviation.reported.v1') {
      if (deviation) return;
      const { agreementId } = event.data;
      const agreement = await agreements.find(agreementId);
      if (!agreement) throw new Error(`deviation ${deviationId}: agreement ${agreementId} unknown`);
      const reportedBy = stored.metadata.actororg ?? '';
      deviation = deviations.put(
        reportedDeviationRow(deviationId, event, agreement, reportedBy, stored.recordedAt),
      );
    }
    if (!deviation) return;
    const facts = factsContext(deviation, context);
    if (event.type === 'concord.correction.recorded.v1') {
      const restated = await restatedByCorrection(stored, event, context);
      if (restated) restateDeviationFacts(deviation, restated as DeviationFactEvent, facts);
    } else {
      evolveDeviationLifecycle(deviation, event);
      restateDeviationFacts(deviation, event, facts);
    }
    streamRowMoved(deviations, 'deviation', deviation, stored, context);
    if (
      event.type === 'concord.deviation.deadline-due-soon.v1' ||
      event.type === 'concord.deviation.deadline-overdue.v1'
    )
      context.announce('deadline', deviation, stored.globalPosition);
    const { sponsor_id, cdmo_id } = deviation;
    const subject = { batch_id: null, deviation_id: deviationId, sponsor_id, cdmo_id };
    recordOnTimeline(stored, subject, context);
  },
};

function factsContext(deviation: DeviationRow, { tables }: ProjectionContext): DeviationContext {
  return {
    deadlinesHours: tables.agreements.get(deviation.agreement_id)?.notification_deadlines_hours,
    link: (batchId) =>
      tables.links.put(
        tables.links.get(rowKey(deviation.id, batchId)) ?? {
          deviation_id: deviation.id,
          batch_id: batchId,
          sponsor_id: deviation.sponsor_id,
          cdmo_id: deviation.cdmo_id,
          impact: null,
          impact_conclusion: null,
        },
      ),
  };
}

/** A deviation event other than a correction: one that states facts about the deviation. */
export type DeviationFactEvent = Exclude<
  DeviationEvent,
  { type: 'concord.correction.recorded.v1' }
>;

/** The row of a newly reported deviation; `restateDeviationFacts` fills in what the event states. */
export function reportedDeviationRow(
  deviationId: string,
  event: DeviationReported,
  agreement: AgreementRow,
  reportedBy: string,
  recordedAt: string,
): DeviationRow {
  return {
    id: deviationId,
    title: '',
    description: '',
    category: '',
    severity: event.data.severity,
    status: 'reported',
    product_id: event.data.productId,
    agreement_id: agreement.id,
    sponsor_id: agreement.sponsor_id,
    cdmo_id: agreement.cdmo_id,
    reported_by_organization_id: reportedBy,
    detected_at: '',
    reported_at: recordedAt,
    notification_deadline: null,
    notified_late: false,
    late_by_minutes: null,
    investigation_summary: null,
    root_cause: null,
    root_cause_category: null,
    capa_id: null,
    capa_actions: null,
    capa_status: 'none',
    capa_approval_signature: null,
    closure_approved_at: null,
    closure_approval_signature: null,
    closed_at: null,
    conclusion: null,
    closing_signature: null,
    due_dates: null,
    deadline_warnings: [],
    deadline_status: 'none',
    next_deadline_check: null,
    last_changed_at: recordedAt,
    stream_version: 0,
    last_position: '0',
  };
}

/**
 * Moves the row's status and severity, and where it stands against its due dates, with the
 * domain's own `evolve` and deadline rule.
 */
export function evolveDeviationLifecycle(deviation: DeviationRow, event: DeviationEvent): void {
  const evolved = evolveDeviation(deviationStateOf(deviation), event);
  if (evolved.status === 'empty') return;
  deviation.status = evolved.status;
  deviation.severity = evolved.severity;
  deviation.due_dates = evolved.dueDates ?? null;
  if (
    event.type === 'concord.deviation.deadline-due-soon.v1' ||
    event.type === 'concord.deviation.deadline-overdue.v1'
  ) {
    const warnings = deviation.deadline_warnings;
    deviation.deadline_warnings = [
      ...warnings,
      {
        warning: event.type === 'concord.deviation.deadline-overdue.v1' ? 'overdue' : 'due-soon',
        deadline: event.data.deadline,
        dueAt: event.data.dueAt,
        at: event.metadata?.time ?? '',
        ...(event.type === 'concord.deviation.deadline-overdue.v1' && event.data.escalatedTo
          ? { escalatedTo: event.data.escalatedTo }
          : {}),
      },
    ];
  }
  const withWarnings = deviationStateOf(deviation);
  if (withWarnings.status === 'empty') return;
  deviation.deadline_status = deadlineStatus(withWarnings);
  deviation.next_deadline_check = nextDeadlineCheck(withWarnings) ?? null;
}

/** What the deviation projection needs from the rest of the chunk. */
export interface DeviationContext {
  /** The agreement's notification deadlines, in hours by severity. */
  deadlinesHours: AgreementRow['notification_deadlines_hours'] | undefined;
  /** The link row between this deviation and a batch, created if new. */
  link(batchId: string): DeviationBatchRow;
}

/** Writes what an event (or a correction restating it) states onto the deviation row. */
export function restateDeviationFacts(
  deviation: DeviationRow,
  event: DeviationFactEvent,
  context: DeviationContext,
): void {
  switch (event.type) {
    case 'concord.deviation.reported.v1': {
      const { title, description, category, detectedAt, linkedBatchIds } = event.data;
      deviation.title = title;
      deviation.description = description;
      deviation.category = category;
      deviation.detected_at = detectedAt;
      const limit = context.deadlinesHours?.[deviation.severity as Severity];
      deviation.notification_deadline =
        limit === undefined
          ? null
          : new Date(Date.parse(detectedAt) + limit * 3_600_000).toISOString();
      for (const batchId of linkedBatchIds) context.link(batchId);
      return;
    }
    case 'concord.deviation.reported-late.v1':
      deviation.notified_late = true;
      deviation.late_by_minutes = event.data.lateByMinutes;
      deviation.notification_deadline = event.data.deadline;
      return;
    case 'concord.deviation.classified.v1':
      deviation.category = event.data.category;
      return;
    // Due dates and warnings move with the lifecycle (evolveDeviationLifecycle).
    case 'concord.deviation.due-dates-set.v1':
    case 'concord.deviation.deadline-due-soon.v1':
    case 'concord.deviation.deadline-overdue.v1':
      return;
    case 'concord.deviation.investigation-updated.v1':
      deviation.investigation_summary = event.data.summary;
      return;
    case 'concord.deviation.root-cause-identified.v1':
      deviation.root_cause = event.data.rootCause;
      deviation.root_cause_category = event.data.rootCauseCategory;
      return;
    case 'concord.deviation.batch-impact-assessed.v1':
      for (const { batchId, impact, conclusion } of event.data.assessments) {
        const link = context.link(batchId);
        link.impact = impact;
        link.impact_conclusion = conclusion;
      }
      return;
    case 'concord.deviation.capa-proposed.v1':
      deviation.capa_id = event.data.capaId;
      deviation.capa_actions = jsonOf(event.data.actions);
      deviation.capa_status = 'proposed';
      return;
    case 'concord.deviation.capa-approved.v1':
      deviation.capa_status = 'approved';
      deviation.capa_approval_signature = event.data.signature;
      return;
    case 'concord.deviation.closure-approved.v1':
      deviation.closure_approved_at = event.data.signature.signedAt;
      deviation.closure_approval_signature = event.data.signature;
      return;
    case 'concord.deviation.closed.v1':
      deviation.closed_at = event.data.signature.signedAt;
      deviation.conclusion = event.data.conclusion;
      deviation.closing_signature = event.data.signature;
      return;
    default: {
      // Reached by no type of the union (the compiler checks); anything else states nothing.
      const unhandled: never = event;
      void unhandled;
      return;
    }
  }
}

/** The domain's state for a row: what the domain's `evolve` needs to move status and severity. */
export function deviationStateOf(deviation: DeviationRow): DeviationState {
  const status = deviation.status as DeviationStatus;
  if (status === 'empty') return { status };
  return {
    status,
    deviationId: deviation.id,
    agreementId: deviation.agreement_id,
    productId: deviation.product_id,
    severity: deviation.severity as Severity,
    linkedBatchIds: [],
    seen: NOTHING_SEEN,
    ...(deviation.capa_id === null ? {} : { capaId: deviation.capa_id }),
    ...(deviation.due_dates === null ? {} : { dueDates: deviation.due_dates }),
    warned: deviation.deadline_warnings.map((warning) =>
      warningKey({
        type:
          warning.warning === 'overdue'
            ? 'concord.deviation.deadline-overdue.v1'
            : 'concord.deviation.deadline-due-soon.v1',
        data: {
          deviationId: deviation.id,
          deadline: warning.deadline,
          severity: 'minor',
          dueAt: warning.dueAt,
        },
      }),
    ),
  };
}
