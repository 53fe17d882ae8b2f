// The lifecycles the feed plays out, as data: a workflow is where one batch or deviation stands
// (plain JSON, so the feed can save it and resume after a restart), and its steps are derived
// from it again whenever needed. Each step is one act of one organization: its events go to
// ingest in one request, authenticated as that organization.
import type { ConcordEvent } from '@concord/contract';
import { certifierOf, type WorldPartnership } from '@concord/contract/world';
import { deviationStory, type DeviationKind } from './deviation-stories.ts';
import type { PartnerEvents, PartnerEventOptions } from './partner-events.ts';
import { inSpecificationValue, oosCase, qcPanel } from './qc-panels.ts';
import { seededRandom } from '../stable-ids.ts';

/** What happens to a batch, besides the normal path. */
export type BatchScenario =
  | 'clean'
  | 'hold-with-minor-deviation'
  | 'major-deviation'
  | 'major-deviation-reported-late'
  | 'critical-deviation'
  | 'oos-invalidated'
  | 'oos-confirmed';

/**
 * The order scenarios come in, per partnership (each partnership starts at another place), so
 * every kind of event shows up within the first batches of a run and keeps coming back.
 */
export const SCENARIO_ROTATION: readonly BatchScenario[] = [
  'major-deviation-reported-late',
  'oos-invalidated',
  'clean',
  'hold-with-minor-deviation',
  'critical-deviation',
  'clean',
  'major-deviation',
  'oos-confirmed',
  'clean',
];

export interface BatchWorkflow {
  kind: 'batch';
  agreementId: string;
  batchId: string;
  batchNumber: string;
  scenario: BatchScenario;
  /** Index of the next step. */
  step: number;
  /** Epoch ms when the next step is due. */
  dueAt: number;
  /** A major or critical deviation that must be closed before disposition. */
  blockedBy?: string;
  /** Epoch ms when that deviation was closed (the platform then unblocks the batch). */
  blockerClosedAt?: number;
  /** Times the release was refused as blocked although the blocker was closed (see the feed). */
  deferrals?: number;
  /** Epoch ms the pending step was first built: sent again, it is the same event (see the feed). */
  stepBuiltAt?: number;
}

export interface DeviationWorkflow {
  kind: 'deviation';
  agreementId: string;
  deviationId: string;
  deviationNumber: string;
  capaId: string;
  batchId: string;
  batchNumber: string;
  story: DeviationKind;
  detectedAt: string;
  step: number;
  dueAt: number;
  /** Epoch ms the pending step was first built: sent again, it is the same event (see the feed). */
  stepBuiltAt?: number;
}

export type Workflow = BatchWorkflow | DeviationWorkflow;

export const subjectOf = (workflow: Workflow) =>
  workflow.kind === 'batch' ? workflow.batchId : workflow.deviationId;

/** What a step means for the feed's counters. */
export type Milestone =
  | 'batch-scheduled'
  | 'batch-released'
  | 'batch-certified'
  | 'batch-shipped'
  | 'batch-rejected'
  | 'oos-result'
  | 'deviation-reported'
  | 'deviation-closed';

export interface Step {
  /** Unique within the workflow; names the step's events (see PartnerEventOptions.step). */
  name: string;
  /** Ticks to wait after the previous step. */
  after: number;
  /** The organization that acts (and sends). */
  sender: string;
  /** Wait until the blocking deviation is closed and the platform has seen it closed. */
  waitsForBlocker?: boolean;
  /** A deviation this step discovers; started once the step's events are accepted. */
  discovers?: DeviationKind;
  milestone?: Milestone;
  build(now: Date): ConcordEvent[];
}

const isoBefore = (time: Date, seconds: number) =>
  new Date(time.getTime() - seconds * 1000).toISOString();

const calendarDateAfter = (time: Date, days: number) =>
  new Date(time.getTime() + days * 86_400_000).toISOString().slice(0, 10);

