import { InMemoryEventStore, type EventStore } from '@concord/event-store';
import { PostgresEventStore } from '@concord/event-store-postgres';
import { pgDatabase, type SqlDatabase } from '@concord/sql';
import { describeWithPostgres } from '@concord/test-infra/vitest';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { IngestPipeline } from './ingest-pipeline.ts';
import { inMemoryOutcomeLog, sqlOutcomeLog, type OutcomeLog } from './outcome-log.ts';
import type { Outcome } from './outcome.ts';
import { streams } from './registry.ts';
import {
  AGREEMENT,
  CDMO,
  seedPartnerWorld,
  type PartnerWorld,
} from './test-support/partner-world.ts';

interface Target {
  store: EventStore;
  outcomes: OutcomeLog;
}

const codeOf = (outcome: Outcome) =>
  outcome.status === 'accepted'
    ? outcome.duplicate
      ? 'duplicate'
      : 'accepted'
    : outcome.rejection.code;

/** One answer per event, forever: the same behaviour on every store the pipeline runs on. */
function answersBehaviour(open: () => Promise<Target>) {
  let target: Target;
  let world: PartnerWorld;
  let clock = new Date('2026-06-01T08:00:00.000Z');
  const pipeline = (outcomes = target.outcomes) =>
    new IngestPipeline({ store: target.store, outcomes, clock: () => clock });
  beforeEach(async () => {
    target = await open();
    world = await seedPartnerWorld(target.store);
    clock = new Date('2026-06-01T08:00:00.000Z');
  });
  const batch = (batchId: string) => ({
    scheduled: world.partnerEvent(CDMO, 'batch/scheduled.v1', { subject: batchId }, { batchId }),
    started: world.partnerEvent(
      CDMO,
      'batch/manufacturing-started.v1',
      { subject: batchId },
      { batchId },
    ),
  });

  it('answers a redelivered rejection word for word, and never accepts it later', async () => {
    const { scheduled, started } = batch('northbridge-bio:b-answer-1');
    const [refused] = await pipeline().ingestMany([world.incoming(started)]);
    expect(refused!.status).toBe('rejected');

    // The batch now exists: deciding the same event again would accept it.
    clock = new Date('2026-06-01T09:00:00.000Z');
    expect(codeOf((await pipeline().ingestMany([world.incoming(scheduled)]))[0]!)).toBe('accepted');
    for (const replay of [pipeline(), pipeline()]) {
      const [again] = await replay.ingestMany([world.incoming(structuredClone(started))]);
      expect(again).toEqual(refused);
    }
    expect(await target.store.readStream('batch-northbridge-bio:b-answer-1')).toHaveLength(1);
  });

  it('refuses the same source and id with other content, and still recognizes the original', async () => {
    const first = batch('northbridge-bio:b-answer-2').scheduled;
    const [accepted] = await pipeline().ingestMany([world.incoming(first)]);
    expect(codeOf(accepted!)).toBe('accepted');

    const elsewhere = world.partnerEvent(
      CDMO,
      'batch/scheduled.v1',
      { subject: 'northbridge-bio:b-answer-3', id: first.id },
      { batchId: 'northbridge-bio:b-answer-3' },
    );
    const changed = world.partnerEvent(
      CDMO,
      'batch/scheduled.v1',
      { subject: 'northbridge-bio:b-answer-2', id: first.id },
      { batchId: 'northbridge-bio:b-answer-2', plannedQuantity: { value: 1, unit: 'vials' } },
    );
    const answers = await pipeline().ingestMany([
      world.incoming(elsewhere),
      world.incoming(changed),
      world.incoming(structuredClone(first)),
    ]);
    expect(answers.map(codeOf)).toEqual(['event.id-conflict', 'event.id-conflict', 'duplicate']);
    expect(answers[0]).toMatchObject({ rejection: { rejectedEventId: first.id, path: '/id' } });
    if (answers[2]!.status === 'accepted' && accepted!.status === 'accepted')
      expect(answers[2]!.positions).toEqual(accepted!.positions);
    expect(await target.store.readStream('batch-northbridge-bio:b-answer-3')).toEqual([]);
  });

  it('rejects an id used in another stream even when its answer was never kept, and records the rest', async () => {
    const first = batch('northbridge-bio:b-answer-4').scheduled;
    await pipeline().ingestMany([world.incoming(first)]);
    // A pipeline with nothing on record (the answer lost between append and record): the store
    // itself refuses the id, and that is the record's fault, answered, not retried forever.
    const forgetful = pipeline(inMemoryOutcomeLog());
    const reuse = world.partnerEvent(
      CDMO,
      'batch/scheduled.v1',
      { subject: 'northbridge-bio:b-answer-5', id: first.id },
      { batchId: 'northbridge-bio:b-answer-5' },
    );
    const { scheduled: other } = batch('northbridge-bio:b-answer-6');
    const answers = await forgetful.ingestMany([world.incoming(reuse), world.incoming(other)]);
    expect(answers.map(codeOf)).toEqual(['event.id-conflict', 'accepted']);
  });

  it("accepts the original again when a clash was answered while the original's answer was lost", async () => {
    // The original is stored, but the instance dies before its answer is kept; meanwhile a copy
    // of its id with other content (on another partition) is refused as the clash, on record.
    const original = batch('northbridge-bio:b-answer-7').scheduled;
    const [stored] = await pipeline(inMemoryOutcomeLog()).ingestMany([world.incoming(original)]);
    expect(codeOf(stored!)).toBe('accepted');
    const clash = world.partnerEvent(
      CDMO,
      'batch/scheduled.v1',
      { subject: 'northbridge-bio:b-answer-8', id: original.id },
      { batchId: 'northbridge-bio:b-answer-8' },
    );
    const [refused] = await pipeline().ingestMany([world.incoming(clash)]);
    expect(codeOf(refused!)).toBe('event.id-conflict');
    // The original, redelivered, is the event the store holds: accepted, every time; the clash
    // stays refused word for word.
    for (const replay of [pipeline(), pipeline()]) {
      const [again, clashAgain] = await replay.ingestMany([
        world.incoming(structuredClone(original)),
        world.incoming(structuredClone(clash)),
      ]);
      expect(codeOf(again!)).toBe('duplicate');
      if (again!.status === 'accepted' && stored!.status === 'accepted')
        expect(again!.positions).toEqual(stored!.positions);
      expect(clashAgain).toEqual(refused);
    }
    expect(await target.store.readStream('batch-northbridge-bio:b-answer-7')).toHaveLength(1);
    expect(await target.store.readStream('batch-northbridge-bio:b-answer-8')).toEqual([]);
  });

  it('names the event it could not read, when the event says who it is', async () => {
    const event = world.partnerEvent(CDMO, 'batch/scheduled.v1', {}, { plannedQuantity: 'lots' });
    const [answer] = await pipeline().ingestMany([world.incoming(event)]);
    expect(answer).toMatchObject({
      status: 'rejected',
      rejection: {
        code: 'event.invalid-data',
        rejectedEventId: event.id,
        rejectedEventSource: event.source,
        rejectedEventType: 'concord.batch.scheduled.v1',
      },
    });
  });
}

