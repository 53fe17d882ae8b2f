import { randomGroupId, randomTopic, waitFor } from '@concord/test-infra';
import { describeWithKafka } from '@concord/test-infra/vitest';
import { Kafka, logLevel, type Consumer, type KafkaMessage } from 'kafkajs';
import { afterAll, expect, it } from 'vitest';
import { eventTypes } from './generated/catalogue.ts';
import { decodeKafkaRecord, encodeKafkaRecord } from './kafka-binding.ts';
import { example } from './test-support/examples.ts';

// The binary-mode mapping through a real broker: headers, key and value survive kafkajs both ways.
describeWithKafka('Kafka binary mode through a real broker', ({ brokers }) => {
  const kafka = new Kafka({ brokers, clientId: 'concord-contract-test', logLevel: logLevel.WARN });
  const consumers: Consumer[] = [];

  afterAll(async () => {
    await Promise.all(consumers.map((consumer) => consumer.disconnect()));
  });

  it('every example event arrives decodable, keyed by subject, in order per subject', async () => {
    const topic = randomTopic('contract-binary');
    const admin = kafka.admin();
    await admin.connect();
    try {
      await admin.createTopics({ topics: [{ topic, numPartitions: 3 }], waitForLeaders: true });
    } finally {
      await admin.disconnect();
    }
    const events = eventTypes.map((type) => example(type));
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    try {
      await producer.send({ topic, messages: events.map((event) => encodeKafkaRecord(event)) });
    } finally {
      await producer.disconnect();
    }

    const received: KafkaMessage[] = [];
    const consumer = kafka.consumer({ groupId: randomGroupId('contract') });
    consumers.push(consumer);
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        received.push(message);
      },
    });
    await waitFor(() => received.length === events.length, {
      description: `${events.length} records`,
    });

    const decoded = received.map((message) => decodeKafkaRecord(message));
    for (const result of decoded) expect(result.ok ? [] : result.errors).toEqual([]);
    const byId = new Map(decoded.map((r) => (r.ok ? [r.event.id, r.event] : ['', undefined])));
    for (const event of events) expect(byId.get(event.id)).toEqual(event);
    // Per subject, the order of production is kept (same key, same partition).
    const batchIds = (list: { id: string; subject: string }[]) =>
      list.filter((e) => e.subject === 'northbridge-bio:b-nb-hlv201-26-0117').map((e) => e.id);
    expect(batchIds(decoded.flatMap((r) => (r.ok ? [r.event] : [])))).toEqual(batchIds(events));
  });
});
