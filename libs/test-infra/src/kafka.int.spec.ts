import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Kafka, logLevel, type Consumer, type EachMessagePayload } from 'kafkajs';
import { afterEach, expect, it } from 'vitest';
import { randomGroupId, randomTopic } from './names.ts';
import { describeWithKafka } from './vitest.ts';
import { waitFor } from './wait-for.ts';

// Proof that the harness gives a real broker: produce, consume, and resume a consumer group.
describeWithKafka('a real Kafka broker', ({ brokers }) => {
  const kafka = new Kafka({ brokers, clientId: 'concord-harness-test', logLevel: logLevel.WARN });
  const consumers: Consumer[] = [];

  afterEach(async () => {
    await Promise.all(consumers.splice(0).map((consumer) => consumer.disconnect()));
  });

  async function createTopic(partitions = 1): Promise<string> {
    const topic = randomTopic();
    const admin = kafka.admin();
    await admin.connect();
    try {
      await admin.createTopics({
        topics: [{ topic, numPartitions: partitions }],
        waitForLeaders: true,
      });
    } finally {
      await admin.disconnect();
    }
    return topic;
  }

  async function produce(topic: string, values: string[]): Promise<void> {
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    try {
      await producer.send({
        topic,
        messages: values.map((value) => ({ key: 'batch-1', value, headers: { ce_type: 'test' } })),
      });
    } finally {
      await producer.disconnect();
    }
  }

  /** Runs a consumer of `groupId` that commits each offset only after it has recorded the message. */
  async function consume(topic: string, groupId: string, seen: EachMessagePayload['message'][]) {
    const consumer = kafka.consumer({ groupId, retry: { retries: 3 } });
    consumers.push(consumer);
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ topic: from, partition, message }) => {
        seen.push(message);
        await consumer.commitOffsets([
          { topic: from, partition, offset: (BigInt(message.offset) + 1n).toString() },
        ]);
      },
    });
    return consumer;
  }

  it('delivers produced records with their key and headers', async () => {
    const topic = await createTopic();
    await produce(topic, ['first', 'second']);
    const seen: EachMessagePayload['message'][] = [];
    await consume(topic, randomGroupId(), seen);

    await waitFor(() => seen.length === 2, { description: 'two records' });
    expect(seen.map((m) => m.value?.toString())).toEqual(['first', 'second']);
    expect(seen[0]?.key?.toString()).toBe('batch-1');
    expect(seen[0]?.headers?.ce_type?.toString()).toBe('test');
  });

  it('resumes a consumer group from its committed offset after a restart', async () => {
    const topic = await createTopic();
    const groupId = randomGroupId();
    await produce(topic, ['a', 'b', 'c']);

    const firstRun: EachMessagePayload['message'][] = [];
    const first = await consume(topic, groupId, firstRun);
    await waitFor(() => firstRun.length === 3, { description: 'the first three records' });
    await first.disconnect();
    consumers.splice(consumers.indexOf(first), 1);

    await produce(topic, ['d', 'e']);
    const secondRun: EachMessagePayload['message'][] = [];
    await consume(topic, groupId, secondRun);
    await waitFor(() => secondRun.length >= 2, {
      description: 'the records produced after the restart',
    });

    // Nothing the first run committed is read again.
    expect(secondRun.map((m) => m.value?.toString())).toEqual(['d', 'e']);
    expect(secondRun[0]?.offset).toBe('3');
  });

  it('talks to the broker without a negative-timeout warning (kafkajs as patched here)', async () => {
    // Unpatched, kafkajs's request queue set a timer of about -Date.now() ms after each answer,
    // and Node warned (TimeoutNegativeWarning, once per process) in every process that spoke to
    // Kafka. A process of its own, so that no earlier test has used up the one warning.
    const script = `
      const { Kafka, logLevel } = require('kafkajs');
      const admin = new Kafka({ brokers: ${JSON.stringify(brokers)}, logLevel: logLevel.NOTHING }).admin();
      admin.connect().then(() => admin.listTopics()).then(() => admin.disconnect());
    `;
    const { stderr } = await promisify(execFile)(process.execPath, ['-e', script], {
      cwd: fileURLToPath(new URL('..', import.meta.url)),
    });
    expect(stderr).not.toContain('TimeoutNegativeWarning');
  });
});
