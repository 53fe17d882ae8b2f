// What the ingest consumer asks of the broker to keep its place, against the real broker: the
// partitions of one fetch are decided together, and their offsets go in one OffsetCommit request.
import { encodeKafkaRecord, type ConcordEvent } from '@concord/contract';
import { PostgresEventStore } from '@concord/event-store-postgres';
import { IngestPipeline, sqlOutcomeLog } from '@concord/ingest';
import { CDMO, seedPartnerWorld } from '@concord/ingest/test-support';
import { pgDatabase } from '@concord/sql';
import { uniqueName, waitFor } from '@concord/test-infra';
import { describeWithKafka, describeWithPostgres } from '@concord/test-infra/vitest';
import { Kafka, logLevel, type ConsumerConfig } from 'kafkajs';
import { pino } from 'pino';
import { expect, it } from 'vitest';
import { IngestConsumer } from './ingest-consumer.ts';
import { IngestMetrics } from './metrics.ts';
import { topics as topicNames } from './topics.ts';

const PARTITIONS = 4;
const PER_PARTITION = 5;

describeWithKafka('the offsets the ingest consumer commits', ({ brokers }) => {
  describeWithPostgres('on PostgreSQL', (database) => {
    it('commits the partitions of one fetch in one request, each at its end', async () => {
      const prefix = uniqueName('commits').replace('-', '');
      const topics = topicNames(prefix);
      const inbound = topics.inbound(CDMO);
      const groupId = uniqueName('ingest');
      const kafka = new Kafka({ brokers, clientId: 'offset-commits', logLevel: logLevel.NOTHING });
      const db = pgDatabase({ connectionString: database().url });
      const store = await PostgresEventStore.open(db);
      const world = await seedPartnerWorld(store);
      const admin = kafka.admin();
      const producer = kafka.producer({ idempotent: true });
      let consumer: IngestConsumer | undefined;
      try {
        await admin.connect();
        await admin.createTopics({
          waitForLeaders: true,
          topics: [
            { topic: inbound, numPartitions: PARTITIONS },
            { topic: topics.rejections(CDMO), numPartitions: 1 },
          ],
        });
        // Every partition holds records before the consumer starts: its first fetch brings them all.
        await producer.connect();
        for (let partition = 0; partition < PARTITIONS; partition++) {
          const events = Array.from({ length: PER_PARTITION }, (_, n) => {
            const batchId = `${CDMO}:b-commits-${partition}-${n}`;
            return world.partnerEvent(
              CDMO,
              'batch/scheduled.v1',
              { subject: batchId },
              { batchId },
            );
          });
          await producer.send({
            topic: inbound,
            messages: events.map((event) => ({
              ...encodeKafkaRecord(event as unknown as ConcordEvent),
              partition,
            })),
          });
        }
        // The OffsetCommit requests the ingest group's consumer sends (kafkajs reports each).
        const commitRequests: number[] = [];
        const counted = Object.create(kafka, {
          consumer: {
            value: (config: ConsumerConfig) => {
              const created = kafka.consumer(config);
              created.on(created.events.REQUEST, ({ payload }) => {
                if (payload.apiName === 'OffsetCommit') commitRequests.push(payload.size);
              });
              return created;
            },
          },
        }) as Kafka;
        consumer = new IngestConsumer({
          kafka: counted,
          producer,
          topics,
          metrics: new IngestMetrics(),
          logger: pino({ level: 'silent' }),
          groupId,
          topicRefreshMs: 60_000,
          pipeline: new IngestPipeline({ store, outcomes: await sqlOutcomeLog(db) }),
          storeAnswers: () => store.headPosition(),
        });
        await consumer.start();
        const committed = async () => {
          const [topic] = await admin.fetchOffsets({ groupId, topics: [inbound] });
          return (topic?.partitions ?? []).map(({ partition, offset }) => [partition, offset]);
        };
        const ends = Array.from({ length: PARTITIONS }, (_, p) => [p, String(PER_PARTITION)]);
        await waitFor(
          async () =>
            JSON.stringify((await committed()).sort(([a], [b]) => Number(a) - Number(b))) ===
            JSON.stringify(ends),
          { timeoutMs: 30_000, description: 'every partition committed at its end' },
        );
        for (let partition = 0; partition < PARTITIONS; partition++)
          for (let n = 0; n < PER_PARTITION; n++)
            expect(
              await store.readStream(`batch-${CDMO}:b-commits-${partition}-${n}`),
            ).toHaveLength(1);
        // One request for the four partitions (one per partition before).
        expect(commitRequests).toHaveLength(1);
      } finally {
        await consumer?.stop();
        await producer.disconnect();
        await admin.disconnect();
        await store.close();
      }
    });
  });
});
