// The platform commits to its whole log and tells every partner: each new signed checkpoint goes
// to the outbound topic of each organization with an inbound topic, where the partner client hands
// it to the partner, who checks it against the platform's keyring and that each extends the last.
import {
  decodeLogCheckpointRecord,
  encodeKafkaRecord,
  type ConcordEvent,
  type LogCheckpoint,
} from '@concord/contract';
import { PostgresEventStore } from '@concord/event-store-postgres';
import { CheckpointLog, generatePlatformKey, publicHalf, readLog } from '@concord/evidence';
import { sqlOutcomeLog, type OutcomeLog } from '@concord/ingest';
import { CDMO, SPONSOR, seedPartnerWorld, type PartnerWorld } from '@concord/ingest/test-support';
import { subscribeOutcomes, type OutcomeSubscription } from '@concord/partner-client';
import { pgDatabase, sqlLeaderElections, type Elector, type SqlDatabase } from '@concord/sql';
import { uniqueName, waitFor } from '@concord/test-infra';
import { describeWithKafka, describeWithPostgres } from '@concord/test-infra/vitest';
import {
  checkpointIncludes,
  checkpointsConsistent,
  consistencyProof,
  inclusionProof,
  platformKeyValidAt,
  storedEventId,
  toBase64,
  verifyCheckpointSignature,
  type SignedCheckpoint,
} from '@concord/verifier';
import { Kafka, logLevel, type Consumer, type KafkaMessage } from 'kafkajs';
import { pino } from 'pino';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startIngestService, type IngestService } from './ingest-service.ts';

