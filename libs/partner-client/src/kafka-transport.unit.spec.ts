import { generateSigningKey, type ConcordEvent } from '@concord/contract';
import { exampleEvent } from '@concord/contract/examples';
import { KafkaJSError, KafkaJSNonRetriableError, type Kafka, type ProducerRecord } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { InvalidEventError, PartnerClientError } from './errors.ts';
import { kafkaTransport, subscribeOutcomes } from './kafka-transport.ts';
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
