import type { DeviationEvent, DeviationEventType } from '../events/deviation-events.ts';
import { NOTHING_SEEN, rememberEvent, type SeenEvents } from '../shared/correction.ts';
import { DomainError } from '../shared/domain-error.ts';
import { isMajorOrCritical, type Id, type Instant, type Severity } from '../shared/vocabulary.ts';
import { warningKey, type DueDates } from './deadlines.ts';

export type DeviationFacts = {
  deviationId: Id;
  agreementId: Id;
  productId: Id;
  severity: Severity;
  linkedBatchIds: readonly Id[];
  capaId?: Id;
  seen: SeenEvents;
  /** When it was detected: due dates count from it. */
  detectedAt?: Instant;
  /** The due dates in force (the stream's last `due-dates-set`), if the agreement sets any. */
  dueDates?: DueDates;
  /** The deadline warnings given (see `warningKey`), each given once. */
  warned?: readonly string[];
};

export type DeviationState =
  | { status: 'empty' }
  | ({ status: 'reported' } & DeviationFacts)
  | ({ status: 'classified' } & DeviationFacts)
  | ({ status: 'under-investigation' } & DeviationFacts)
  | ({ status: 'root-cause-identified' } & DeviationFacts)
  | ({ status: 'impact-assessed' } & DeviationFacts)
  | ({ status: 'capa-proposed' } & DeviationFacts)
  | ({ status: 'capa-approved' } & DeviationFacts)
  | ({ status: 'closure-approved' } & DeviationFacts)
  | ({ status: 'closed' } & DeviationFacts);

export type DeviationStatus = DeviationState['status'];
export type ReportedDeviation = Exclude<DeviationState, { status: 'empty' }>;

export const initialDeviationState = (): DeviationState => ({ status: 'empty' });

/** The partner acts the deviation lifecycle orders. */
export type DeviationLifecycleAct = Exclude<
  DeviationEventType,
  | 'concord.deviation.reported.v1'
  | 'concord.deviation.reported-late.v1'
  | 'concord.deviation.due-dates-set.v1'
  | 'concord.deviation.deadline-due-soon.v1'
  | 'concord.deviation.deadline-overdue.v1'
  | 'concord.correction.recorded.v1'
>;

const from =
  (...statuses: DeviationStatus[]) =>
  (state: ReportedDeviation) =>
    statuses.includes(state.status);

/**
 * Where the outcome can be approved for closure: after the CAPA approval; a minor deviation may
 * need no CAPA and may be closed from its impact assessment.
 */
export function outcomeReady(state: ReportedDeviation): boolean {
  return isMajorOrCritical(state.severity)
    ? state.status === 'capa-approved'
    : state.status === 'impact-assessed' || state.status === 'capa-approved';
}

/** From classification until the outcome is approved for closure: the investigation is open. */
const UNTIL_CLOSURE_APPROVAL: readonly DeviationStatus[] = [
  'classified',
  'under-investigation',
  'root-cause-identified',
  'impact-assessed',
  'capa-proposed',
  'capa-approved',
];

/**
 * When each act may come next: the one rule the acts check, and what an out-of-order refusal
 * names instead. Classification may be revised and the investigation updated until the outcome
 * is approved for closure; root cause and impact assessment until the CAPA is proposed; a
 * revised CAPA proposal replaces an unapproved one; a major or critical deviation closes only
 * after the sponsor approved the closure.
 */
export const deviationLifecycle: {
  readonly [Act in DeviationLifecycleAct]: (state: ReportedDeviation) => boolean;
} = {
  'concord.deviation.classified.v1': from('reported', ...UNTIL_CLOSURE_APPROVAL),
  'concord.deviation.investigation-updated.v1': from(...UNTIL_CLOSURE_APPROVAL),
  'concord.deviation.root-cause-identified.v1': from(
    'under-investigation',
    'root-cause-identified',
  ),
  'concord.deviation.batch-impact-assessed.v1': from('root-cause-identified', 'impact-assessed'),
  'concord.deviation.capa-proposed.v1': from('impact-assessed', 'capa-proposed'),
  'concord.deviation.capa-approved.v1': from('capa-proposed'),
  'concord.deviation.closure-approved.v1': outcomeReady,
  'concord.deviation.closed.v1': (state) =>
    state.status === 'closure-approved' ||
    (!isMajorOrCritical(state.severity) && outcomeReady(state)),
};

/** The lifecycle acts that may come next. */
export function nextDeviationActs(state: DeviationState): string[] {
  if (state.status === 'empty') return ['concord.deviation.reported.v1'];
  return Object.entries(deviationLifecycle)
    .filter(([, allowed]) => allowed(state))
    .map(([type]) => type);
}

export function outOfOrder(type: string, state: DeviationState): DomainError {
  if (state.status === 'closed') {
    return new DomainError(
      'deviation.already-closed',
      `Deviation ${state.deviationId} is closed (a correction is still accepted).`,
      { type, next: [] },
    );
  }
  const next = nextDeviationActs(state);
  return new DomainError(
    'deviation.out-of-order',
    `${type} cannot be recorded while the deviation is ${state.status}. What may come next: ${next.join(', ')}.`,
    { type, status: state.status, next },
  );
}

/** Refuses an act its lifecycle does not allow now, naming what may come next instead. */
export function assertInLifecycle(type: DeviationLifecycleAct, state: ReportedDeviation): void {
  if (!deviationLifecycle[type](state)) throw outOfOrder(type, state);
}

export function evolveDeviation(state: DeviationState, event: DeviationEvent): DeviationState {
  if (event.type === 'concord.deviation.reported.v1') {
    if (state.status !== 'empty') return state;
    const { deviationId, agreementId, productId, severity, linkedBatchIds, detectedAt } =
      event.data;
    return {
      status: 'reported',
      deviationId,
      agreementId,
      productId,
      severity,
      linkedBatchIds,
      detectedAt,
      seen: rememberEvent(NOTHING_SEEN, event),
    };
  }
  if (state.status === 'empty') return state;
  const known = { ...state, seen: rememberEvent(state.seen, event) };
  switch (event.type) {
    case 'concord.deviation.reported-late.v1':
      return known;
    case 'concord.deviation.due-dates-set.v1':
      return { ...known, dueDates: event.data };
    case 'concord.deviation.deadline-due-soon.v1':
    case 'concord.deviation.deadline-overdue.v1':
      return { ...known, warned: [...(state.warned ?? []), warningKey(event)] };
    case 'concord.deviation.classified.v1':
      return {
        ...known,
        severity: event.data.severity,
        status: state.status === 'reported' ? 'classified' : state.status,
      };
    case 'concord.deviation.investigation-updated.v1':
      return {
        ...known,
        status: state.status === 'classified' ? 'under-investigation' : state.status,
      };
    case 'concord.deviation.root-cause-identified.v1':
      return { ...known, status: 'root-cause-identified' };
    case 'concord.deviation.batch-impact-assessed.v1':
      return { ...known, status: 'impact-assessed' };
    case 'concord.deviation.capa-proposed.v1':
      return { ...known, status: 'capa-proposed', capaId: event.data.capaId };
    case 'concord.deviation.capa-approved.v1':
      return { ...known, status: 'capa-approved' };
    case 'concord.deviation.closure-approved.v1':
      return { ...known, status: 'closure-approved' };
    case 'concord.deviation.closed.v1':
      return { ...known, status: 'closed' };
    case 'concord.correction.recorded.v1':
      return known;
    default: {
      const _exhaustive: never = event;
      return state;
    }
  }
}