describeWithKafka('checkpoints of the log on Kafka', ({ brokers }) => {
  describeWithPostgres('with the event store on PostgreSQL', (database) => {
    const prefix = uniqueName('cp').replace('-', '');
    const kafka = new Kafka({ brokers, clientId: 'checkpoints-test', logLevel: logLevel.NOTHING });
    const producer = kafka.producer();
    const key = generatePlatformKey('2026-01-01T00:00:00.000Z');
    const keyring = [publicHalf(key)];
    const partners = [CDMO, SPONSOR];
    const outbound = (org: string) => `${prefix}.out.${org}`;
    /** Every record on each partner's outbound topic, as an independent observer reads them. */
    const received = new Map<string, KafkaMessage[]>(partners.map((org) => [outbound(org), []]));
    /** What the CDMO's system gets through the partner client. */
    const kept: SignedCheckpoint[] = [];
    const seen: ConcordEvent[] = [];
    const ingestGroup = uniqueName('ingest');
    const outboundSubscriber = uniqueName('outbound');
    let observer: Consumer;
    let subscription: OutcomeSubscription;
    let store: PostgresEventStore;
    let outcomes: OutcomeLog;
    let log: CheckpointLog;
    let world: PartnerWorld;
    let service: IngestService;
    let db: SqlDatabase;

    const start = (elector?: Elector) =>
      startIngestService({
        ...(elector ? { elector } : {}),
        store,
        outcomes,
        brokers,
        logger: pino({ level: 'warn' }),
        topicPrefix: prefix,
        groupId: ingestGroup,
        outboundSubscriberId: outboundSubscriber,
        // Signed on start and on demand (runNow) only: the test decides when.
        checkpoints: { log, key, keyring, intervalMs: 3_600_000 },
      });

    /** The checkpoints on a partner's outbound topic, in the order they came. */
    const checkpointsOn = (org: string): LogCheckpoint[] =>
      received.get(outbound(org))!.flatMap((message) => {
        const decoded = decodeLogCheckpointRecord(message);
        return decoded?.ok ? [decoded.checkpoint] : [];
      });
    const everyPartnerGot = (treeSize: number, times = 1) =>
      waitFor(
        () =>
          partners.every(
            (org) => checkpointsOn(org).filter((c) => c.treeSize === treeSize).length >= times,
          ),
        { timeoutMs: 30_000, description: `the checkpoint of ${treeSize} events on every partner` },
      );
    const signedByThePlatform = async (checkpoint: LogCheckpoint) => {
      const signer = platformKeyValidAt(keyring, checkpoint.keyId, checkpoint.timestamp);
      return signer !== undefined && verifyCheckpointSignature(checkpoint, signer.publicKey);
    };

    beforeAll(async () => {
      db = pgDatabase({ connectionString: database().url });
      store = await PostgresEventStore.open(db);
      outcomes = await sqlOutcomeLog(db);
      log = await CheckpointLog.open(db);
      world = await seedPartnerWorld(store);
      const admin = kafka.admin();
      await admin.connect();
      await admin.createTopics({
        waitForLeaders: true,
        topics: partners.flatMap((org) =>
          ['in', 'out', 'rejections'].map((kind) => ({
            topic: `${prefix}.${kind}.${org}`,
            numPartitions: 1,
          })),
        ),
      });
      await admin.disconnect();
      await producer.connect();
      observer = kafka.consumer({ groupId: uniqueName('observer') });
      await observer.connect();
      await observer.subscribe({ topics: partners.map(outbound), fromBeginning: true });
      await observer.run({
        eachMessage: async ({ topic, message }) => void received.get(topic)!.push(message),
      });
      subscription = await subscribeOutcomes({
        brokers,
        organizationId: CDMO,
        topicPrefix: prefix,
        groupId: uniqueName('partner'),
        fromBeginning: true,
        onCheckpoint: (checkpoint) => void kept.push(checkpoint),
        onEvent: (event) => void seen.push(event),
      });
      service = await start();
    });

    afterAll(async () => {
      await service?.stop();
      await subscription?.stop();
      await observer?.disconnect();
      await producer.disconnect();
      await store?.close();
    });

    let first: LogCheckpoint;
    let second: LogCheckpoint;

    it('signs the whole log on start and publishes the checkpoint to every partner', async () => {
      await service.checkpoints!.started;
      first = (await log.latest())!;
      expect(first).toBeDefined();
      expect(first.treeSize).toBe((await readLog(store)).leaves.length);
      await everyPartnerGot(first.treeSize);
      for (const org of partners) expect(checkpointsOn(org)).toEqual([first]);
      expect(await signedByThePlatform(first)).toBe(true);
      const record = received.get(outbound(CDMO))!.find((m) => decodeLogCheckpointRecord(m))!;
      expect(record.headers?.ce_id?.toString()).toBe(`${first.origin}/${first.treeSize}`);
      expect(record.key?.toString()).toBe(first.origin);
    });

    it('covers an ingested event with the next checkpoint, which extends the first, on every partner', async () => {
      const scheduled = world.partnerEvent(CDMO, 'batch/scheduled.v1');
      await producer.send({
        topic: `${prefix}.in.${CDMO}`,
        messages: [encodeKafkaRecord(scheduled as unknown as ConcordEvent)],
      });
      // On the outbound topic: recorded in the store.
      await waitFor(
        () =>
          received
            .get(outbound(CDMO))!
            .some((message) => message.headers?.ce_id?.toString() === scheduled.id),
        { timeoutMs: 30_000, description: 'the event recorded and published' },
      );
      second = (await service.checkpoints!.runNow())!;
      expect(second).toBeDefined();
      expect(second.treeSize).toBeGreaterThan(first.treeSize);
      expect(await log.latest()).toEqual(second);
      await everyPartnerGot(second.treeSize);
      for (const org of partners) expect(checkpointsOn(org)).toEqual([first, second]);
      expect(await signedByThePlatform(second)).toBe(true);

      // The log only grew: the second extends the first.
      const { leaves, leafIndexOf } = await readLog(store, second.treeSize);
      const proof = consistencyProof(leaves, first.treeSize).map(toBase64);
      expect(checkpointsConsistent(first, second, proof)).toBe(true);
      // And it includes the event, as stored.
      const storedId = storedEventId(String(scheduled.source), String(scheduled.id));
      const stored = (await store.readAll({ maxCount: 10_000 })).find((e) => e.id === storedId)!;
      const index = leafIndexOf.get(stored.globalPosition)!;
      expect(index).toBeGreaterThanOrEqual(first.treeSize);
      expect(
        checkpointIncludes(second, stored.hash, index, inclusionProof(leaves, index).map(toBase64)),
      ).toBe(true);
    });

    it('signs and publishes nothing new while the log does not grow', async () => {
      await service.checkpointPublisher.settled();
      const published = service.metrics.checkpointsPublished;
      expect(await service.checkpoints!.runNow()).toBeUndefined();
      await service.checkpointPublisher.settled();
      expect(await log.list()).toEqual([first, second]);
      expect(service.metrics.checkpointsPublished).toBe(published);
    });

    it("hands each checkpoint to the partner's system through the partner client", async () => {
      await waitFor(() => kept.length >= 2, {
        timeoutMs: 30_000,
        description: 'two checkpoints through the partner client',
      });
      expect(kept).toEqual([first, second]);
      for (const checkpoint of kept) expect(await signedByThePlatform(checkpoint)).toBe(true);
      // Events still come as events, and no checkpoint is taken for one.
      expect(seen.some((event) => event.type === 'concord.batch.scheduled.v1')).toBe(true);
    });

    it('publishes the latest checkpoint again when it starts, signing nothing new', async () => {
      await service.stop();
      service = await start();
      await service.checkpoints!.started;
      await everyPartnerGot(second.treeSize, 2);
      for (const org of partners) expect(checkpointsOn(org)).toEqual([first, second, second]);
      expect(await log.list()).toEqual([first, second]);
      // The same checkpoint, the same id: a partner keeping them by id keeps it once.
      const ids = received
        .get(outbound(SPONSOR))!
        .filter((message) => decodeLogCheckpointRecord(message)?.ok)
        .map((message) => message.headers?.ce_id?.toString());
      expect(ids).toEqual([first, second, second].map((c) => `${c.origin}/${c.treeSize}`));
    });

    it('signs from one instance at a time when several run, another taking over when it stops', async () => {
      await service.stop();
      // Two instances of one platform: each elects through PostgreSQL, as apps/ingest's main does.
      const elect = () => sqlLeaderElections(db, { retryMs: 200, heartbeatMs: 200 });
      const instances = [await start(elect()), await start(elect())];
      const signers = () => instances.filter((instance) => instance.checkpoints !== undefined);
      // Both have campaigned by now (each asks at once, and starting joins the Kafka group first).
      await waitFor(() => signers().length === 1, { description: 'one instance signing' });
      const [signing] = signers();
      const other = instances.find((instance) => instance !== signing)!;
      expect(other.leadership.find((role) => role.role === 'log-checkpoints')?.leading).toBe(false);

      await signing!.stop();
      await waitFor(() => other.checkpoints !== undefined, {
        description: 'the other instance taking the signing over',
      });
      await other.checkpoints!.started;
      service = other;
    });
  });
});