/** Severity and blocking of the deviation a scenario discovers, and at which step. */
const discoveries: Partial<Record<BatchScenario, { kind: DeviationKind; at: string }>> = {
  'hold-with-minor-deviation': { kind: 'minor', at: 'held' },
  'major-deviation': { kind: 'major', at: 'started' },
  'critical-deviation': { kind: 'critical', at: 'completed' },
  'major-deviation-reported-late': { kind: 'major-late', at: 'record-reviewed' },
};

/** Whether a scenario's deviation blocks release (major and critical ones do). */
export function blocksRelease(kind: DeviationKind): boolean {
  return kind !== 'minor';
}

/** The steps of a batch, from scheduling to shipment (or rejection). */
export function batchSteps(
  workflow: BatchWorkflow,
  partnership: WorldPartnership,
  events: PartnerEvents,
): Step[] {
  const { batchId, batchNumber, scenario } = workflow;
  const { cdmoId, product } = partnership;
  const correlationId = `wf-${batchId}`;
  const discovery = discoveries[scenario];
  const hold = discovery?.kind === 'minor' ? deviationStory(product, 'minor').hold : undefined;
  const rejected = scenario === 'oos-confirmed' || scenario === 'critical-deviation';
  const options = (
    step: string,
    system: PartnerEventOptions['system'],
    role: PartnerEventOptions['role'],
    time: Date,
  ): PartnerEventOptions => ({ system, role, time, step, correlationId });

  const steps: Step[] = [];
  const add = (step: Step) => {
    steps.push(discovery?.at === step.name ? { ...step, discovers: discovery.kind } : step);
  };

  add({
    name: 'scheduled',
    after: 0,
    sender: cdmoId,
    milestone: 'batch-scheduled',
    build: (now) => [
      events.event(
        cdmoId,
        'concord.batch.scheduled.v1',
        batchId,
        {
          batchId,
          batchNumber,
          productId: product.productId,
          agreementId: partnership.agreementId,
          sponsorId: partnership.sponsorId,
          cdmoId,
          site: partnership.site,
          plannedQuantity: { value: product.plannedQuantity, unit: product.unit },
          plannedStart: new Date(now.getTime() + 60_000).toISOString(),
        },
        options('scheduled', 'mes', 'production', now),
      ),
    ],
  });
  add({
    name: 'started',
    after: 2,
    sender: cdmoId,
    build: (now) => [
      events.event(
        cdmoId,
        'concord.batch.manufacturing-started.v1',
        batchId,
        { batchId, startedAt: isoBefore(now, 20) },
        options('started', 'mes', 'production', now),
      ),
    ],
  });
  if (hold) {
    add({
      name: 'held',
      after: 2,
      sender: cdmoId,
      build: (now) => [
        events.event(
          cdmoId,
          'concord.batch.manufacturing-held.v1',
          batchId,
          { batchId, heldAt: isoBefore(now, 30), reason: hold.heldBecause },
          options('held', 'mes', 'production', now),
        ),
      ],
    });
    add({
      name: 'resumed',
      after: 3,
      sender: cdmoId,
      build: (now) => [
        events.event(
          cdmoId,
          'concord.batch.manufacturing-resumed.v1',
          batchId,
          { batchId, resumedAt: isoBefore(now, 30), reason: hold.resumedBecause },
          options('resumed', 'mes', 'production', now),
        ),
      ],
    });
  }
  const yieldRandom = seededRandom(`${batchId}/yield`);
  const made = Math.round(product.plannedQuantity * (0.955 + 0.03 * yieldRandom()));
  add({
    name: 'completed',
    after: 3,
    sender: cdmoId,
    build: (now) => [
      events.event(
        cdmoId,
        'concord.batch.manufacturing-completed.v1',
        batchId,
        {
          batchId,
          completedAt: isoBefore(now, 25),
          actualQuantity: { value: made, unit: product.unit },
        },
        options('completed', 'mes', 'production', now),
      ),
    ],
  });
  add({
    name: 'record-reviewed',
    after: 2,
    sender: cdmoId,
    build: (now) => [
      events.event(
        cdmoId,
        'concord.batch.record-reviewed.v1',
        batchId,
        {
          batchId,
          outcome: 'approved',
          comments: hold
            ? `Executed batch record of ${batchNumber} complete; the hold during manufacture is documented under the linked deviation and assessed.`
            : `Executed batch record of ${batchNumber} complete and reviewed; no open entries.`,
          signature: events.signature(
            cdmoId,
            'qa',
            now,
            'review',
            'Batch record review completed per SOP-QA-021.',
          ),
        },
        options('record-reviewed', 'qms', 'qa', now),
      ),
    ],
  });

  const oos =
    scenario === 'oos-invalidated' || scenario === 'oos-confirmed' ? oosCase(product) : undefined;
  for (const test of qcPanel(product)) {
    const resultId = `qc-${batchNumber.toLowerCase()}-${test.code}`;
    const outOfSpecification = oos?.testCode === test.code;
    add({
      name: `qc-${test.code}`,
      after: 1,
      sender: cdmoId,
      ...(outOfSpecification ? { milestone: 'oos-result' as const } : {}),
      build: (now) => [
        events.event(
          cdmoId,
          'concord.batch.qc-result-recorded.v1',
          batchId,
          {
            batchId,
            resultId,
            test: test.test,
            method: test.method,
            specification: test.specification,
            value: outOfSpecification
              ? oos.value
              : inSpecificationValue(test, seededRandom(resultId)),
            unit: test.specification.unit,
            testedAt: isoBefore(now, 600),
          },
          options(`qc-${test.code}`, 'lims', 'qc', now),
        ),
      ],
    });
    if (!outOfSpecification) continue;
    const confirmed = scenario === 'oos-confirmed';
    add({
      name: 'oos-resolved',
      after: 3,
      sender: cdmoId,
      build: (now) => [
        events.event(
          cdmoId,
          'concord.batch.oos-resolved.v1',
          batchId,
          {
            batchId,
            // The platform names the investigation after the result that opened it.
            investigationId: `oos-${resultId}`,
            outcome: confirmed ? 'confirmed' : 'invalidated',
            rootCause: confirmed ? oos.confirmed.rootCause : oos.invalidated.rootCause,
            signature: events.signature(
              cdmoId,
              'qa',
              now,
              'approval',
              confirmed
                ? 'OOS result confirmed; investigation closed per SOP-QC-009.'
                : 'OOS invalidated with an assignable laboratory root cause per SOP-QC-009.',
            ),
          },
          options('oos-resolved', 'qms', 'qa', now),
        ),
      ],
    });
    if (confirmed) continue;
    add({
      name: `qc-${test.code}-retest`,
      after: 1,
      sender: cdmoId,
      build: (now) => [
        events.event(
          cdmoId,
          'concord.batch.qc-result-recorded.v1',
          batchId,
          {
            batchId,
            resultId: `${resultId}-r1`,
            test: `${test.test}, re-test`,
            method: test.method,
            specification: test.specification,
            value: oos.invalidated.retestValue,
            unit: test.specification.unit,
            testedAt: isoBefore(now, 600),
          },
          options(`qc-${test.code}-retest`, 'lims', 'qc', now),
        ),
      ],
    });
  }

  if (!rejected) {
    add({
      name: 'coa-issued',
      after: 2,
      sender: cdmoId,
      build: (now) => [
        events.event(
          cdmoId,
          'concord.batch.coa-issued.v1',
          batchId,
          {
            batchId,
            coaId: `coa-${batchNumber.toLowerCase()}`,
            issuedAt: isoBefore(now, 10),
            signature: events.signature(
              cdmoId,
              'qa',
              now,
              'approval',
              `Certificate of analysis reviewed against specification SPEC-${product.code}-DP.`,
            ),
          },
          options('coa-issued', 'lims', 'qa', now),
        ),
      ],
    });
  }
  const rejection =
    scenario === 'oos-confirmed'
      ? oosCase(product).confirmed.rejection
      : 'Rejected: the linked critical deviation concluded that product quality cannot be assured.';
  add({
    name: 'disposition',
    after: 2,
    sender: cdmoId,
    milestone: rejected ? 'batch-rejected' : 'batch-released',
    ...(workflow.blockedBy ? { waitsForBlocker: true } : {}),
    build: (now) => [
      events.event(
        cdmoId,
        'concord.batch.disposition-recorded.v1',
        batchId,
        {
          batchId,
          decision: rejected ? 'rejected' : 'released',
          signature: events.signature(
            cdmoId,
            'qa',
            now,
            'approval',
            rejected
              ? rejection
              : `QA disposition per quality agreement ${partnership.agreementId.toUpperCase()}, section 7.3: batch record, QC results and deviations reviewed.`,
          ),
        },
        // A release refused as still blocked is a new act when tried again: a new event id.
        options(
          workflow.deferrals ? `disposition-${workflow.deferrals}` : 'disposition',
          'qms',
          'qa',
          now,
        ),
      ),
    ],
  });
  if (rejected) return steps;

  const certifier = certifierOf(partnership);
  add({
    name: 'qp-certified',
    after: 2,
    sender: certifier,
    milestone: 'batch-certified',
    build: (now) => [
      events.event(
        certifier,
        'concord.batch.qp-certified.v1',
        batchId,
        {
          batchId,
          registerEntryId: `QPR-${partnership.qpRegister}-${batchNumber.slice(-9)}`,
          certifiedAt: isoBefore(now, 15),
          signature: events.signature(
            certifier,
            'qp',
            now,
            'responsibility',
            'Certified per EU GMP Annex 16; entered in the QP register.',
          ),
        },
        options('qp-certified', 'qms', 'qp', now),
      ),
    ],
  });
  add({
    name: 'shipped',
    after: 2,
    sender: cdmoId,
    milestone: 'batch-shipped',
    build: (now) => [
      events.event(
        cdmoId,
        'concord.batch.shipped.v1',
        batchId,
        {
          batchId,
          shipmentId: `shp-${batchNumber.toLowerCase()}`,
          shippedAt: isoBefore(now, 60),
          destination: partnership.destination,
          // Retained and stability samples stay at the site.
          quantity: { value: Math.max(made - Math.ceil(made * 0.004), 0), unit: product.unit },
        },
        options('shipped', 'mes', 'production', now),
      ),
    ],
  });
  return steps;
}