describe('ingest answers, in memory', () => {
  answersBehaviour(async () => ({
    store: new InMemoryEventStore(),
    outcomes: inMemoryOutcomeLog(),
  }));
});

/** Empties the store between tests (switching its append-only trigger off, as only a test may). */
const reset = (db: SqlDatabase) =>
  db.transaction(async (tx) => {
    await tx.query('set local session_replication_role = replica');
    await tx.exec('truncate es_events, es_streams, es_checkpoints, ingest_outcomes');
  });

describeWithPostgres('ingest answers, on PostgreSQL', (database) => {
  const opened: PostgresEventStore[] = [];
  afterAll(async () => {
    await Promise.all(opened.map((store) => store.close()));
  });
  // Each test its own schema-less world: the tables are cleared between tests.
  answersBehaviour(async () => {
    const db = pgDatabase({ connectionString: database().url, maxConnections: 4 });
    const store = await PostgresEventStore.open(db);
    opened.push(store);
    const outcomes = await sqlOutcomeLog(db);
    await reset(db);
    return { store, outcomes };
  });

  it('rejects content PostgreSQL refuses and records the rest of the stream’s events', async () => {
    const db = pgDatabase({ connectionString: database().url, maxConnections: 4 });
    const store = await PostgresEventStore.open(db);
    opened.push(store);
    await reset(db);
    const world = await seedPartnerWorld(store);
    const pipeline = new IngestPipeline({ store, outcomes: await sqlOutcomeLog(db) });
    const on = (path: string, data: Record<string, unknown> = {}) =>
      world.partnerEvent(
        CDMO,
        path,
        { subject: 'northbridge-bio:b-nul-1' },
        { batchId: 'northbridge-bio:b-nul-1', ...data },
      );
    const answers = await pipeline.ingestMany(
      [
        on('batch/scheduled.v1'),
        on('batch/manufacturing-started.v1'),
        // JSON allows U+0000 in a string; PostgreSQL's jsonb does not.
        on('batch/manufacturing-held.v1', { reason: 'alarm\u0000on line 2' }),
        on('batch/manufacturing-held.v1'),
      ].map((event) => world.incoming(event)),
    );
    expect(answers.map(codeOf)).toEqual(['accepted', 'accepted', 'event.unstorable', 'accepted']);
    expect(await store.readStream('batch-northbridge-bio:b-nul-1')).toHaveLength(3);
  });
});

