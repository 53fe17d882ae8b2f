import type { TopicPartitionOffsetAndMetadata } from 'kafkajs';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { CoalescedCommits } from './coalesced-commits.ts';

/** A consumer that records each OffsetCommit request it would send, failing while `failing`. */
function fakeConsumer() {
  const requests: TopicPartitionOffsetAndMetadata[][] = [];
  return {
    requests,
    failing: undefined as Error | undefined,
    async commitOffsets(offsets: TopicPartitionOffsetAndMetadata[]) {
      requests.push(offsets);
      await Promise.resolve();
      if (this.failing) throw this.failing;
    },
  };
}

const at = (topic: string, partition: number, offset: number) => ({
  topic,
  partition,
  offset: String(offset),
});

describe('CoalescedCommits', () => {
  it('commits the offsets asked for in the same turn in one request', async () => {
    const consumer = fakeConsumer();
    const commits = new CoalescedCommits();
    await Promise.all([
      commits.commit(consumer, at('acme.inbound', 0, 10)),
      commits.commit(consumer, at('acme.inbound', 1, 4)),
      commits.commit(consumer, at('globex.inbound', 0, 7)),
    ]);
    expect(consumer.requests).toEqual([
      [at('acme.inbound', 0, 10), at('acme.inbound', 1, 4), at('globex.inbound', 0, 7)],
    ]);
  });

  it('sends a partition its newest offset once, whatever the order of asking', async () => {
    const consumer = fakeConsumer();
    const commits = new CoalescedCommits();
    await Promise.all([
      commits.commit(consumer, at('acme.inbound', 0, 10)),
      commits.commit(consumer, at('acme.inbound', 0, 30)),
      commits.commit(consumer, at('acme.inbound', 0, 20)),
    ]);
    expect(consumer.requests).toEqual([[at('acme.inbound', 0, 30)]]);
  });

  it('sends what is asked in a later turn in a request of its own, after the first', async () => {
    const consumer = fakeConsumer();
    const commits = new CoalescedCommits();
    const first = commits.commit(consumer, at('acme.inbound', 0, 10));
    await nextTurn();
    const second = commits.commit(consumer, at('acme.inbound', 0, 11));
    await Promise.all([first, second]);
    expect(consumer.requests).toEqual([[at('acme.inbound', 0, 10)], [at('acme.inbound', 0, 11)]]);
  });

  it("keeps each consumer's offsets to itself", async () => {
    const before = fakeConsumer();
    const after = fakeConsumer();
    const commits = new CoalescedCommits();
    await Promise.all([
      commits.commit(before, at('acme.inbound', 0, 10)),
      commits.commit(after, at('acme.inbound', 1, 3)),
    ]);
    expect(before.requests).toEqual([[at('acme.inbound', 0, 10)]]);
    expect(after.requests).toEqual([[at('acme.inbound', 1, 3)]]);
  });

  it('fails every partition of a request that fails, and commits again afterwards', async () => {
    const consumer = fakeConsumer();
    const commits = new CoalescedCommits();
    consumer.failing = new Error('The group is rebalancing');
    const results = await Promise.allSettled([
      commits.commit(consumer, at('acme.inbound', 0, 10)),
      commits.commit(consumer, at('acme.inbound', 1, 4)),
    ]);
    expect(results.map((result) => result.status)).toEqual(['rejected', 'rejected']);
    expect((results[0] as PromiseRejectedResult).reason).toBe(consumer.failing);
    consumer.failing = undefined;
    await commits.commit(consumer, at('acme.inbound', 0, 10));
    expect(consumer.requests).toHaveLength(2);
  });
});
