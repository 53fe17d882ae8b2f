import { expect, it } from 'vitest';
import { InMemoryEventStore } from './in-memory-event-store.ts';
import { superviseSubscription } from './supervise.ts';

it('restarts a failing subscription from its checkpoint until it gets through', async () => {
  const store = new InMemoryEventStore();
  await store.append(
    'batch-1',
    [1, 2, 3].map((n) => ({ id: `e${n}`, type: 't', data: { n } })),
  );
  let failuresLeft = 2;
  const handled: string[] = [];
  const failures: number[] = [];
  const supervised = superviseSubscription(
    (onError) =>
      store.subscribe(
        'flaky',
        async (events) => {
          if (failuresLeft-- > 0) throw new Error('database restarting');
          handled.push(...events.map((e) => e.id));
        },
        { onError, pollIntervalMs: 20 },
      ),
    { initialDelayMs: 5, onFailure: (_error, wait) => failures.push(wait) },
  );
  // Waiting for a position outlives the runs that failed before reaching it.
  await supervised.waitFor(3n);
  expect(handled).toEqual(['e1', 'e2', 'e3']);
  expect(supervised.restarts).toBe(2);
  expect(failures).toEqual([5, 10]);
  expect(supervised.position).toBe(3n);
  await supervised.stop();
  await supervised.done;
});
