import {
  batchDecider,
  evolveDeviationLinkage,
  initialDeviationLinkageState,
  reactToDeviation,
  toDomainEvent,
  type DeviationEvent,
} from '@concord/domain';
import type { EventStore, RecordedEvent, Subscription } from '@concord/event-store';
import { decideStreamCommands } from './command-handler.ts';

const TRIGGERS = new Set([
  'concord.deviation.reported.v1',
  'concord.deviation.classified.v1',
  'concord.deviation.closed.v1',
]);

/** The process manager's subscriber id: its checkpoint's name and its leader-election role. */
export const DEVIATION_BATCH_LINKER = 'process-manager-deviation-batch';

export interface ProcessManagerOptions {
  store: EventStore;
  /** @default 'process-manager-deviation-batch' */
  subscriberId?: string;
  /** Told about a batch command the batch refused (a shipped batch, say): recorded nowhere else. */
  onRefused?: (refusal: { streamId: string; type: string; error: unknown }) => void;
}

/**
 * The deviation ↔ batch process manager: follows the store and, when a deviation is reported,
 * reclassified or closed, records the link (and its severity) or its closure in each linked
 * batch's stream through the batch decider, so the batch knows what blocks its release. Its
 * commands carry ids derived from the triggering event, so replaying after a crash records
 * nothing twice.
 */
export function startDeviationBatchLinker(
  options: ProcessManagerOptions & { onError: (error: unknown) => void },
): Subscription {
  const { store } = options;
  return store.subscribe(
    options.subscriberId ?? DEVIATION_BATCH_LINKER,
    async (events) => {
      for (const event of events) await reactTo(store, event, options.onRefused);
    },
    { batchSize: 200, pollIntervalMs: 500, onError: options.onError },
  );
}

/** Handles one recorded event (exported for tests and for replays). */
export async function reactTo(
  store: EventStore,
  event: RecordedEvent,
  onRefused?: ProcessManagerOptions['onRefused'],
): Promise<void> {
  if (!event.streamId.startsWith('deviation-') || !TRIGGERS.has(event.type)) return;
  // A deviation's first event (its report) has nothing before it: no round trip to learn that.
  const before =
    event.streamVersion > 1
      ? await store.readStream(event.streamId, { maxCount: event.streamVersion - 1 })
      : [];
  const state = before
    .map((stored) => toDomainEvent<DeviationEvent>(stored))
    .reduce(evolveDeviationLinkage, initialDeviationLinkageState());
  for (const { streamId, command } of reactToDeviation(
    state,
    toDomainEvent<DeviationEvent>(event),
  )) {
    const [result] = await decideStreamCommands({
      store,
      streamId,
      decider: batchDecider,
      commands: [{ command, eventId: command.metadata.eventId }],
    });
    if (result?.status === 'refused')
      onRefused?.({ streamId, type: command.type, error: result.error });
  }
}
