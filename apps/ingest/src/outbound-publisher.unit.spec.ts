import { decodeKafkaRecord } from '@concord/contract';
import { decorateStore, InMemoryEventStore, superviseSubscription } from '@concord/event-store';
import {
  CDMO,
  OTHER_CDMO,
  OTHER_SPONSOR,
  PAIR_A,
  PAIR_B,
  partnerExchange,
  SPONSOR,
} from '@concord/ingest/test-support';
import type { Producer, ProducerBatch } from 'kafkajs';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { IngestMetrics } from './metrics.ts';
import { OutboundPublisher, OutboundSendTimeoutError } from './outbound-publisher.ts';
import { topics } from './topics.ts';

describe('the outbound publisher', () => {
  it("sends each event to its parties' topics only, reading nothing to know a new batch's parties", async () => {
    const memory = new InMemoryEventStore();
    const exchange = await partnerExchange(memory, { secondPair: true });
    const { batch, deviation } = exchange.feed;
    const [A, B, DEVIATION] = [`${CDMO}:b-out-1`, `${OTHER_CDMO}:b-out-2`, `${CDMO}:dev-out-1`];
    const a = batch(PAIR_A, A);
    const b = batch(PAIR_B, B);
    await exchange.publish([
      a.scheduled('2026-04-01T08:00:00Z'),
      b.scheduled('2026-04-01T08:00:00Z'),
      a.started('2026-04-02T08:00:00Z'),
      deviation(PAIR_A, DEVIATION).reported(
        '2026-04-03T08:00:00Z',
        'minor',
        [A],
        '2026-04-03T08:00:00Z',
      ),
    ]);
    const read: string[] = [];
    const store = decorateStore(memory, {
      readStream: (streamId, options) => {
        read.push(streamId);
        return memory.readStream(streamId, options);
      },
    });
    const sent = new Map<string, string[]>();
    const producer = {
      async sendBatch({ topicMessages = [] }: ProducerBatch) {
        for (const { topic, messages } of topicMessages)
          for (const message of messages) {
            const decoded = decodeKafkaRecord({
              ...message,
              value: message.value as Buffer,
              headers: message.headers ?? {},
            } as never);
            if (!decoded.ok) throw new Error(`undecodable record on ${topic}`);
            const subject = String(decoded.event.subject);
            sent.set(subject, [...(sent.get(subject) ?? []), topic]);
          }
        return [];
      },
    } as unknown as Producer;
    const publisher = new OutboundPublisher({
      store,
      producer,
      topics: topics('t'),
      metrics: new IngestMetrics(),
      logger: pino({ level: 'silent' }),
    });
    const subscription = publisher.start((error) => {
      throw error;
    });
    try {
      await subscription.waitFor(await memory.headPosition());
    } finally {
      await publisher.stop();
    }
    const pairA = [`t.out.${SPONSOR}`, `t.out.${CDMO}`];
    const pairB = [`t.out.${OTHER_SPONSOR}`, `t.out.${OTHER_CDMO}`];
    expect(new Set(sent.get(A))).toEqual(new Set(pairA));
    // Each of its events (the partner's and those the platform derived), to both parties.
    expect(sent.get(A)).toHaveLength(2 * (await memory.readStream(`batch-${A}`)).length);
    expect(new Set(sent.get(B))).toEqual(new Set(pairB));
    expect(new Set(sent.get(DEVIATION))).toEqual(new Set(pairA));
    // The batches' parties came from their first events; only agreements were read (once each).
    expect(read.filter((streamId) => streamId.startsWith('batch-'))).toEqual([]);
    expect(new Set(read).size).toBe(read.length);
  });

  it('gives up on a send Kafka never acknowledges, and its supervisor publishes from the checkpoint', async () => {
    const memory = new InMemoryEventStore();
    const exchange = await partnerExchange(memory);
    const A = `${CDMO}:b-out-stuck`;
    await exchange.publish([exchange.feed.batch(PAIR_A, A).scheduled('2026-04-01T08:00:00Z')]);
    const head = await memory.headPosition();
    let sends = 0;
    const delivered: string[] = [];
    // The first send hangs for good (a wedged connection); the ones after it are acknowledged.
    const producer = {
      sendBatch({ topicMessages = [] }: ProducerBatch) {
        if (sends++ === 0) return new Promise(() => undefined);
        for (const { topic, messages } of topicMessages)
          delivered.push(...messages.map(() => topic));
        return Promise.resolve([]);
      },
    } as unknown as Producer;
    const failures: unknown[] = [];
    const publisher = new OutboundPublisher({
      store: memory,
      producer,
      topics: topics('t'),
      metrics: new IngestMetrics(),
      logger: pino({ level: 'silent' }),
      sendTimeoutMs: 100,
    });
    const supervised = superviseSubscription((onError) => publisher.start(onError), {
      initialDelayMs: 10,
      onFailure: (error) => failures.push(error),
    });
    try {
      await supervised.waitFor(head);
    } finally {
      await supervised.stop();
    }
    expect(failures).toHaveLength(1);
    expect(failures[0]).toBeInstanceOf(OutboundSendTimeoutError);
    expect(String(failures[0])).toMatch(/did not acknowledge \d+ events .* within 100 ms/);
    expect(sends).toBeGreaterThanOrEqual(2);
    // What the hung send held is published after the restart (the batch's parties among them).
    expect(delivered).toEqual(expect.arrayContaining([`t.out.${SPONSOR}`, `t.out.${CDMO}`]));
    expect(supervised.position).toBe(head);
  });
});
