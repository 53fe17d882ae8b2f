// The ingest process (src/main.ts, as production runs it) against the real broker and PostgreSQL,
// tried the way a hostile or mistaken partner and a failing database would try it. After each bad
// record or fault, the bad one has its answer and another partner's event is accepted within
// seconds.
import { encodeKafkaRecord, type ConcordEvent } from '@concord/contract';
import { PostgresEventStore } from '@concord/event-store-postgres';
import { storedEventId } from '@concord/ingest';
import {
  CDMO,
  OTHER_CDMO,
  OTHER_SPONSOR,
  PAIR_B,
  partnerFeed,
  SPONSOR,
  seedPartnerWorld,
  type PartnerWorld,
} from '@concord/ingest/test-support';
import { pgDatabase, type SqlDatabase } from '@concord/sql';
import { uniqueName, waitFor } from '@concord/test-infra';
import { describeWithKafka, describeWithPostgres } from '@concord/test-infra/vitest';
import { Kafka, logLevel, type Admin, type Consumer, type Producer } from 'kafkajs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { IngestProcess } from './test-support/ingest-process.ts';

/** How soon another partner's event must be accepted after a bad record or a fault. */
const SOON = { timeoutMs: 20_000, intervalMs: 100 };

interface Answer {
  code: string;
  rejectedEventId: string;
  message: string;
  receivedAt: string;
}

