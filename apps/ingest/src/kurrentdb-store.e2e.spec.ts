// The ingest process keeping its events in KurrentDB (CONCORD_EVENT_STORE_URL), its outcomes,
// checkpoints and leader election in PostgreSQL: a partner's event from Kafka is recorded in
// KurrentDB, hash-chained and signed as with the PostgreSQL store. Runs where a KurrentDB server
// is available (KURRENTDB_URL or Docker); reported as skipped elsewhere.
import { encodeKafkaRecord, type ConcordEvent } from '@concord/contract';
import { KurrentDbEventStore } from '@concord/event-store-kurrentdb';
import { CDMO, holdResumePath, seedPartnerWorld } from '@concord/ingest/test-support';
import { pgDatabase } from '@concord/sql';
import { uniqueName, waitFor } from '@concord/test-infra';
import {
  describeWithKafka,
  describeWithKurrentDb,
  describeWithPostgres,
} from '@concord/test-infra/vitest';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, expect, it } from 'vitest';
import { IngestProcess } from './test-support/ingest-process.ts';

describeWithKurrentDb('the ingest process on a KurrentDB event store', (kurrentdb) => {
  describeWithKafka('from Kafka', ({ brokers }) => {
    describeWithPostgres('with PostgreSQL beside it', (database) => {
      const prefix = uniqueName('kdb').replace('-', '');
      let ingest: IngestProcess | undefined;
      afterAll(async () => {
        await ingest?.kill('SIGTERM');
      });

      it('records a partner event in KurrentDB', { timeout: 120_000 }, async () => {
        const db = pgDatabase({ connectionString: database().url });
        const store = await KurrentDbEventStore.open({
          connectionString: kurrentdb.connectionString,
          checkpoints: db,
        });
        try {
          const world = await seedPartnerWorld(store);
          const kafka = new Kafka({ brokers, clientId: 'kdb-test', logLevel: logLevel.NOTHING });
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
          ingest = new IngestProcess({
            databaseUrl: database().url,
            brokers,
            topicPrefix: prefix,
            groupId: `${prefix}-ingest`,
            env: { CONCORD_EVENT_STORE_URL: kurrentdb.connectionString },
          });
          await ingest.start();
          const batchId = `${CDMO}:b-${prefix}`;
          const event = world.partnerEvent(
            CDMO,
            holdResumePath(0),
            { subject: batchId },
            { batchId },
          );
          const producer = kafka.producer();
          await producer.connect();
          await producer.send({
            topic: `${prefix}.in.${CDMO}`,
            messages: [encodeKafkaRecord(event as unknown as ConcordEvent)],
          });
          await producer.disconnect();
          await waitFor(async () => (await store.readStream(`batch-${batchId}`)).length === 1, {
            description: 'the event recorded in KurrentDB',
            timeoutMs: 60_000,
          });
          const [recorded] = await store.readStream(`batch-${batchId}`);
          expect(recorded!.type).toBe(event.type);
          expect(recorded!.hash).toMatch(/^[0-9a-f]{64}$/);
        } finally {
          await store.close();
          await db.close();
        }
      });
    });
  });
});
