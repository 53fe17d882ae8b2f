// The consumer's failure handling against the real broker and PostgreSQL, with faults injected
// into the pipeline: a record that fails by itself while the store answers is quarantined and the
// partition moves on; while the store does not answer, nothing is quarantined and the partition
// waits, then catches up.
import { encodeKafkaRecord, type ConcordEvent } from '@concord/contract';
import { PostgresEventStore } from '@concord/event-store-postgres';
import { IngestPipeline, sqlOutcomeLog, storedEventId, type IncomingEvent } from '@concord/ingest';
import { CDMO, seedPartnerWorld, type PartnerWorld } from '@concord/ingest/test-support';
import { pgDatabase } from '@concord/sql';
import { parsePrometheusText, uniqueName, waitFor } from '@concord/test-infra';
import { describeWithKafka, describeWithPostgres } from '@concord/test-infra/vitest';
import { Kafka, logLevel, type Consumer, type Producer } from 'kafkajs';
import { pino } from 'pino';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { IngestConsumer } from './ingest-consumer.ts';
import { IngestMetrics } from './metrics.ts';
import { startIngestHttp, type IngestHttp } from './operations-http.ts';
import { topics as topicNames } from './topics.ts';

describeWithKafka('the ingest consumer when records or the store fail', ({ brokers }) => {
  describeWithPostgres('on PostgreSQL', (database) => {
    const prefix = uniqueName('faults').replace('-', '');
    const topics = topicNames(prefix);
    const kafka = new Kafka({ brokers, clientId: 'consumer-faults', logLevel: logLevel.NOTHING });
    const logs: Record<string, unknown>[] = [];
    const metrics = new IngestMetrics();
    const quarantine: { id?: string; reason?: string; offset?: string }[] = [];
    const answers: { code: string; rejectedEventId: string }[] = [];
    let store: PostgresEventStore;
    let world: PartnerWorld;
    let producer: Producer;
    let observer: Consumer;
    let consumer: IngestConsumer;
    let http: IngestHttp | undefined;
    /** Events whose id makes the pipeline throw (a defect one record triggers). */
    const poison = new Set<string>();
    let storeDown = false;
    /** While set, every pipeline call waits for it: a call that does not return. */
    let hung: Promise<void> | undefined;

    beforeAll(async () => {
      const db = pgDatabase({ connectionString: database().url });
      http = await startIngestHttp({ metrics, db, port: 0 });
      store = await PostgresEventStore.open(db);
      world = await seedPartnerWorld(store);
      const real = new IngestPipeline({ store, outcomes: await sqlOutcomeLog(db) });
      const admin = kafka.admin();
      await admin.connect();
      await admin.createTopics({
        waitForLeaders: true,
        topics: [topics.inbound(CDMO), topics.rejections(CDMO), topics.quarantine].map((topic) => ({
          topic,
          numPartitions: 1,
        })),
      });
      await admin.disconnect();
      producer = kafka.producer({ idempotent: true });
      await producer.connect();
      observer = kafka.consumer({ groupId: uniqueName('observer') });
      await observer.connect();
      await observer.subscribe({
        topics: [topics.rejections(CDMO), topics.quarantine],
        fromBeginning: true,
      });
      await observer.run({
        eachMessage: async ({ topic, message }) => {
          if (topic === topics.quarantine)
            quarantine.push({
              id: message.headers?.ce_id?.toString(),
              reason: message.headers?.['concord-quarantine-reason']?.toString(),
              offset: message.headers?.['concord-quarantine-offset']?.toString(),
            });
          else answers.push(JSON.parse(message.value!.toString()));
        },
      });
      const eventId = (item: IncomingEvent) =>
        item.decoded.ok ? String((item.decoded.event as { id: string }).id) : '';
      consumer = new IngestConsumer({
        kafka,
        producer,
        topics,
        metrics,
        logger: pino(
          { level: 'info' },
          { write: (line: string) => void logs.push(JSON.parse(line)) },
        ),
        groupId: uniqueName('ingest'),
        // The broker's shortest: a consumer that stops heartbeating is evicted after 6 s.
        sessionTimeoutMs: 6_000,
        topicRefreshMs: 1_000,
        outageDelayMs: 200,
        maxOutageDelayMs: 1_000,
        pipeline: {
          async ingestMany(items) {
            await hung;
            if (storeDown) throw new Error('connect ECONNREFUSED 127.0.0.1:5432 (injected)');
            if (items.some((item) => poison.has(eventId(item))))
              throw new TypeError('a defect this one record triggers (injected)');
            return real.ingestMany(items);
          },
        },
        storeAnswers: async () => {
          if (storeDown) throw new Error('connect ECONNREFUSED 127.0.0.1:5432 (injected)');
          return store.headPosition();
        },
      });
      await consumer.start();
    });

    afterAll(async () => {
      await http?.close();
      await consumer?.stop();
      await observer?.disconnect();
      await producer?.disconnect();
      await store?.close();
    });

    let batches = 0;
    const scheduled = () => {
      const batchId = `${CDMO}:b-faults-${++batches}`;
      return world.partnerEvent(CDMO, 'batch/scheduled.v1', { subject: batchId }, { batchId });
    };
    const send = (events: Record<string, unknown>[]) =>
      producer.send({
        topic: topics.inbound(CDMO),
        messages: events.map((event) => encodeKafkaRecord(event as unknown as ConcordEvent)),
      });
    /** The partner's answer times by outcome, as /metrics serves them. */
    const answerTimes = async (outcome: string) => {
      const scraped = parsePrometheusText(await (await fetch(`${http!.url}/metrics`)).text());
      const family = scraped.get('concord_ingest_answer_seconds');
      const sample = (name: string) =>
        family?.samples.find(
          (s) => s.name === name && s.labels.organization === CDMO && s.labels.outcome === outcome,
        )?.value ?? 0;
      return {
        count: sample('concord_ingest_answer_seconds_count'),
        sum: sample('concord_ingest_answer_seconds_sum'),
      };
    };
    const stored = async (event: Record<string, unknown>) =>
      (await store.readStream(`batch-${String(event.subject)}`)).some(
        (e) => e.id === storedEventId(String(event.source), String(event.id)),
      );

    it('quarantines a record that fails by itself, tells its partner, and moves on', async () => {
      const [before, bad, after] = [scheduled(), scheduled(), scheduled()];
      poison.add(String(bad.id));
      await send([before, bad, after]);
      await waitFor(async () => (await stored(before)) && (await stored(after)), {
        timeoutMs: 30_000,
        description: 'the records around the bad one recorded',
      });
      await waitFor(() => quarantine.length === 1 && answers.length === 1, {
        description: 'the quarantined record and its partner’s answer',
      });
      expect(quarantine[0]).toMatchObject({
        id: bad.id,
        reason: expect.stringMatching(/TypeError/),
      });
      expect(answers[0]).toMatchObject({ code: 'ingest.quarantined', rejectedEventId: bad.id });
      expect(await stored(bad)).toBe(false);
      expect(metrics.quarantined.get(CDMO)).toBe(1);
      expect(logs.some((line) => line.msg === 'record quarantined')).toBe(true);
      // Each record's time to its answer, by what the answer was.
      await waitFor(
        async () =>
          (await answerTimes('quarantined')).count === 1 &&
          (await answerTimes('accepted')).count === 2,
        { description: 'the quarantined record and the two around it timed' },
      );
    });

    it('waits out a store that does not answer, quarantines nothing, and catches up', async () => {
      storeDown = true;
      const timedBefore = await answerTimes('accepted');
      const during = scheduled();
      await send([during]);
      const sentAt = Date.now();
      await waitFor(
        () =>
          logs.filter((line) => line.msg === 'the event store does not answer; partition paused')
            .length >= 3,
        { timeoutMs: 30_000, description: 'the partition paused and retried while down' },
      );
      expect(await stored(during)).toBe(false);
      const storeBackAt = Date.now();
      storeDown = false;
      await waitFor(() => stored(during), { timeoutMs: 30_000, description: 'caught up' });
      // Said once the chunk's answers are sent too, a moment after the event is stored.
      await waitFor(() => logs.some((line) => line.msg === 'partition caught up again'), {
        description: 'the partition said to have caught up',
      });
      expect(quarantine).toHaveLength(1); // only the bad record of the previous test
      expect(answers).toHaveLength(1);
      // Timed from its Kafka timestamp (before the send resolved) to its answer (after the store
      // came back): the outage is in it.
      await waitFor(async () => (await answerTimes('accepted')).count === timedBefore.count + 1, {
        description: 'the record that waited timed',
      });
      const timedAfter = await answerTimes('accepted');
      expect(timedAfter.sum - timedBefore.sum).toBeGreaterThanOrEqual(
        (storeBackAt - sentAt) / 1_000,
      );
    });

    it('reports itself stalled when a call hangs and its group stops answering, and recovers', async () => {
      // Found with kafkajs asking a dead coordinator for ever: whatever hangs, the consumer stops
      // heartbeating, the group evicts it, and without this it would still say it was fine.
      metrics.stalledAfterMs = 8_000;
      let release!: () => void;
      hung = new Promise((resolve) => (release = resolve));
      const during = scheduled();
      await send([during]);
      try {
        await waitFor(async () => (await fetch(`${http!.url}/health`)).status === 503, {
          timeoutMs: 30_000,
          description: '/health failing on the stalled consumer',
        });
        const health = (await (await fetch(`${http!.url}/health`)).json()) as {
          status: string;
          silentForMs: number;
        };
        expect(health).toMatchObject({ status: 'stalled' });
        expect(health.silentForMs).toBeGreaterThanOrEqual(8_000);
        const ready = await fetch(`${http!.url}/ready`);
        expect(ready.status).toBe(503);
        expect(
          ((await ready.json()) as { checks: { consumer: unknown } }).checks.consumer,
        ).toMatchObject({ ok: false, stalled: true });
        const scraped = parsePrometheusText(await (await fetch(`${http!.url}/metrics`)).text());
        expect(
          scraped.get('concord_ingest_consumer_silence_seconds')!.samples[0]!.value,
        ).toBeGreaterThanOrEqual(8);
        await waitFor(
          () => logs.some((line) => String(line.msg).startsWith('the consumer has not heard')),
          {
            description: 'the stall logged',
          },
        );
        expect(await stored(during)).toBe(false);
      } finally {
        hung = undefined;
        release();
      }
      // The call returns: the consumer finds it was evicted, joins again and the event is stored.
      await waitFor(() => stored(during), {
        timeoutMs: 60_000,
        description: 'stored after the stall',
      });
      await waitFor(async () => (await fetch(`${http!.url}/health`)).status === 200, {
        timeoutMs: 30_000,
        description: '/health answering again',
      });
      await waitFor(async () => (await fetch(`${http!.url}/ready`)).status === 200, {
        timeoutMs: 30_000,
        description: 'ready again',
      });
    });
  });
});
