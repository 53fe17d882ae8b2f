import { InMemoryEventStore } from '@concord/event-store';
import { waitFor } from '@concord/test-infra';
import { pino } from 'pino';
import { expect, it } from 'vitest';
import { supervise } from './supervise.ts';

it('restarts a failing subscription from its checkpoint until it gets through', async () => {
  const store = new InMemoryEventStore();
  await store.append(
    'batch-1',
    [1, 2, 3].map((n) => ({ id: `e${n}`, type: 't', data: { n } })),
  );
  let failuresLeft = 2;
  const handled: string[] = [];
  const supervised = supervise(
    'test',
    (onError) =>
      store.subscribe(
        'flaky',
        async (events) => {
          if (failuresLeft-- > 0) throw new Error('database restarting');
          handled.push(...events.map((e) => e.id));
        },
        { onError, pollIntervalMs: 20 },
      ),
    pino({ level: 'silent' }),
    { initialDelayMs: 5 },
  );
  await waitFor(() => handled.length === 3, { description: 'the events after two failures' });
  expect(handled).toEqual(['e1', 'e2', 'e3']);
  expect(supervised.restarts).toBe(2);
  await supervised.stop();
});
