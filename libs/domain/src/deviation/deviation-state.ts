import type { DeviationEvent } from '../events/deviation-events.ts';
import { rememberEvent, type SeenEvents } from '../shared/correction.ts';
import { DomainError } from '../shared/domain-error.ts';
import type { Id, Severity } from '../shared/vocabulary.ts';

export type DeviationFacts = {
  deviationId: Id;
  agreementId: Id;
  productId: Id;
  severity: Severity;
  linkedBatchIds: readonly Id[];
  capaId?: Id;
  seen: SeenEvents;
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

export function outOfOrder(type: string, state: DeviationState): DomainError {
  if (state.status === 'closed') {
    return new DomainError(
      'deviation.already-closed',
      `Deviation ${state.deviationId} is closed.`,
      {
        type,
      },
    );
  }
  return new DomainError(
    'deviation.out-of-order',
    `${type} cannot be recorded while the deviation is ${state.status}.`,
    { type, status: state.status },
  );
}

export function evolveDeviation(state: DeviationState, event: DeviationEvent): DeviationState {
  if (event.type === 'concord.deviation.reported.v1') {
    if (state.status !== 'empty') return state;
    const { deviationId, agreementId, productId, severity, linkedBatchIds } = event.data;
    return {
      status: 'reported',
      deviationId,
      agreementId,
      productId,
      severity,
      linkedBatchIds,
      seen: rememberEvent({}, event),
    };
  }
  if (state.status === 'empty') return state;
  const known = { ...state, seen: rememberEvent(state.seen, event) };
  switch (event.type) {
    case 'concord.deviation.reported-late.v1':
      return known;
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
