import type { BatchEvent, BatchEventType, DispositionDecision } from '../events/batch-events.ts';
import { NOTHING_SEEN, rememberEvent, type SeenEvents } from '../shared/correction.ts';
import { DomainError } from '../shared/domain-error.ts';
import { isMajorOrCritical, type Id, type Severity } from '../shared/vocabulary.ts';

export type OosStatus = 'open' | 'invalidated' | 'confirmed';

/** What every scheduled batch knows, whatever its status. */
export type BatchFacts = {
  batchId: Id;
  batchNumber: string;
  productId: Id;
  agreementId: Id;
  sponsorId: Id;
  cdmoId: Id;
  seen: SeenEvents;
  /** Open linked deviations and their current severity (kept by the process manager). */
  openDeviations: Readonly<Record<Id, Severity>>;
  oosInvestigations: Readonly<Record<Id, OosStatus>>;
  qcResultIds: readonly Id[];
  coaId?: Id;
};

export type BatchState =
  | { status: 'empty' }
  | ({ status: 'scheduled' } & BatchFacts)
  | ({ status: 'in-manufacture' } & BatchFacts)
  | ({ status: 'held' } & BatchFacts)
  | ({ status: 'aborted' } & BatchFacts)
  | ({ status: 'manufacturing-complete' } & BatchFacts)
  | ({ status: 'record-reviewed' } & BatchFacts)
  | ({ status: 'qc-testing' } & BatchFacts)
  | ({ status: 'coa-issued' } & BatchFacts)
  | ({ status: 'dispositioned'; decision: DispositionDecision } & BatchFacts)
  | ({ status: 'qp-certified'; registerEntryId: Id } & BatchFacts)
  | ({ status: 'shipped'; shipmentId: Id } & BatchFacts);

export type BatchStatus = BatchState['status'];
export type ScheduledBatch = Exclude<BatchState, { status: 'empty' }>;

export const initialBatchState = (): BatchState => ({ status: 'empty' });

/**
 * The lifecycle as a graph: the statuses each status may move to. Events that keep the status
 * (corrections, deviation links, OOS, a returned record review, a re-disposition) are not listed.
 */
export const batchTransitions: Readonly<Record<BatchStatus, readonly BatchStatus[]>> = {
  empty: ['scheduled'],
  scheduled: ['in-manufacture', 'aborted'],
  'in-manufacture': ['held', 'aborted', 'manufacturing-complete'],
  held: ['in-manufacture', 'aborted'],
  aborted: [],
  'manufacturing-complete': ['record-reviewed'],
  'record-reviewed': ['qc-testing'],
  'qc-testing': ['coa-issued', 'dispositioned'],
  'coa-issued': ['dispositioned'],
  dispositioned: ['qp-certified'],
  'qp-certified': ['shipped'],
  shipped: [],
};

export function facts(state: ScheduledBatch): BatchFacts {
  const {
    batchId,
    batchNumber,
    productId,
    agreementId,
    sponsorId,
    cdmoId,
    seen,
    openDeviations,
    oosInvestigations,
    qcResultIds,
    coaId,
  } = state;
  const result: BatchFacts = {
    batchId,
    batchNumber,
    productId,
    agreementId,
    sponsorId,
    cdmoId,
    seen,
    openDeviations,
    oosInvestigations,
    qcResultIds,
  };
  if (coaId !== undefined) result.coaId = coaId;
  return result;
}

/** What refuses release outright; the read model lists the same, and the remaining steps. */
export type ReleaseBlock =
  | { kind: 'open-deviation'; reference: Id; severity: Severity }
  | { kind: 'open-oos'; reference: Id }
  | { kind: 'confirmed-oos'; reference: Id };

/** Most serious first. */
const SEVERITY_ORDER: readonly Severity[] = ['critical', 'major', 'minor'];

/**
 * Everything that blocks release, QA disposition and QP certification, most serious first: each
 * linked major or critical deviation that is open, each OOS investigation that is open, each
 * that confirmed an out-of-specification result. The one statement of the rule: the deciders
 * refuse with it, and the read model's readiness shows it.
 */
