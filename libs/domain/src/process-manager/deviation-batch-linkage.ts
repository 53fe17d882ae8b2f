import type { CloseDeviationLink, LinkDeviation } from '../batch/deviation-links.ts';
import type { DeviationEvent } from '../events/deviation-events.ts';
import type { EventMetadata } from '../events/event.ts';
import { platformActor, type CommandMetadata } from '../shared/command.ts';
import { DomainError } from '../shared/domain-error.ts';
import { streams } from '../shared/streams.ts';
import type { Id, Severity } from '../shared/vocabulary.ts';

/** What the linkage remembers per deviation: the batches it names and its current severity. */
export type DeviationLinkageState =
  | { status: 'unknown' }
  | { status: 'open'; deviationId: Id; linkedBatchIds: readonly Id[]; severity: Severity }
  | { status: 'closed'; deviationId: Id; linkedBatchIds: readonly Id[] };

/** A command for a batch stream (`batch-<batchId>`). */
export type BatchStreamCommand = {
  streamId: `batch-${string}`;
  command: LinkDeviation | CloseDeviationLink;
};

export const initialDeviationLinkageState = (): DeviationLinkageState => ({ status: 'unknown' });

export function evolveDeviationLinkage(
  state: DeviationLinkageState,
  event: DeviationEvent,
): DeviationLinkageState {
  switch (event.type) {
    case 'concord.deviation.reported.v1':
      return {
        status: 'open',
        deviationId: event.data.deviationId,
        linkedBatchIds: event.data.linkedBatchIds,
        severity: event.data.severity,
      };
    case 'concord.deviation.classified.v1':
      return state.status === 'open' ? { ...state, severity: event.data.severity } : state;
    case 'concord.deviation.closed.v1':
      return state.status === 'open'
        ? { status: 'closed', deviationId: state.deviationId, linkedBatchIds: state.linkedBatchIds }
        : state;
    case 'concord.deviation.reported-late.v1':
    case 'concord.deviation.due-dates-set.v1':
    case 'concord.deviation.deadline-due-soon.v1':
    case 'concord.deviation.deadline-overdue.v1':
    case 'concord.deviation.investigation-updated.v1':
    case 'concord.deviation.root-cause-identified.v1':
    case 'concord.deviation.batch-impact-assessed.v1':
    case 'concord.deviation.capa-proposed.v1':
    case 'concord.deviation.capa-approved.v1':
    case 'concord.deviation.closure-approved.v1':
    case 'concord.correction.recorded.v1':
      return state;
    default: {
      const _exhaustive: never = event;
      return state;
    }
  }
}

function commandMetadata(source: EventMetadata, batchId: Id): CommandMetadata {
  return {
    // Derived from the triggering event, so a redelivered deviation event yields the same ids
    // and the store recognizes the duplicate.
    eventId: `${source.id}:link:${batchId}`,
    actor: platformActor,
    occurredAt: source.time,
    recordedAt: source.recordedtime,
    correlationId: source.correlationid ?? source.id,
    causationId: source.id,
  };
}

/**
 * Reacts to a recorded deviation event (`state` is the linkage before it): a report links the
 * deviation to each named batch, a reclassification updates the severity there, a closure closes
 * the links. The batch decider then knows which linked deviations are open and how severe.
 */
export function reactToDeviation(
  state: DeviationLinkageState,
  event: DeviationEvent,
): BatchStreamCommand[] {
  const metadata = event.metadata;
  const needsMetadata =
    event.type === 'concord.deviation.reported.v1' ||
    event.type === 'concord.deviation.classified.v1' ||
    event.type === 'concord.deviation.closed.v1';
  if (!needsMetadata) return [];
  if (metadata === undefined) {
    throw new DomainError(
      'process-manager.missing-metadata',
      `The deviation-batch linkage needs the metadata of ${event.type}.`,
      { type: event.type },
    );
  }
  const link = (deviationId: Id, batchIds: readonly Id[], severity: Severity) =>
    batchIds.map(
      (batchId): BatchStreamCommand => ({
        streamId: streams.batch(batchId),
        command: {
          type: 'concord.batch.deviation-linked.v1',
          data: { batchId, deviationId, severity },
          metadata: commandMetadata(metadata, batchId),
          context: {},
        },
      }),
    );
  switch (event.type) {
    case 'concord.deviation.reported.v1':
      if (state.status !== 'unknown') return [];
      return link(event.data.deviationId, event.data.linkedBatchIds, event.data.severity);
    case 'concord.deviation.classified.v1':
      if (state.status !== 'open' || state.severity === event.data.severity) return [];
      return link(state.deviationId, state.linkedBatchIds, event.data.severity);
    case 'concord.deviation.closed.v1':
      if (state.status !== 'open') return [];
      return state.linkedBatchIds.map((batchId) => ({
        streamId: streams.batch(batchId),
        command: {
          type: 'concord.batch.deviation-link-closed.v1',
          data: { batchId, deviationId: state.deviationId },
          metadata: commandMetadata(metadata, batchId),
          context: {},
        },
      }));
    default: {
      const _exhaustive: never = event;
      return [];
    }
  }
}

/** The deviation ↔ batch process manager: pure state, evolve and reaction. */
export const deviationBatchLinkage = {
  initialState: initialDeviationLinkageState,
  evolve: evolveDeviationLinkage,
  react: reactToDeviation,
};
