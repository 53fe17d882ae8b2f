// A partner on Kafka gets the platform's signed receipt of each refusal with the rejection record
// (the `concord-receipt` header: the record value keeps its published, closed schema).
import { encodeKafkaRecord, RECEIPT_HEADER, type ConcordEvent } from '@concord/contract';
import { PostgresEventStore } from '@concord/event-store-postgres';
import { generatePlatformKey, publicHalf, receiptSigner } from '@concord/evidence';
import { sqlOutcomeLog } from '@concord/ingest';
import { CDMO, SPONSOR, seedPartnerWorld, type PartnerWorld } from '@concord/ingest/test-support';
import { pgDatabase } from '@concord/sql';
import { uniqueName, waitFor } from '@concord/test-infra';
import { describeWithKafka, describeWithPostgres } from '@concord/test-infra/vitest';
import { eventDigest, verifyReceiptSignature, type SignedReceipt } from '@concord/verifier';
import { Kafka, logLevel, type Consumer, type KafkaMessage } from 'kafkajs';
import { pino } from 'pino';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startIngestService, type IngestService } from './ingest-service.ts';

describeWithKafka('receipts on Kafka', ({ brokers }) => {
  describeWithPostgres('with the event store on PostgreSQL', (database) => {
    const prefix = uniqueName('rc').replace('-', '');
    const kafka = new Kafka({ brokers, clientId: 'receipts-test', logLevel: logLevel.NOTHING });
    const producer = kafka.producer();
    const rejections: KafkaMessage[] = [];
    const platformKey = generatePlatformKey('2026-01-01T00:00:00.000Z');
    let observer: Consumer;
    let store: PostgresEventStore;
    let world: PartnerWorld;
    let service: IngestService;

    beforeAll(async () => {
      const db = pgDatabase({ connectionString: database().url });
      store = await PostgresEventStore.open(db);
      world = await seedPartnerWorld(store);
      const admin = kafka.admin();
      await admin.connect();
      await admin.createTopics({
        waitForLeaders: true,
        topics: ['in', 'out', 'rejections'].map((kind) => ({
          topic: `${prefix}.${kind}.${CDMO}`,
          numPartitions: 1,
        })),
      });
      await admin.disconnect();
      await producer.connect();
      observer = kafka.consumer({ groupId: uniqueName('observer') });
      await observer.connect();
      await observer.subscribe({ topic: `${prefix}.rejections.${CDMO}`, fromBeginning: true });
      await observer.run({ eachMessage: async ({ message }) => void rejections.push(message) });
      service = await startIngestService({
        store,
        outcomes: await sqlOutcomeLog(db),
        receipts: receiptSigner(platformKey),
        brokers,
        logger: pino({ level: 'warn' }),
        topicPrefix: prefix,
        groupId: uniqueName('ingest'),
        outboundSubscriberId: uniqueName('outbound'),
      });
    });

    afterAll(async () => {
      await service?.stop();
      await observer?.disconnect();
      await producer.disconnect();
      await store?.close();
    });

    it('carries a receipt the partner verifies with the platform keyring beside each rejection', async () => {
      const forged = world.partnerEvent(CDMO, 'batch/manufacturing-started.v1', {
        source: `urn:concord:${SPONSOR}:mes`,
      });
      await producer.send({
        topic: `${prefix}.in.${CDMO}`,
        messages: [
          encodeKafkaRecord(forged as unknown as ConcordEvent),
          { key: 'garbage', value: Buffer.from('\u0000not json'), headers: {} },
        ],
      });
      await waitFor(() => rejections.length === 2, {
        timeoutMs: 30_000,
        description: 'two rejections',
      });
      const receipts = rejections.map(
        (message) => JSON.parse(String(message.headers?.[RECEIPT_HEADER])) as SignedReceipt,
      );
      const values = rejections.map((message) => JSON.parse(String(message.value)));
      expect(receipts[0]).toMatchObject({
        status: 'rejected',
        id: forged.id,
        source: forged.source,
        digest: eventDigest(forged),
        code: 'sender.forged-source',
      });
      expect(values[0]).not.toHaveProperty('receipt');
      expect(receipts[1]).toMatchObject({ status: 'rejected', code: values[1].code });
      for (const receipt of receipts)
        expect(await verifyReceiptSignature(receipt, [publicHalf(platformKey)])).toBe(true);
    });
  });
});