export function releaseBlocks(
  facts: Pick<BatchFacts, 'openDeviations' | 'oosInvestigations'>,
): ReleaseBlock[] {
  const deviations = Object.entries(facts.openDeviations)
    .filter(([, severity]) => isMajorOrCritical(severity))
    .sort(
      ([a, severityA], [b, severityB]) =>
        SEVERITY_ORDER.indexOf(severityA) - SEVERITY_ORDER.indexOf(severityB) || a.localeCompare(b),
    )
    .map(
      ([reference, severity]): ReleaseBlock => ({ kind: 'open-deviation', reference, severity }),
    );
  const investigations = Object.entries(facts.oosInvestigations).sort(([a], [b]) =>
    a.localeCompare(b),
  );
  const oos = (status: OosStatus, kind: 'open-oos' | 'confirmed-oos') =>
    investigations
      .filter(([, current]) => current === status)
      .map(([reference]): ReleaseBlock => ({ kind, reference }));
  return [...deviations, ...oos('open', 'open-oos'), ...oos('confirmed', 'confirmed-oos')];
}

export function investigationsWith(state: BatchFacts, status: OosStatus): Id[] {
  return Object.entries(state.oosInvestigations)
    .filter(([, current]) => current === status)
    .map(([investigationId]) => investigationId);
}

/** The invariant behind release, conditional release and QP certification: no release block. */
export function assertNothingBlocksRelease(state: BatchFacts, act: string): void {
  const blocks = releaseBlocks(state);
  const first = blocks[0];
  if (first === undefined) return;
  const references = blocks.filter((block) => block.kind === first.kind).map((b) => b.reference);
  const listed = references.join(', ');
  if (first.kind === 'open-deviation') {
    throw new DomainError(
      'batch.release-blocked.open-deviation',
      `${act} is blocked: linked deviation ${listed} (major or critical) is open.`,
      { batchId: state.batchId, deviationIds: references },
    );
  }
  throw new DomainError(
    `batch.release-blocked.${first.kind}`,
    first.kind === 'open-oos'
      ? `${act} is blocked: OOS investigation ${listed} is open.`
      : `${act} is blocked: OOS investigation ${listed} confirmed an out-of-specification result.`,
    { batchId: state.batchId, investigationIds: references },
  );
}

/** The partner acts the batch lifecycle orders (the others are accepted at any time). */
export type BatchLifecycleAct = Exclude<
  BatchEventType,
  | 'concord.batch.scheduled.v1'
  | 'concord.batch.oos-investigation-opened.v1'
  | 'concord.batch.deviation-linked.v1'
  | 'concord.batch.deviation-link-closed.v1'
  | 'concord.correction.recorded.v1'
>;

const manufacturing =
  (...statuses: BatchStatus[]) =>
  (state: ScheduledBatch) =>
    statuses.includes(state.status);

/**
 * When each act may come next: the one rule the acts check, and what an out-of-order refusal
 * names as the steps that may follow instead. A batch can be abandoned before it starts, while
 * running or on hold, never after; the CoA may come before or after the disposition; quarantine
 * and conditional release are not final; QP certification follows a release.
 */
export const batchLifecycle: {
  readonly [Act in BatchLifecycleAct]: (state: ScheduledBatch) => boolean;
} = {
  'concord.batch.manufacturing-started.v1': manufacturing('scheduled'),
  'concord.batch.manufacturing-held.v1': manufacturing('in-manufacture'),
  'concord.batch.manufacturing-resumed.v1': manufacturing('held'),
  'concord.batch.manufacturing-aborted.v1': manufacturing('scheduled', 'in-manufacture', 'held'),
  'concord.batch.manufacturing-completed.v1': manufacturing('in-manufacture'),
  'concord.batch.record-reviewed.v1': manufacturing('manufacturing-complete'),
  'concord.batch.qc-result-recorded.v1': manufacturing('record-reviewed', 'qc-testing'),
  'concord.batch.oos-resolved.v1': (state) =>
    Object.values(state.oosInvestigations).includes('open'),
  'concord.batch.coa-issued.v1': (state) =>
    state.status === 'qc-testing' ||
    (state.status === 'dispositioned' && state.coaId === undefined),
  'concord.batch.disposition-recorded.v1': (state) =>
    state.status === 'qc-testing' ||
    state.status === 'coa-issued' ||
    (state.status === 'dispositioned' &&
      (state.decision === 'quarantined' || state.decision === 'conditionally-released')),
  'concord.batch.qp-certified.v1': (state) =>
    state.status === 'dispositioned' && state.decision === 'released',
  'concord.batch.shipped.v1': manufacturing('qp-certified'),
  'concord.batch.shipped.v2': manufacturing('qp-certified'),
};

