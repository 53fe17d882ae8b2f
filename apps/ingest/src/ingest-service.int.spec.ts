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
import { sqlOutcomeLog, type OutcomeLog } from '@concord/ingest';
import { pgDatabase, sqlLeaderElections, type SqlDatabase } from '@concord/sql';
import { parsePrometheusText, uniqueName, waitFor } from '@concord/test-infra';
import { describeWithKafka, describeWithPostgres } from '@concord/test-infra/vitest';
import { Kafka, logLevel, type Consumer, type KafkaMessage } from 'kafkajs';
import { pino } from 'pino';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startIngestService, type IngestService } from './ingest-service.ts';
import { startIngestHttp, type IngestHttp } from './operations-http.ts';

describeWithKafka('the ingest process against the real broker', ({ brokers }) => {
  describeWithPostgres('with the event store on PostgreSQL', (database) => {
    const prefix = uniqueName('t').replace('-', '');
    const kafka = new Kafka({ brokers, clientId: 'ingest-test', logLevel: logLevel.NOTHING });
    const producer = kafka.producer();
    const consumers: Consumer[] = [];
    const received = new Map<string, KafkaMessage[]>();
    let store: EventStore;
    let outcomes: OutcomeLog;
    let world: PartnerWorld;
    let service: IngestService;
    let http: IngestHttp;
    let db: SqlDatabase;

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
      db = pgDatabase({ connectionString: database().url });
      store = await PostgresEventStore.open(db);
      outcomes = await sqlOutcomeLog(db);
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
        outcomes,
        brokers,
        logger: pino({ level: 'warn' }),
        topicPrefix: prefix,
        groupId: uniqueName('ingest'),
        outboundSubscriberId: uniqueName('outbound'),
        maxEventBytes: 64 * 1024,
        elector: sqlLeaderElections(db, { retryMs: 100 }),
      });
      http = await startIngestHttp({
        metrics: service.metrics,
        db,
        port: 0,
        leadership: () => service.leadership,
      });
    });

    afterAll(async () => {
      await http?.close();
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
      const counters = service.metrics.snapshot();
      expect(counters).toMatchObject({
        accepted: 2,
        rejected: { 'transport.undecodable': 1, 'sender.forged-source': 1 },
      });
      expect(Object.keys(counters.lag).some((key) => key.startsWith(`${prefix}.in.${CDMO}/`))).toBe(
        true,
      );

      // The same counters as an operator's Prometheus scrapes them, and the probes.
      const scraped = await fetch(`${http.url}/metrics`);
      expect(scraped.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
      const families = parsePrometheusText(await scraped.text());
      const samples = (name: string) => families.get(name)?.samples ?? [];
      expect(samples('concord_ingest_accepted_total')).toEqual([
        { name: 'concord_ingest_accepted_total', labels: {}, value: 2 },
      ]);
      expect(
        samples('concord_ingest_rejected_total').map(({ labels, value }) => [labels.code, value]),
      ).toEqual(
        expect.arrayContaining([
          ['transport.undecodable', 1],
          ['sender.forged-source', 1],
        ]),
      );
      const lag = samples('concord_ingest_consumer_lag').filter(
        ({ labels }) => labels.topic === `${prefix}.in.${CDMO}`,
      );
      expect(lag.length).toBeGreaterThan(0);
      expect(lag.every(({ labels }) => /^\d+$/.test(labels.partition!))).toBe(true);
      expect(samples('concord_ingest_consumer_in_group')[0]!.value).toBe(1);
      // Alone on its database, this instance was elected for both roles.
      await waitFor(() => service.leadership.every((role) => role.leading), {
        description: 'both roles led',
      });
      const leaders = parsePrometheusText(await (await fetch(`${http.url}/metrics`)).text());
      expect(
        leaders.get('concord_leader')?.samples.map(({ labels, value }) => [labels.role, value]),
      ).toEqual([
        [service.leadership[0]!.role, 1],
        ['process-manager-deviation-batch', 1],
      ]);
      const ready = await fetch(`${http.url}/ready`);
      expect(ready.status).toBe(200);
      expect(await ready.json()).toEqual({
        ready: true,
        checks: { database: { ok: true }, consumer: { ok: true } },
      });
      expect((await fetch(`${http.url}/health`)).status).toBe(200);
      expect((await fetch(`${http.url}/nothing`)).status).toBe(404);
    });

    it('rejects every kind of abuse with its own code and keeps processing the partition', async () => {
      const scheduled = world.partnerEvent(
        CDMO,
        'batch/scheduled.v1',
        {
          subject: `${CDMO}:b-abuse-1`,
        },
        { batchId: `${CDMO}:b-abuse-1` },
      );
      const subject = `${CDMO}:b-abuse-1`;
      const record = (event: Record<string, unknown>) =>
        encodeKafkaRecord(event as unknown as ConcordEvent);
      // What a misbehaving partner could produce: binary mode without the contract's checks.
      const raw = ({ data, ...attributes }: Record<string, unknown>) => ({
        key: String(attributes.subject),
        value: Buffer.from(JSON.stringify(data)),
        headers: {
          'content-type': 'application/json',
          ...Object.fromEntries(
            Object.entries(attributes).map(([name, value]) => [`ce_${name}`, String(value)]),
          ),
        },
      });
      const valid = record(
        world.partnerEvent(
          CDMO,
          'batch/manufacturing-started.v1',
          { subject },
          { batchId: subject },
        ),
      );
      const tampered = world.partnerEvent(
        CDMO,
        'batch/manufacturing-held.v1',
        { subject },
        { batchId: subject },
      );
      (tampered.data as Record<string, unknown>).reason = 'edited after signing';
      const abuse: [
        string,
        { key: string | Buffer; value: Buffer | null; headers: Record<string, string | Buffer> },
      ][] = [
        [
          'transport.undecodable',
          {
            key: subject,
            value: Buffer.from([0xff, 0xfe, 0x00]),
            headers: { 'content-type': 'application/json' },
          },
        ],
        [
          'transport.undecodable',
          { key: subject, value: null, headers: { 'content-type': 'application/json' } },
        ],
        [
          'transport.unsupported-content-type',
          {
            ...record(scheduled),
            headers: { ...record(scheduled).headers, 'content-type': 'text/plain' },
          },
        ],
        [
          'event.too-large',
          raw(
            world.partnerEvent(
              CDMO,
              'batch/manufacturing-held.v1',
              { subject },
              { batchId: subject, reason: 'x'.repeat(100_000) },
            ),
          ),
        ],
        [
          'event.unknown-type',
          raw({
            ...world.partnerEvent(CDMO, 'batch/scheduled.v1', { subject }),
            type: 'concord.batch.teleported.v1',
          }),
        ],
        ['sender.invalid-signature', raw(tampered)],
        [
          'sender.forged-source',
          record(
            world.partnerEvent(
              CDMO,
              'batch/manufacturing-held.v1',
              { subject, source: `urn:concord:${SPONSOR}:mes` },
              { batchId: subject },
            ),
          ),
        ],
        ['event.invalid-envelope', { ...record(scheduled), key: 'another-subject' }],
      ];
      await producer.send({
        topic: `${prefix}.in.${CDMO}`,
        messages: [record(scheduled), ...abuse.map(([, message]) => message), valid],
      });
      // Another sponsor, on its own channel with its own key, writing about the CDMO's batch.
      const intruder = world.partnerEvent(
        OTHER_SPONSOR,
        'batch/manufacturing-held.v1',
        {
          subject,
          source: `urn:concord:${OTHER_SPONSOR}:qms`,
          actororg: OTHER_SPONSOR,
          actorid: 'aur-p-0001',
          actorrole: 'qa',
        },
        { batchId: subject },
      );
      await producer.send({ topic: `${prefix}.in.${OTHER_SPONSOR}`, messages: [record(intruder)] });

      const rejections = `${prefix}.rejections.${CDMO}`;
      await waitFor(() => (received.get(rejections)?.length ?? 0) >= 2 + abuse.length, {
        timeoutMs: 30_000,
        description: 'a rejection for every abusive record',
      });
      const codes = received
        .get(rejections)!
        .slice(2)
        .map((m) => (JSON.parse(m.value!.toString()) as { code: string }).code);
      // The record with the wrong key went to another partition: compare without order.
      expect(codes.sort()).toEqual(abuse.map(([code]) => code).sort());
      await waitFor(async () => (await store.readStream(`batch-${subject}`)).length === 2, {
        description: 'the valid event behind the abuse to be recorded',
      });
      const intruderRejections = `${prefix}.rejections.${OTHER_SPONSOR}`;
      await waitFor(() => (received.get(intruderRejections)?.length ?? 0) === 1, {
        description: "the intruder's rejection",
      });
      // Another partnership's batch is answered as one that does not exist.
      expect(JSON.parse(received.get(intruderRejections)![0]!.value!.toString()).code).toBe(
        'subject.unknown',
      );
      expect((await store.readStream(`batch-${subject}`)).map((e) => e.type)).toEqual([
        'concord.batch.scheduled.v1',
        'concord.batch.manufacturing-started.v1',
      ]);
    });
  });
});
