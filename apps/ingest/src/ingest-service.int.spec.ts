import { encodeKafkaRecord, type ConcordEvent } from '@concord/contract';
import type { EventStore } from '@concord/event-store';
import { PostgresEventStore } from '@concord/event-store-postgres';
import {
  CDMO,
  OTHER_SPONSOR,
  SPONSOR,
  seedPartnerWorld,
  type PartnerWorld,
} from '@concord/ingest/test-support';
import { pgDatabase } from '@concord/sql';
import { uniqueName, waitFor } from '@concord/test-infra';
import { describeWithKafka, describeWithPostgres } from '@concord/test-infra/vitest';
import { Kafka, logLevel, type Consumer, type KafkaMessage } from 'kafkajs';
import { pino } from 'pino';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startIngestService, type IngestService } from './ingest-service.ts';

describeWithKafka('the ingest process against the real broker', ({ brokers }) => {
  describeWithPostgres('with the event store on PostgreSQL', (database) => {
    const prefix = uniqueName('t').replace('-', '');
    const kafka = new Kafka({ brokers, clientId: 'ingest-test', logLevel: logLevel.NOTHING });
    const producer = kafka.producer();
    const consumers: Consumer[] = [];
    const received = new Map<string, KafkaMessage[]>();
    let store: EventStore;
    let world: PartnerWorld;
    let service: IngestService;

    async function follow(topic: string) {
      received.set(topic, []);
      const consumer = kafka.consumer({ groupId: uniqueName('observer') });
      consumers.push(consumer);
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({
        eachMessage: async ({ message }) => void received.get(topic)!.push(message),
      });
    }
    const typesOn = (topic: string) =>
      (received.get(topic) ?? []).map((m) => m.headers?.ce_type?.toString());

    beforeAll(async () => {
      store = await PostgresEventStore.open(pgDatabase({ connectionString: database().url }));
      world = await seedPartnerWorld(store);
      const admin = kafka.admin();
      await admin.connect();
      const organizations = [CDMO, SPONSOR, OTHER_SPONSOR];
      await admin.createTopics({
        waitForLeaders: true,
        topics: organizations.flatMap((org) =>
          ['in', 'out', 'rejections'].map((kind) => ({
            topic: `${prefix}.${kind}.${org}`,
            numPartitions: 3,
          })),
        ),
      });
      await admin.disconnect();
      await producer.connect();
      for (const org of organizations) {
        await follow(`${prefix}.out.${org}`);
        await follow(`${prefix}.rejections.${org}`);
      }
      service = await startIngestService({
        store,
        brokers,
        logger: pino({ level: 'warn' }),
        topicPrefix: prefix,
        groupId: uniqueName('ingest'),
        outboundSubscriberId: uniqueName('outbound'),
      });
    });

    afterAll(async () => {
      await service?.stop();
      await Promise.all(consumers.map((c) => c.disconnect()));
      await producer.disconnect();
      await store?.close();
    });

    it('records good events, rejects bad ones with their codes, and shows each partner only its own', async () => {
      const scheduled = world.partnerEvent(CDMO, 'batch/scheduled.v1');
      const subject = String(scheduled.subject);
      const forged = world.partnerEvent(CDMO, 'batch/manufacturing-started.v1', {
        source: `urn:concord:${SPONSOR}:mes`,
      });
      const started = world.partnerEvent(CDMO, 'batch/manufacturing-started.v1');
      const record = (event: Record<string, unknown>) =>
        encodeKafkaRecord(event as unknown as ConcordEvent);
      // Same key: one partition, in this order. The garbage and the forgery must not block the rest.
      await producer.send({
        topic: `${prefix}.in.${CDMO}`,
        messages: [
          record(scheduled),
          {
            key: subject,
            value: Buffer.from('\u0000not json at all'),
            headers: { 'content-type': 'application/json' },
          },
          record(forged),
          record(started),
        ],
      });

      const cdmoOut = `${prefix}.out.${CDMO}`;
      const sponsorOut = `${prefix}.out.${SPONSOR}`;
      await waitFor(() => typesOn(cdmoOut).includes('concord.batch.manufacturing-started.v1'), {
        timeoutMs: 30_000,
        description: 'the accepted events on the CDMO outbound topic',
      });
      await waitFor(() => typesOn(sponsorOut).includes('concord.batch.manufacturing-started.v1'), {
        timeoutMs: 30_000,
        description: 'the accepted events on the sponsor outbound topic',
      });
      const batchTypes = (topic: string) =>
        typesOn(topic).filter((type) => type?.startsWith('concord.batch.'));
      expect(batchTypes(cdmoOut)).toEqual([
        'concord.batch.scheduled.v1',
        'concord.batch.manufacturing-started.v1',
      ]);
      expect(batchTypes(sponsorOut)).toEqual([
        'concord.batch.scheduled.v1',
        'concord.batch.manufacturing-started.v1',
      ]);
      // The partner recognizes its own event: same id and source as sent, and the key is the subject.
      const outStarted = received
        .get(cdmoOut)!
        .find((m) => m.headers?.ce_type?.toString() === 'concord.batch.manufacturing-started.v1')!;
      expect(outStarted.headers?.ce_id?.toString()).toBe(started.id);
      expect(outStarted.key?.toString()).toBe(subject);

      const rejections = `${prefix}.rejections.${CDMO}`;
      await waitFor(() => (received.get(rejections)?.length ?? 0) >= 2, {
        description: 'two rejections',
      });
      const codes = received
        .get(rejections)!
        .map((m) => JSON.parse(m.value!.toString()) as { code: string; rejectedEventId: string });
      expect(codes.map((c) => c.code)).toEqual(['transport.undecodable', 'sender.forged-source']);
      expect(codes[1]!.rejectedEventId).toBe(forged.id);

      expect((await store.readStream(`batch-${subject}`)).map((e) => e.type)).toEqual([
        'concord.batch.scheduled.v1',
        'concord.batch.manufacturing-started.v1',
      ]);
      // The other sponsor learns nothing about this batch, not even that it exists.
      expect(batchTypes(`${prefix}.out.${OTHER_SPONSOR}`)).toEqual([]);
      expect(received.get(`${prefix}.rejections.${SPONSOR}`)).toEqual([]);
      expect(service.metrics.snapshot()).toMatchObject({ accepted: 2 });
    });
  });
});