/**
 * The steps of a deviation: the CDMO reports, classifies, investigates, finds the root cause and
 * assesses the batch; for major and critical ones it proposes a CAPA the sponsor approves, the
 * sponsor approves the closure, and the CDMO closes. Minor ones close after the assessment.
 */
export function deviationSteps(
  workflow: DeviationWorkflow,
  partnership: WorldPartnership,
  events: PartnerEvents,
): Step[] {
  const { deviationId, capaId, batchId, batchNumber, story: kind } = workflow;
  const { cdmoId, sponsorId } = partnership;
  const story = deviationStory(partnership.product, kind);
  const correlationId = `wf-${deviationId}`;
  const options = (
    step: string,
    role: PartnerEventOptions['role'],
    time: Date,
  ): PartnerEventOptions => ({ system: 'qms', role, time, step, correlationId });
  const byCdmo = (
    name: string,
    after: number,
    build: (now: Date) => ConcordEvent,
    milestone?: Milestone,
  ): Step => ({
    name,
    after,
    sender: cdmoId,
    ...(milestone ? { milestone } : {}),
    build: (now) => [build(now)],
  });

  const steps: Step[] = [
    byCdmo(
      'reported',
      0,
      (now) =>
        events.event(
          cdmoId,
          'concord.deviation.reported.v1',
          deviationId,
          {
            deviationId,
            title: story.title,
            description: story.description.replaceAll('{batch}', batchNumber),
            category: story.category,
            severity: story.severity,
            productId: partnership.product.productId,
            agreementId: partnership.agreementId,
            linkedBatchIds: [batchId],
            detectedAt: workflow.detectedAt,
          },
          options('reported', 'qa', now),
        ),
      'deviation-reported',
    ),
    byCdmo('classified', 1, (now) =>
      events.event(
        cdmoId,
        'concord.deviation.classified.v1',
        deviationId,
        {
          deviationId,
          severity: story.severity,
          category: story.category,
          rationale: story.classification,
        },
        options('classified', 'qa', now),
      ),
    ),
    byCdmo('investigation-updated', 2, (now) =>
      events.event(
        cdmoId,
        'concord.deviation.investigation-updated.v1',
        deviationId,
        { deviationId, summary: story.investigation },
        options('investigation-updated', 'qa', now),
      ),
    ),
    byCdmo('root-cause-identified', 2, (now) =>
      events.event(
        cdmoId,
        'concord.deviation.root-cause-identified.v1',
        deviationId,
        { deviationId, rootCause: story.rootCause, rootCauseCategory: story.rootCauseCategory },
        options('root-cause-identified', 'qa', now),
      ),
    ),
    byCdmo('batch-impact-assessed', 2, (now) =>
      events.event(
        cdmoId,
        'concord.deviation.batch-impact-assessed.v1',
        deviationId,
        {
          deviationId,
          assessments: [{ batchId, impact: story.impact, conclusion: story.impactConclusion }],
        },
        options('batch-impact-assessed', 'qa', now),
      ),
    ),
  ];
  if (story.capa) {
    const actions = story.capa;
    steps.push(
      byCdmo('capa-proposed', 1, (now) =>
        events.event(
          cdmoId,
          'concord.deviation.capa-proposed.v1',
          deviationId,
          {
            deviationId,
            capaId,
            actions: actions.map((action) => ({
              description: action.description,
              owner: action.owner,
              dueDate: calendarDateAfter(now, action.dueInDays),
            })),
          },
          options('capa-proposed', 'qa', now),
        ),
      ),
      {
        // The sponsor's QA takes its time: the batch waits, visibly blocked, meanwhile.
        name: 'capa-approved',
        after: 4,
        sender: sponsorId,
        build: (now) => [
          events.event(
            sponsorId,
            'concord.deviation.capa-approved.v1',
            deviationId,
            {
              deviationId,
              capaId,
              signature: events.signature(
                sponsorId,
                'qa',
                now,
                'approval',
                'CAPA adequate to prevent recurrence; approved for the sponsor.',
              ),
            },
            options('capa-approved', 'qa', now),
          ),
        ],
      },
    );
  }
  if (blocksRelease(kind)) {
    steps.push({
      name: 'closure-approved',
      after: 4,
      sender: sponsorId,
      build: (now) => [
        events.event(
          sponsorId,
          'concord.deviation.closure-approved.v1',
          deviationId,
          {
            deviationId,
            signature: events.signature(
              sponsorId,
              'qa',
              now,
              'approval',
              `Investigation, impact assessment and CAPA reviewed; sponsor approves closure of this ${story.severity} deviation.`,
            ),
          },
          options('closure-approved', 'qa', now),
        ),
      ],
    });
  }
  steps.push(
    byCdmo(
      'closed',
      blocksRelease(kind) ? 1 : 2,
      (now) =>
        events.event(
          cdmoId,
          'concord.deviation.closed.v1',
          deviationId,
          {
            deviationId,
            conclusion: story.conclusion,
            signature: events.signature(
              cdmoId,
              'qa',
              now,
              'responsibility',
              blocksRelease(kind)
                ? 'Deviation closed per SOP-QA-030 after sponsor closure approval.'
                : 'Minor deviation closed per SOP-QA-030.',
            ),
          },
          options('closed', 'qa', now),
        ),
      'deviation-closed',
    ),
  );
  return steps;
}

/**
 * When a deviation was detected: long enough before the report for a late one to miss the
 * agreement's deadline for its severity (by most of a day), shortly before otherwise.
 */
export function detectedAtFor(
  kind: DeviationKind,
  partnership: WorldPartnership,
  now: Date,
): string {
  const hoursBefore =
    kind === 'major-late'
      ? partnership.notificationDeadlinesHours.major + 19
      : kind === 'critical'
        ? 3
        : kind === 'major'
          ? 5
          : 1;
  return new Date(now.getTime() - hoursBefore * 3_600_000).toISOString();
}
