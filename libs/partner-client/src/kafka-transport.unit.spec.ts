import {
  encodeKafkaRecord,
  encodeLogCheckpointRecord,
  generateSigningKey,
  type ConcordEvent,
  type ValidationError,
} from '@concord/contract';
import { exampleEvent } from '@concord/contract/examples';
import {
  KafkaJSError,
  KafkaJSNonRetriableError,
  type EachMessagePayload,
  type Kafka,
  type KafkaMessage,
  type ProducerRecord,
} from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { InvalidEventError, PartnerClientError } from './errors.ts';
import { checkpointOf, kafkaTransport, receiptOf, subscribeOutcomes } from './kafka-transport.ts';
import { createPartner } from './partner.ts';

const ORG = 'northbridge-bio';
const partner = createPartner({
  organizationId: ORG,
  keyId: `${ORG}:k`,
  privateKeyPem: generateSigningKey().privateKeyPem,
  defaultSource: `urn:concord:${ORG}:mes`,
});
const { id: _id, ...scheduled } = exampleEvent('concord.batch.scheduled.v1');
const event = (subject: string) => partner.complete({ ...scheduled, subject });

/** A kafkajs client that records what it is asked to do. */
function fakeKafka(failWith?: Error) {
  const sent: ProducerRecord[] = [];
  const configs: unknown[] = [];
  let connects = 0;
  const kafka = {
    producer: (config: unknown) => {
      configs.push(config);
      return {
        connect: async () => void connects++,
        disconnect: async () => undefined,
        send: async (record: ProducerRecord) => {
          if (failWith) throw failWith;
          sent.push(record);
          return [];
        },
      };
    },
  } as unknown as Kafka;
  return { kafka, sent, configs, connects: () => connects };
}

describe('the Kafka transport', () => {
  it('produces to concord.in.<org> with an idempotent producer, keyed by subject, in order', async () => {
    const fake = fakeKafka();
    const transport = kafkaTransport({ kafka: fake.kafka, organizationId: ORG, batchSize: 2 });
    const events = ['b-1', 'b-2', 'b-1'].map(event);
    const later = event('b-3');
    await transport.send(events);
    await transport.send([later]);
    expect(transport.topic).toBe(`concord.in.${ORG}`);
    expect(fake.configs).toEqual([{ idempotent: true, maxInFlightRequests: 1 }]);
    expect(fake.connects()).toBe(1);
    expect(fake.sent.map((r) => [r.topic, r.acks, r.messages.length])).toEqual([
      [`concord.in.${ORG}`, -1, 2],
      [`concord.in.${ORG}`, -1, 1],
      [`concord.in.${ORG}`, -1, 1],
    ]);
    const keys = fake.sent.flatMap((r) => r.messages.map((m) => String(m.key)));
    expect(keys).toEqual(['b-1', 'b-2', 'b-1', 'b-3']);
    const ids = fake.sent.flatMap((r) => r.messages.map((m) => String(m.headers?.ce_id)));
    expect(ids).toEqual([...events, later].map((e) => e.id));
  });

  it('refuses events of another organization or off-contract before producing anything', async () => {
    const fake = fakeKafka();
    const transport = kafkaTransport({ kafka: fake.kafka, organizationId: 'helvion-tx' });
    await expect(transport.send([event('b-1')])).rejects.toThrow(/\/actororg/);
    const own = kafkaTransport({ kafka: fake.kafka, organizationId: ORG });
    const broken = { ...event('b-1'), data: undefined } as unknown as ConcordEvent;
    const error = await own.send([event('b-1'), broken]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidEventError);
    expect(error).toMatchObject({ retriable: false, message: /^Event 1 / });
    expect(fake.sent).toHaveLength(0);
  });

  it("keeps kafkajs's retriable decision and the error as the cause", async () => {
    for (const [cause, retriable] of [
      [new KafkaJSError('leader not available', { retriable: true }), true],
      [new KafkaJSNonRetriableError('topic authorization failed'), false],
    ] as const) {
      const transport = kafkaTransport({ kafka: fakeKafka(cause).kafka, organizationId: ORG });
      const error = await transport.send([event('b-1')]).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(PartnerClientError);
      expect(error).toMatchObject({ retriable, cause });
    }
  });

  it('subscribes to outcomes only with a handler', async () => {
    await expect(
      subscribeOutcomes({ kafka: fakeKafka().kafka, organizationId: ORG, groupId: 'g' }),
    ).rejects.toMatchObject({ retriable: false });
  });
});

