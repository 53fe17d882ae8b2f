import {
  decodeKafkaRecord,
  encodeKafkaRecord,
  generateSigningKey,
  JSON_CONTENT_TYPE,
  verifyEventSignature,
  type ConcordEvent,
  type Rejection,
} from '@concord/contract';
import { exampleEvent } from '@concord/contract/examples';
import { randomGroupId, randomTopic, waitFor } from '@concord/test-infra';
import { describeWithKafka } from '@concord/test-infra/vitest';
import { Kafka, logLevel, type Consumer, type KafkaMessage } from 'kafkajs';
import { afterAll, expect, it } from 'vitest';
import type { SignedReceipt } from '@concord/verifier';
import { kafkaTransport, subscribeOutcomes, type OutcomeSubscription } from './kafka-transport.ts';
import { createPartner } from './partner.ts';

const ORG = 'northbridge-bio';
const key = { keyId: `${ORG}:2026-11`, ...generateSigningKey() };
const partner = createPartner({
  organizationId: ORG,
  keyId: key.keyId,
  privateKeyPem: key.privateKeyPem,
  defaultSource: `urn:concord:${ORG}:mes`,
});

describeWithKafka('the partner client through a real broker', ({ brokers }) => {
  const kafka = new Kafka({ brokers, clientId: 'partner-client-test', logLevel: logLevel.WARN });
  const consumers: Consumer[] = [];
  const subscriptions: OutcomeSubscription[] = [];

  async function createTopics(...topics: string[]) {
    const admin = kafka.admin();
    await admin.connect();
    try {
      await admin.createTopics({
        topics: topics.map((topic) => ({ topic, numPartitions: 3 })),
        waitForLeaders: true,
      });
    } finally {
      await admin.disconnect();
    }
  }

  afterAll(async () => {
    await Promise.all([
      ...consumers.map((consumer) => consumer.disconnect()),
      ...subscriptions.map((subscription) => subscription.stop()),
    ]);
  });

  it('produces signed binary-mode records keyed by subject, in order per subject', async () => {
    const topic = randomTopic('partner-in');
    await createTopics(topic);
    const subjects = ['b-one', 'b-two', 'b-three'];
    const scheduled = exampleEvent('concord.batch.scheduled.v1');
    const events = Array.from({ length: 30 }, (_, i) =>
      partner.event('concord.batch.scheduled.v1', subjects[i % 3]!, scheduled.data, {
        actorId: 'nb-p-0212',
        actorRole: 'production',
        time: new Date(Date.UTC(2026, 2, 2, 8, i)),
      }),
    );
    const transport = kafkaTransport({ brokers, organizationId: ORG, topic, batchSize: 7 });
    try {
      const metadata = await transport.send(events);
      expect(metadata.length).toBeGreaterThan(0);
    } finally {
      await transport.disconnect();
    }

    const received: KafkaMessage[] = [];
    const consumer = kafka.consumer({ groupId: randomGroupId('partner-client') });
    consumers.push(consumer);
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({ eachMessage: async ({ message }) => void received.push(message) });
    await waitFor(() => received.length === events.length, { description: '30 records' });

    const decoded: ConcordEvent[] = [];
    for (const message of received) {
      expect(message.key?.toString()).toBe(message.headers?.ce_subject?.toString());
      expect(message.headers?.['content-type']?.toString()).toBe(JSON_CONTENT_TYPE);
      expect(message.headers?.ce_signaturekeyid?.toString()).toBe(key.keyId);
      expect(JSON.parse(message.value!.toString())).toEqual(scheduled.data);
      const result = decodeKafkaRecord(message);
      if (!result.ok) throw new Error(JSON.stringify(result.errors));
      // Ingest verifies the event it decodes: the signature must hold on this side of the broker.
      expect(verifyEventSignature(result.event as never, key.publicKey)).toBe(true);
      decoded.push(result.event);
    }
    const byId = new Map(decoded.map((event) => [event.id, event]));
    for (const event of events) expect(byId.get(event.id)).toEqual(event);
    for (const subject of subjects) {
      const order = (list: ConcordEvent[]) =>
        list.filter((e) => e.subject === subject).map((e) => e.id);
      expect(order(decoded)).toEqual(order(events));
    }
  });

  it('hands the partner its outcomes: canonical events out, its rejections', async () => {
    const outbound = randomTopic('partner-out');
    const rejections = randomTopic('partner-rejections');
    await createTopics(outbound, rejections);
    const accepted = exampleEvent('concord.batch.manufacturing-started.v1');
    const rejection: Rejection = {
      rejectedEventId: 'evt-7',
      rejectedEventSource: `urn:concord:${ORG}:mes`,
      rejectedEventType: 'concord.batch.shipped.v1',
      code: 'batch.out-of-order',
      message: 'The batch has not been released.',
      path: '/type',
      receivedAt: '2026-03-02T08:15:01Z',
    };
    // What Concord signs of the refusal travels in a header (checked by the partner, not here).
    const receipt: SignedReceipt = {
      format: 'concord.receipt.v1',
      status: 'rejected',
      organizationId: ORG,
      source: rejection.rejectedEventSource,
      id: rejection.rejectedEventId,
      code: rejection.code,
      message: rejection.message,
      receivedAt: rejection.receivedAt,
      issuedAt: '2026-03-02T08:15:01.020Z',
      keyId: 'concord:2026-01-01-0000',
      signature: 'c2lnbmF0dXJl',
    };
    const producer = kafka.producer();
    await producer.connect();
    try {
      await producer.send({ topic: outbound, messages: [encodeKafkaRecord(accepted)] });
      await producer.send({
        topic: rejections,
        messages: [
          { key: 'not-json', value: '{oops' },
          {
            key: 'northbridge-bio:b-nb-hlv201-26-0117',
            value: JSON.stringify(rejection),
            headers: { 'concord-receipt': JSON.stringify(receipt) },
          },
        ],
      });
    } finally {
      await producer.disconnect();
    }

    const events: ConcordEvent[] = [];
    const refused: Rejection[] = [];
    const receipts: (SignedReceipt | undefined)[] = [];
    const undecodable: string[] = [];
    subscriptions.push(
      await subscribeOutcomes({
        brokers,
        organizationId: ORG,
        groupId: randomGroupId('partner-outcomes'),
        fromBeginning: true,
        topics: { outbound, rejections },
        onEvent: (event) => void events.push(event),
        onRejection: (r, _record, signed) => {
          refused.push(r);
          receipts.push(signed);
        },
        onUndecodable: (errors) => void undecodable.push(errors[0]!.message),
      }),
    );
    await waitFor(() => events.length === 1 && refused.length === 1, {
      description: 'one event and one rejection',
    });
    expect(events[0]).toEqual(accepted);
    expect(refused[0]).toEqual(rejection);
    expect(receipts).toEqual([receipt]);
    expect(undecodable).toEqual(['The rejection is not JSON.']);
  });
});