describeWithKafka('ingest that never stops', ({ brokers }) => {
  describeWithPostgres('one partner’s records and the database’s faults', (database) => {
    const prefix = uniqueName('never').replace('-', '');
    const kafka = new Kafka({ brokers, clientId: 'never-stops', logLevel: logLevel.NOTHING });
    const topic = (kind: string, org: string) => `${prefix}.${kind}.${org}`;
    const logs: Record<string, unknown>[] = [];
    let db: SqlDatabase;
    let admin: SqlDatabase;
    let store: PostgresEventStore;
    let world: PartnerWorld;
    let kafkaAdmin: Admin;
    let producer: Producer;
    let observer: Consumer;
    let ingest: IngestProcess;
    const rejections = new Map<string, Answer[]>();
    const quarantined: { id: string | undefined; reason: string | undefined }[] = [];

    beforeAll(async () => {
      db = pgDatabase({ connectionString: database().url });
      admin = pgDatabase({ connectionString: database().url, applicationName: 'test-admin' });
      store = await PostgresEventStore.open(db);
      world = await seedPartnerWorld(store, { secondPair: true });
      kafkaAdmin = kafka.admin();
      await kafkaAdmin.connect();
      // Only the first CDMO's inbound topic exists when ingest starts: the second joins later.
      await kafkaAdmin.createTopics({
        waitForLeaders: true,
        topics: [
          topic('in', CDMO),
          ...[CDMO, OTHER_CDMO, OTHER_SPONSOR].map((org) => topic('rejections', org)),
          ...[SPONSOR, OTHER_SPONSOR].map((org) => topic('out', org)),
          `${prefix}.quarantine`,
        ].map((name) => ({ topic: name, numPartitions: 2 })),
      });
      producer = kafka.producer({ idempotent: true });
      await producer.connect();
      observer = kafka.consumer({ groupId: uniqueName('observer') });
      await observer.connect();
      await observer.subscribe({
        topics: [new RegExp(`^${prefix}\\.(rejections\\..+|quarantine)$`)],
        fromBeginning: true,
      });
      await observer.run({
        eachMessage: async ({ topic: from, message }) => {
          if (from.endsWith('.quarantine')) {
            quarantined.push({
              id: message.headers?.ce_id?.toString(),
              reason: message.headers?.['concord-quarantine-reason']?.toString(),
            });
            return;
          }
          const answer = JSON.parse(message.value!.toString()) as Answer;
          rejections.set(answer.rejectedEventId, [
            ...(rejections.get(answer.rejectedEventId) ?? []),
            answer,
          ]);
        },
      });
      ingest = new IngestProcess({
        databaseUrl: database().url,
        brokers,
        topicPrefix: prefix,
        groupId: `${prefix}-ingest`,
        env: { CONCORD_TOPIC_REFRESH_MS: '1000' },
        onLog: (line) => logs.push(line),
      });
      await ingest.start();
    });

    afterAll(async () => {
      await ingest?.kill();
      await observer?.disconnect();
      await producer?.disconnect();
      await kafkaAdmin?.disconnect();
      await admin?.close();
      await store?.close();
    });

    let batches = 0;
    const feed = partnerFeed(() => world);
    const scheduledBy = (org: string, batchId = `${org}:b-${++batches}`) =>
      org === CDMO
        ? world.partnerEvent(org, 'batch/scheduled.v1', { subject: batchId }, { batchId })
        : feed.batch(PAIR_B, batchId).scheduled('2026-03-02T08:00:00Z');
    const send = async (org: string, events: Record<string, unknown>[]) => {
      await producer.send({
        topic: topic('in', org),
        messages: events.map((event) => encodeKafkaRecord(event as unknown as ConcordEvent)),
      });
    };
    const stored = async (event: Record<string, unknown>) =>
      (await store.readStream(`batch-${String(event.subject)}`)).some(
        (e) => e.id === storedEventId(String(event.source), String(event.id)),
      );
    const answerFor = (event: Record<string, unknown>, description: string) =>
      waitFor(() => rejections.get(String(event.id))?.[0], { ...SOON, description });
    /** The exchange goes on: the second CDMO's new batch is accepted within seconds. */
    const anotherPartnerIsAccepted = async (why: string) => {
      const event = scheduledBy(OTHER_CDMO);
      await send(OTHER_CDMO, [event]);
      await waitFor(() => stored(event), {
        ...SOON,
        description: `${why}: ${OTHER_CDMO} accepted`,
      });
    };

    it('reads a partner’s inbound topic created after it started, and lets a partner leave', async () => {
      await kafkaAdmin.createTopics({
        waitForLeaders: true,
        topics: [{ topic: topic('in', OTHER_CDMO), numPartitions: 2 }],
      });
      await anotherPartnerIsAccepted('a new partner');

      await kafkaAdmin.createTopics({
        waitForLeaders: true,
        topics: [{ topic: topic('in', OTHER_SPONSOR), numPartitions: 1 }],
      });
      const joined = (name: string) =>
        logs.some((line) => (line.joined as string[] | undefined)?.includes(name));
      await waitFor(() => joined(topic('in', OTHER_SPONSOR)), { ...SOON, description: 'joined' });
      await kafkaAdmin.deleteTopics({ topics: [topic('in', OTHER_SPONSOR)] });
      await waitFor(
        () =>
          logs.some((line) =>
            (line.left as string[] | undefined)?.includes(topic('in', OTHER_SPONSOR)),
          ),
        { ...SOON, description: 'the departed partner’s topic dropped' },
      );
      await anotherPartnerIsAccepted('a partner left');
    });

    it('rejects an event reusing an accepted event’s source and id for another batch, and moves on', async () => {
      const original = scheduledBy(CDMO);
      await send(CDMO, [original]);
      await waitFor(() => stored(original), { ...SOON, description: 'the original accepted' });
      const reuse = scheduledBy(CDMO);
      const clash = world.partnerEvent(
        CDMO,
        'batch/scheduled.v1',
        { subject: reuse.subject, id: original.id },
        { batchId: reuse.subject },
      );
      const after = scheduledBy(CDMO);
      await send(CDMO, [clash, after]);
      expect((await answerFor(clash, 'the clash answered')).code).toBe('event.id-conflict');
      await waitFor(() => stored(after), { ...SOON, description: 'the same partner goes on' });
      await anotherPartnerIsAccepted('an id clash');
    });

    it('refuses a record with 20,000 headers at once, naming the event, and moves on', async () => {
      const bomb = scheduledBy(CDMO);
      const record = encodeKafkaRecord(bomb as unknown as ConcordEvent);
      const headers: Record<string, Buffer | string> = { ...record.headers };
      for (let i = 0; i < 20_000; i++) headers[`x-padding-${i}`] = 'y';
      await producer.send({ topic: topic('in', CDMO), messages: [{ ...record, headers }] });
      const answer = await answerFor(bomb, 'the header bomb answered');
      expect(answer.code).toBe('transport.too-many-headers');
      expect(await stored(bomb)).toBe(false);
      await anotherPartnerIsAccepted('a header bomb');
    });

    it('survives its database connections being terminated under load and when idle', async () => {
      const terminate = () =>
        admin.query(
          `select pg_terminate_backend(pid) from pg_stat_activity
           where application_name = 'concord-ingest' and datname = current_database()`,
        );
      const load = Array.from({ length: 600 }, () => scheduledBy(CDMO));
      const sending = (async () => {
        for (let i = 0; i < load.length; i += 50) {
          await send(CDMO, load.slice(i, i + 50));
          // Paces the offered load so the cuts land under load (not a wait for a state).
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      })();
      for (let cut = 0; cut < 3; cut++) {
        const before = await store.headPosition();
        await waitFor(async () => (await store.headPosition()) > before, {
          ...SOON,
          description: `progress before cut ${cut + 1}`,
        });
        await terminate();
      }
      await sending;
      await waitFor(async () => (await Promise.all(load.map(stored))).every(Boolean), {
        timeoutMs: 60_000,
        intervalMs: 500,
        description: 'every event of the load recorded',
      });
      expect(ingest.running).toBe(true);

      // Idle: the LISTEN connection is cut and comes back by itself.
      await terminate();
      await waitFor(
        async () =>
          (
            await admin.query(
              `select 1 from pg_stat_activity where application_name = 'concord-ingest'
               and datname = current_database() and query ilike 'listen%'`,
            )
          ).rows.length > 0,
        { ...SOON, description: 'the LISTEN connection re-established' },
      );
      expect(ingest.running).toBe(true);
      expect(logs.some((line) => line.msg === 'a database connection was lost')).toBe(true);
      await anotherPartnerIsAccepted('terminated connections');
    });

    it('answers a replayed rejection word for word, even from a second consumer group', async () => {
      const batchId = `${CDMO}:b-replay-${batches++}`;
      const started = world.partnerEvent(
        CDMO,
        'batch/manufacturing-started.v1',
        { subject: batchId },
        { batchId },
      );
      const scheduled = scheduledBy(CDMO, batchId);
      // Refused (the batch is unknown), then the batch is scheduled: deciding the first again
      // would accept it.
      await send(CDMO, [started, scheduled]);
      const first = await answerFor(started, 'the early start refused');
      await waitFor(() => stored(scheduled), { ...SOON, description: 'the batch scheduled' });

      const replay = new IngestProcess({
        databaseUrl: database().url,
        brokers,
        topicPrefix: prefix,
        groupId: `${prefix}-second-group`,
      });
      await replay.start();
      try {
        await waitFor(() => (rejections.get(String(started.id))?.length ?? 0) >= 2, {
          timeoutMs: 60_000,
          description: 'the second group’s answer',
        });
      } finally {
        await replay.kill('SIGTERM');
      }
      expect(rejections.get(String(started.id))).toEqual([first, first]);
      expect(await store.readStream(`batch-${batchId}`)).toHaveLength(1);
    });

    it('hands its partitions over at once on SIGTERM', async () => {
      await ingest.kill('SIGTERM');
      expect(ingest.exitCode).toBe(0);
      // A successor that would wait out a 60 s session if the partitions were not handed back.
      ingest = new IngestProcess({
        databaseUrl: database().url,
        brokers,
        topicPrefix: prefix,
        groupId: `${prefix}-ingest`,
        env: { CONCORD_TOPIC_REFRESH_MS: '1000', CONCORD_KAFKA_SESSION_TIMEOUT_MS: '60000' },
        onLog: (line) => logs.push(line),
      });
      await ingest.start();
      const event = scheduledBy(CDMO);
      await send(CDMO, [event]);
      await waitFor(() => stored(event), { ...SOON, description: 'accepted by the successor' });
      expect(quarantined).toEqual([]);
    });
  });
});