describe("a rejection record's receipt", () => {
  const receipt = { format: 'concord.receipt.v1', status: 'rejected', signature: 'c2ln' };
  it('is read from the concord-receipt header, when it is one', () => {
    expect(
      receiptOf({ headers: { 'concord-receipt': Buffer.from(JSON.stringify(receipt)) } }),
    ).toEqual(receipt);
    expect(receiptOf({ headers: {} })).toBeUndefined();
    expect(receiptOf({ headers: { 'concord-receipt': Buffer.from('{oops') } })).toBeUndefined();
    expect(
      receiptOf({ headers: { 'concord-receipt': JSON.stringify({ ...receipt, format: 'x' }) } }),
    ).toBeUndefined();
  });
});

/** A kafkajs client whose consumer is driven by the test, record by record. */
function fakeConsumerKafka() {
  const subscribed: string[][] = [];
  let eachMessage: ((payload: EachMessagePayload) => Promise<void>) | undefined;
  const kafka = {
    consumer: () => ({
      connect: async () => undefined,
      subscribe: async ({ topics }: { topics: string[] }) => void subscribed.push(topics),
      run: async (config: { eachMessage: typeof eachMessage }) => {
        eachMessage = config.eachMessage;
      },
      disconnect: async () => undefined,
    }),
  } as unknown as Kafka;
  const deliver = (topic: string, record: { key: Buffer; value: Buffer; headers: object }) =>
    eachMessage!({
      topic,
      partition: 0,
      message: { ...record, offset: '0', timestamp: '0', attributes: 0 } as KafkaMessage,
      heartbeat: async () => undefined,
      pause: () => () => undefined,
    });
  return { kafka, subscribed, deliver };
}

describe('checkpoints of the log on the outbound topic', () => {
  const checkpoint = {
    origin: 'concord.example/log',
    treeSize: 12,
    rootHash: Buffer.alloc(32, 1).toString('base64'),
    timestamp: '2026-06-01T00:00:00.000Z',
    keyId: 'concord:2026-01-01-abc',
    signature: Buffer.alloc(64, 2).toString('base64'),
  };
  const outbound = `concord.out.${ORG}`;

  it('go to onCheckpoint, told from events by their type; events go to onEvent only', async () => {
    const fake = fakeConsumerKafka();
    const checkpoints: unknown[] = [];
    const events: ConcordEvent[] = [];
    const undecodable: ValidationError[][] = [];
    await subscribeOutcomes({
      kafka: fake.kafka,
      organizationId: ORG,
      groupId: 'g',
      onCheckpoint: (received) => void checkpoints.push(received),
      onEvent: (received) => void events.push(received),
      onUndecodable: (errors) => void undecodable.push([...errors]),
    });
    expect(fake.subscribed).toEqual([[outbound]]);
    const accepted = event('b-1');
    await fake.deliver(outbound, encodeLogCheckpointRecord(checkpoint));
    await fake.deliver(outbound, encodeKafkaRecord(accepted));
    const broken = encodeLogCheckpointRecord(checkpoint);
    await fake.deliver(outbound, { ...broken, value: Buffer.from('{"origin":"x"}') });
    expect(checkpoints).toEqual([checkpoint]);
    expect(events).toEqual([accepted]);
    expect(undecodable).toHaveLength(1);
    expect(undecodable[0]![0]).toMatchObject({ path: '/data/treeSize', code: 'required' });
  });

  it('alone subscribe to the outbound topic; without onCheckpoint they are skipped, not undecodable', async () => {
    const only = fakeConsumerKafka();
    const checkpoints: unknown[] = [];
    await subscribeOutcomes({
      kafka: only.kafka,
      organizationId: ORG,
      groupId: 'g',
      onCheckpoint: (received) => void checkpoints.push(received),
    });
    expect(only.subscribed).toEqual([[outbound]]);
    await only.deliver(outbound, encodeKafkaRecord(event('b-2')));
    await only.deliver(outbound, encodeLogCheckpointRecord(checkpoint));
    expect(checkpoints).toEqual([checkpoint]);

    const eventsOnly = fakeConsumerKafka();
    const undecodable: unknown[] = [];
    await subscribeOutcomes({
      kafka: eventsOnly.kafka,
      organizationId: ORG,
      groupId: 'g',
      onEvent: () => undefined,
      onUndecodable: (errors) => void undecodable.push(errors),
    });
    await eventsOnly.deliver(outbound, encodeLogCheckpointRecord(checkpoint));
    expect(undecodable).toEqual([]);
  });

  it('are read from a record by checkpointOf, when it is one', () => {
    expect(checkpointOf(encodeLogCheckpointRecord(checkpoint))).toEqual(checkpoint);
    expect(checkpointOf(encodeKafkaRecord(event('b-3')))).toBeUndefined();
    const record = encodeLogCheckpointRecord(checkpoint);
    expect(checkpointOf({ ...record, value: Buffer.from('{oops') })).toBeUndefined();
  });
});
