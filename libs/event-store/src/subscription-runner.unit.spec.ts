import { describe, expect, it } from 'vitest';
import { runSubscription, type SubscriptionSource } from './subscription-runner.ts';
import type { RecordedEvent } from './types.ts';

const event = (position: bigint): RecordedEvent => ({
  id: `e-${position}`,
  type: 'test.happened.v1',
  data: {},
  metadata: {},
  streamId: 's-1',
  streamVersion: Number(position),
  globalPosition: position,
  recordedAt: '2026-01-01T00:00:00.000Z',
  hash: 'h',
  previousHash: null,
});

/**
 * A store whose event 1 was announced (its transaction committed and notified) but is not yet
 * readable (an older transaction elsewhere still runs), as PostgreSQL's visibility rule has it.
 */
function announcedButHidden(readsBeforeVisible: number) {
  let reads = 0;
  const handled: bigint[] = [];
  const source: SubscriptionSource = {
    loadCheckpoint: async () => 0n,
    read: async (after) => (++reads > readsBeforeVisible && after < 1n ? [event(1n)] : []),
    handle: async (events) => {
      handled.push(...events.map((e) => e.globalPosition));
      return events.at(-1)!.globalPosition;
    },
    // The one notification came before the event was readable: nothing else will wake the loop.
    waitForChange: (timeoutMs, signal) =>
      new Promise((resolve) => {
        const timer = setTimeout(resolve, timeoutMs);
        signal.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
      }),
    announcedHead: () => 1n,
  };
  return { source, handled, reads: () => reads };
}

describe('the subscription loop', () => {
  it('follows announced events that are not readable yet without waiting for the poll interval', async () => {
    const { source, handled, reads } = announcedButHidden(3);
    // An hour's poll interval: only following the announcement can hand the event over.
    const subscription = runSubscription(source, { pollIntervalMs: 3_600_000 });
    await subscription.waitFor(1n);
    await subscription.stop();
    expect(handled).toEqual([1n]);
    expect(reads()).toBeGreaterThan(3);
  });

  it('waits for a change when nothing beyond its position was announced', async () => {
    const { source, reads } = announcedButHidden(Number.POSITIVE_INFINITY);
    let asleep!: () => void;
    const fellAsleep = new Promise<void>((resolve) => (asleep = resolve));
    const subscription = runSubscription(
      {
        ...source,
        announcedHead: () => 0n,
        waitForChange: (timeoutMs, signal) => {
          asleep();
          return source.waitForChange(timeoutMs, signal);
        },
      },
      { pollIntervalMs: 3_600_000 },
    );
    await fellAsleep;
    await subscription.stop();
    // One read, then asleep until a change: no busy loop.
    expect(reads()).toBe(1);
  });

  it('after a short batch, waits for the next announcement instead of reading again', async () => {
    let reads = 0;
    let announced = 2n;
    let wake: () => void = () => undefined;
    let sleeps = 0;
    const handled: bigint[] = [];
    const subscription = runSubscription(
      {
        loadCheckpoint: async () => 0n,
        read: async (after) => {
          reads += 1;
          return [1n, 2n, 3n].filter((p) => p > after && p <= announced).map(event);
        },
        handle: async (events) => {
          handled.push(...events.map((e) => e.globalPosition));
          return events.at(-1)!.globalPosition;
        },
        waitForChange: (_timeoutMs, signal) =>
          new Promise((resolve) => {
            wake = resolve;
            sleeps += 1;
            signal.addEventListener('abort', () => resolve(), { once: true });
          }),
        announcedHead: () => announced,
      },
      { batchSize: 10, pollIntervalMs: 3_600_000 },
    );
    // Events 1 and 2, announced and read in one short batch: handled, then asleep, one read.
    await subscription.waitFor(2n);
    await expect.poll(() => sleeps).toBe(1);
    expect(reads).toBe(1);
    // Event 3 is announced: the loop wakes, reads it, and sleeps again, again one read.
    announced = 3n;
    wake();
    await subscription.waitFor(3n);
    await expect.poll(() => sleeps).toBe(2);
    await subscription.stop();
    expect(handled).toEqual([1n, 2n, 3n]);
    expect(reads).toBe(2);
  });
});