/** The lifecycle acts that may come next. */
export function nextBatchActs(state: BatchState): string[] {
  if (state.status === 'empty') return ['concord.batch.scheduled.v1'];
  return Object.entries(batchLifecycle)
    .filter(([, allowed]) => allowed(state))
    .map(([type]) => type);
}

export function outOfOrder(type: string, state: BatchState): DomainError {
  const next = nextBatchActs(state);
  return new DomainError(
    'batch.out-of-order',
    `${type} cannot be recorded while the batch is ${state.status}. ${
      next.length === 0
        ? 'Its lifecycle has ended (a correction is still accepted).'
        : `What may come next: ${next.join(', ')}.`
    }`,
    { type, status: state.status, next },
  );
}

/** Refuses an act its lifecycle does not allow now, naming what may come next instead. */
export function assertInLifecycle(type: BatchLifecycleAct, state: ScheduledBatch): void {
  if (!batchLifecycle[type](state)) throw outOfOrder(type, state);
}

export function evolveBatch(state: BatchState, event: BatchEvent): BatchState {
  if (event.type === 'concord.batch.scheduled.v1') {
    if (state.status !== 'empty') return state;
    const { batchId, batchNumber, productId, agreementId, sponsorId, cdmoId } = event.data;
    return {
      status: 'scheduled',
      batchId,
      batchNumber,
      productId,
      agreementId,
      sponsorId,
      cdmoId,
      seen: rememberEvent(NOTHING_SEEN, event),
      openDeviations: {},
      oosInvestigations: {},
      qcResultIds: [],
    };
  }
  if (state.status === 'empty') return state;
  const known: BatchFacts = { ...facts(state), seen: rememberEvent(state.seen, event) };
  switch (event.type) {
    case 'concord.batch.manufacturing-started.v1':
    case 'concord.batch.manufacturing-resumed.v1':
      return { ...known, status: 'in-manufacture' };
    case 'concord.batch.manufacturing-held.v1':
      return { ...known, status: 'held' };
    case 'concord.batch.manufacturing-aborted.v1':
      return { ...known, status: 'aborted' };
    case 'concord.batch.manufacturing-completed.v1':
      return { ...known, status: 'manufacturing-complete' };
    case 'concord.batch.record-reviewed.v1':
      return event.data.outcome === 'approved'
        ? { ...known, status: 'record-reviewed' }
        : { ...state, ...known };
    case 'concord.batch.qc-result-recorded.v1':
      return {
        ...known,
        status: 'qc-testing',
        qcResultIds: [...known.qcResultIds, event.data.resultId],
      };
    case 'concord.batch.oos-investigation-opened.v1':
      return {
        ...state,
        ...known,
        oosInvestigations: { ...known.oosInvestigations, [event.data.investigationId]: 'open' },
      };
    case 'concord.batch.oos-resolved.v1':
      return {
        ...state,
        ...known,
        oosInvestigations: {
          ...known.oosInvestigations,
          [event.data.investigationId]: event.data.outcome,
        },
      };
    case 'concord.batch.coa-issued.v1':
      return state.status === 'dispositioned'
        ? { ...state, ...known, coaId: event.data.coaId }
        : { ...known, status: 'coa-issued', coaId: event.data.coaId };
    case 'concord.batch.disposition-recorded.v1':
      return { ...known, status: 'dispositioned', decision: event.data.decision };
    case 'concord.batch.qp-certified.v1':
      return { ...known, status: 'qp-certified', registerEntryId: event.data.registerEntryId };
    case 'concord.batch.shipped.v1':
    case 'concord.batch.shipped.v2':
      return { ...known, status: 'shipped', shipmentId: event.data.shipmentId };
    case 'concord.batch.deviation-linked.v1':
      return {
        ...state,
        ...known,
        openDeviations: { ...known.openDeviations, [event.data.deviationId]: event.data.severity },
      };
    case 'concord.batch.deviation-link-closed.v1': {
      const { [event.data.deviationId]: _closed, ...stillOpen } = known.openDeviations;
      return { ...state, ...known, openDeviations: stillOpen };
    }
    case 'concord.correction.recorded.v1':
      // A correction is recorded, never applied: the lifecycle stays where it is.
      return { ...state, ...known };
    default: {
      const _exhaustive: never = event;
      return state;
    }
  }
}