describe('time is the platform’s to bound', () => {
  const received = '2026-03-02T08:00:00.000Z';
  const setUp = async (clockToleranceMs?: number) => {
    const store = new InMemoryEventStore();
    const world = await seedPartnerWorld(store);
    const pipeline = new IngestPipeline({
      store,
      outcomes: inMemoryOutcomeLog(),
      clock: () => new Date(received),
      ...(clockToleranceMs !== undefined ? { clockToleranceMs } : {}),
    });
    const scheduledAt = (time: string, batchId: string) =>
      world.partnerEvent(CDMO, 'batch/scheduled.v1', { subject: batchId, time }, { batchId });
    return { store, world, pipeline, scheduledAt };
  };

  it('refuses an event that says it happened after it was received, beyond the tolerance', async () => {
    const { pipeline, scheduledAt, world } = await setUp();
    const answers = await pipeline.ingestMany(
      [
        scheduledAt('2027-03-02T08:00:00Z', 'northbridge-bio:b-time-1'), // a year ahead
        scheduledAt('2026-03-02T08:06:00Z', 'northbridge-bio:b-time-2'), // six minutes ahead
        scheduledAt('2026-03-02T08:04:00Z', 'northbridge-bio:b-time-3'), // within five minutes
        scheduledAt('2026-01-15T08:00:00Z', 'northbridge-bio:b-time-4'), // a late entry: legitimate
      ].map((event) => world.incoming(event)),
    );
    expect(answers.map(codeOf)).toEqual([
      'time.in-the-future',
      'time.in-the-future',
      'accepted',
      'accepted',
    ]);
    expect(answers[0]).toMatchObject({
      rejection: { message: expect.stringMatching(/365 days after Concord received it/) },
    });
  });

  it('takes the tolerance it is configured with', async () => {
    const { pipeline, scheduledAt, world } = await setUp(60 * 60_000);
    const [answer] = await pipeline.ingestMany([
      world.incoming(scheduledAt('2026-03-02T08:30:00Z', 'northbridge-bio:b-time-5')),
    ]);
    expect(codeOf(answer!)).toBe('accepted');
  });

  it('judges a late entry under the agreement in force when it occurred and when it was received', async () => {
    const { store, pipeline, scheduledAt, world } = await setUp();
    const inTime = await pipeline.ingestMany([
      world.incoming(scheduledAt('2026-02-10T08:00:00Z', 'northbridge-bio:b-time-7')),
    ]);
    expect(codeOf(inTime[0]!)).toBe('accepted');
    await store.append(streams.agreement(AGREEMENT), [
      {
        id: 'terminate-agreement',
        type: 'concord.agreement.terminated.v1',
        data: {
          agreementId: AGREEMENT,
          effectiveAt: '2026-02-20T00:00:00Z',
          reason: 'Supply transferred.',
        },
        metadata: { actorid: 'concord-admin', actororg: 'concord', time: '2026-02-15T00:00:00Z' },
      },
    ]);
    // Occurred while the agreement was in force, received after it ended: refused.
    const late = await pipeline.ingestMany([
      world.incoming(scheduledAt('2026-02-12T08:00:00Z', 'northbridge-bio:b-time-8')),
    ]);
    expect(late[0]).toMatchObject({
      status: 'rejected',
      rejection: { code: 'authorization.no-agreement' },
    });
  });

  it('refuses an event signed by a key revoked before it was received, whatever time it claims', async () => {
    const { store, pipeline, scheduledAt, world } = await setUp();
    await store.append(streams.organization(CDMO), [
      {
        id: 'revoke-cdmo-key',
        type: 'concord.organization.signing-key-revoked.v1',
        data: {
          organizationId: CDMO,
          keyId: world.keys[CDMO]!.keyId,
          revokedAt: '2026-02-01T00:00:00Z',
          reason: 'Key compromised.',
        },
        metadata: { actorid: 'concord-admin', actororg: 'concord', time: '2026-02-01T00:00:00Z' },
      },
    ]);
    // Backdated to when the key was still valid, received after its revocation.
    const [answer] = await pipeline.ingestMany([
      world.incoming(scheduledAt('2026-01-20T08:00:00Z', 'northbridge-bio:b-time-6')),
    ]);
    expect(answer).toMatchObject({
      status: 'rejected',
      rejection: { code: 'sender.signing-key-revoked', path: '/signaturekeyid' },
    });
  });
});
