import {
  evolveBatch,
  initialBatchState,
  toDomainEvent,
  type BatchEvent,
  type BatchState,
} from '@concord/domain';
import type { EventStore, RecordedEvent } from '@concord/event-store';
import { IngestPipeline } from '../ingest-pipeline.ts';
import { inMemoryOutcomeLog } from '../outcome-log.ts';
import type { Outcome } from '../outcome.ts';
import { reactTo } from '../process-manager.ts';
import { partnerFeed, type PartnerEvent } from './partner-feed.ts';
import { seedPartnerWorld, type PartnerWorld, type SeedOptions } from './partner-world.ts';

export interface PartnerExchange {
  world: PartnerWorld;
  feed: ReturnType<typeof partnerFeed>;
  /**
   * Ingests partner events in order, each on its sender's channel, then lets the deviation ↔
   * batch process manager react to what was recorded (as the running platform would), and
   * resolves to the outcomes. Throws when one is rejected, unless `allowRejections` is set.
   */
  publish(events: PartnerEvent[], options?: { allowRejections?: boolean }): Promise<Outcome[]>;
}

/**
 * A seeded world and the real ingest pipeline over `store`, without Kafka: the quickest way for
 * a suite to fill a store with a believable, signed, authorized exchange.
 */
export async function partnerExchange(
  store: EventStore,
  options: SeedOptions & { clock?: () => Date } = {},
): Promise<PartnerExchange> {
  const world = await seedPartnerWorld(store, options);
  const pipeline = new IngestPipeline({
    store,
    outcomes: inMemoryOutcomeLog(),
    ...(options.clock ? { clock: options.clock } : {}),
  });
  const feed = partnerFeed(world);
  let position = await store.headPosition();
  return {
    world,
    feed,
    async publish(events, { allowRejections = false } = {}) {
      const outcomes = await pipeline.ingestMany(
        events.map((event) => world.incoming(event, String(event.actororg))),
      );
      const refused = outcomes.filter((outcome) => outcome.status !== 'accepted');
      if (refused.length > 0 && !allowRejections)
        throw new Error(`refused by ingest: ${JSON.stringify(refused)}`);
      // Follow what was recorded to the end, letting the process manager react to it. Readers
      // see an event only once every older transaction on the server has ended, so on a busy
      // server the last positions may take a moment to become visible: wait for them.
      const target = outcomes.reduce(
        (max, outcome) =>
          outcome.status === 'accepted'
            ? outcome.positions.reduce((m, p) => (p > m ? p : m), max)
            : max,
        position,
      );
      const deadline = Date.now() + 30_000;
      for (;;) {
        const recorded = await store.readAll({ after: position, maxCount: 1_000 });
        if (recorded.length === 0) {
          if (position >= target) break;
          if (Date.now() > deadline)
            throw new Error(`position ${target} did not become visible within 30 s`);
          await new Promise((resolve) => setTimeout(resolve, 10));
          continue;
        }
        for (const event of recorded) await reactTo(store, event);
        position = recorded.at(-1)!.globalPosition;
      }
      return outcomes;
    },
  };
}

/** A batch's state as the domain folds it from the stored events (tests compare views with it). */
export function batchStateOf(events: readonly RecordedEvent[]): BatchState {
  return events.reduce(
    (folded, event) => evolveBatch(folded, toDomainEvent<BatchEvent>(event)),
    initialBatchState(),
  );
}
