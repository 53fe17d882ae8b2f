import { decodeLogCheckpointRecord, type LogCheckpoint } from '@concord/contract';
import type { Kafka, Message, Producer, ProducerRecord } from 'kafkajs';
import type { Logger } from 'pino';
import { describe, expect, it } from 'vitest';
import { CheckpointPublisher } from './checkpoints.ts';
import { IngestMetrics } from './metrics.ts';
import { topics } from './topics.ts';

const checkpointOf = (treeSize: number): LogCheckpoint => ({
  origin: 'concord.example/log',
  treeSize,
  rootHash: Buffer.alloc(32, treeSize).toString('base64'),
  timestamp: '2026-06-01T00:00:00.000Z',
  keyId: 'concord:2026-01-01-abc',
  signature: Buffer.alloc(64, 1).toString('base64'),
});

/** A broker whose topic list and produce requests the test decides; sends can be held. */
function fakeBroker(topicNames: string[]) {
  const sent: { topic: string; treeSize: number }[] = [];
  const failing = new Set<string>();
  let held: Promise<void> | undefined;
  const producer = {
    send: async (record: ProducerRecord) => {
      await held;
      if (failing.has(record.topic) || failing.has('*'))
        throw new Error(`cannot write ${record.topic}`);
      for (const message of record.messages as Message[]) {
        const decoded = decodeLogCheckpointRecord(message as never);
        if (!decoded?.ok) throw new Error('not a checkpoint record');
        sent.push({ topic: record.topic, treeSize: decoded.checkpoint.treeSize });
      }
      return [];
    },
  } as unknown as Producer;
  const kafka = {
    admin: () => ({
      connect: async () => undefined,
      disconnect: async () => undefined,
      listTopics: async () => topicNames,
    }),
  } as unknown as Kafka;
  const logs: { level: string; msg: string; fields: Record<string, unknown> }[] = [];
  const log = (level: string) => (fields: Record<string, unknown>, msg: string) =>
    void logs.push({ level, msg, fields });
  const logger = { info: log('info'), warn: log('warn'), error: log('error') } as unknown as Logger;
  return {
    kafka,
    producer,
    logger,
    sent,
    failing,
    logs,
    hold() {
      let release!: () => void;
      held = new Promise((resolve) => (release = resolve));
      return () => {
        held = undefined;
        release();
      };
    },
  };
}

const names = topics('p');
const BROKER_TOPICS = [
  'p.in.northbridge-bio',
  'p.out.northbridge-bio',
  'p.in.helvion-tx',
  'p.rejections.helvion-tx',
  'p.out.aurora-bio', // no inbound topic: not a partner of this platform
  'p.quarantine',
  'other.in.caldera-pharma',
];

describe('the checkpoint publisher', () => {
  it('sends each checkpoint to the outbound topic of every organization with an inbound topic', async () => {
    const broker = fakeBroker(BROKER_TOPICS);
    const metrics = new IngestMetrics();
    const publisher = new CheckpointPublisher({ ...broker, topics: names, metrics });
    publisher.offer(checkpointOf(5));
    await publisher.settled();
    expect(broker.sent).toEqual([
      { topic: 'p.out.helvion-tx', treeSize: 5 },
      { topic: 'p.out.northbridge-bio', treeSize: 5 },
    ]);
    expect(metrics.checkpointsPublished).toBe(1);
    await publisher.stop();
  });

  it('logs a failure and goes on: the next checkpoint is published, one partner does not block the others', async () => {
    const broker = fakeBroker(BROKER_TOPICS);
    const publisher = new CheckpointPublisher({ ...broker, topics: names });
    broker.failing.add('*');
    publisher.offer(checkpointOf(5));
    await publisher.settled();
    expect(broker.sent).toEqual([]);
    expect(broker.logs.filter((log) => log.level === 'error')).toHaveLength(1);

    broker.failing.clear();
    broker.failing.add('p.out.helvion-tx');
    publisher.offer(checkpointOf(8));
    await publisher.settled();
    expect(broker.sent).toEqual([{ topic: 'p.out.northbridge-bio', treeSize: 8 }]);
    expect(broker.logs.at(-1)).toMatchObject({
      level: 'error',
      fields: { treeSize: 8, failed: ['helvion-tx'] },
    });
    await publisher.stop();
  });

  it('sends only the newest of the checkpoints offered while one is under way', async () => {
    const broker = fakeBroker(['p.in.northbridge-bio']);
    const publisher = new CheckpointPublisher({ ...broker, topics: names });
    const release = broker.hold();
    publisher.offer(checkpointOf(3));
    publisher.offer(checkpointOf(4));
    publisher.offer(checkpointOf(6));
    publisher.offer(checkpointOf(5)); // older than one waiting: dropped
    release();
    await publisher.settled();
    expect(broker.sent.map((s) => s.treeSize)).toEqual([3, 6]);
    await publisher.stop();
  });

  it('does not wait for ever for a broker that does not answer when stopping', async () => {
    const broker = fakeBroker(['p.in.northbridge-bio']);
    const publisher = new CheckpointPublisher({ ...broker, topics: names, stopTimeoutMs: 50 });
    const release = broker.hold();
    publisher.offer(checkpointOf(3));
    await publisher.stop();
    publisher.offer(checkpointOf(4)); // stopped: taken no more
    release();
    await publisher.settled();
    expect(broker.sent.map((s) => s.treeSize)).toEqual([3]);
  });
});
