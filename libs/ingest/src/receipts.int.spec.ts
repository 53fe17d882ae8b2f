// Receipts through the real pipeline on PostgreSQL: every answer carries the platform's signed
// receipt, kept with the answer and given again word for word; a partner checks it with nothing but
// the standalone verifier and the platform's keyring, and later proves with a checkpoint that the
// log holds exactly the event the receipt names.
import { eventHash } from '@concord/event-store';
import { PostgresEventStore } from '@concord/event-store-postgres';
import {
  checkpointOf,
  generatePlatformKey,
  inclusionIn,
  publicHalf,
  readLog,
  receiptSigner,
} from '@concord/evidence';
import { pgDatabase, type SqlDatabase } from '@concord/sql';
import { describeWithPostgres } from '@concord/test-infra/vitest';
import {
  eventDigest,
  receiptBody,
  verifyReceiptInclusion,
  verifyReceiptSignature,
  type AcceptedReceipt,
  type SignedReceipt,
} from '@concord/verifier';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpIngestHandler, type HttpIngestResponse } from './http-ingest.ts';
import { IngestPipeline } from './ingest-pipeline.ts';
import { sqlOutcomeLog } from './outcome-log.ts';
import type { Outcome } from './outcome.ts';
import { CDMO, seedPartnerWorld, type PartnerWorld } from './test-support/partner-world.ts';

const platformKey = generatePlatformKey('2026-01-01T00:00:00.000Z');
const keyring = [publicHalf(platformKey)];

const receiptOf = (outcome: Outcome | undefined): SignedReceipt => {
  if (!outcome?.receipt) throw new Error(`no receipt in ${JSON.stringify(outcome)}`);
  return outcome.receipt;
};
const accepted = (receipt: SignedReceipt) => receipt as SignedReceipt & AcceptedReceipt;

/** What someone with write access to the database could do behind the store's back. */
const tamper = (db: SqlDatabase, sql: string, params: unknown[]) =>
  db.transaction(async (tx) => {
    await tx.query('set local session_replication_role = replica');
    await tx.query(sql, params);
  });

describeWithPostgres('receipts of ingest answers, on PostgreSQL', (database) => {
  let db: SqlDatabase;
  let store: PostgresEventStore;
  let world: PartnerWorld;
  let clock = new Date('2026-06-01T08:00:00.000Z');
  const pipeline = async () =>
    new IngestPipeline({
      store,
      outcomes: await sqlOutcomeLog(db),
      clock: () => clock,
      receipts: receiptSigner(platformKey),
    });
  beforeAll(async () => {
    db = pgDatabase({ connectionString: database().url, maxConnections: 4 });
    store = await PostgresEventStore.open(db);
    await sqlOutcomeLog(db);
    await db.transaction(async (tx) => {
      await tx.query('set local session_replication_role = replica');
      await tx.exec('truncate es_events, es_streams, es_checkpoints, ingest_outcomes');
    });
    world = await seedPartnerWorld(store);
  });
  afterAll(async () => {
    await store?.close();
  });

  let batches = 0;
  const newBatch = () => {
    const batchId = `${CDMO}:b-receipt-${++batches}`;
    const on = (path: string, data: Record<string, unknown> = {}) =>
      world.partnerEvent(CDMO, path, { subject: batchId }, { batchId, ...data });
    return {
      batchId,
      scheduled: on('batch/scheduled.v1'),
      started: on('batch/manufacturing-started.v1'),
      completed: on('batch/manufacturing-completed.v1'),
      reviewed: on('batch/record-reviewed.v1'),
      // The example's purity (96.4 %) is below the specification: the platform opens an OOS.
      outOfSpec: on('batch/qc-result-recorded.v1'),
    };
  };

  it("signs an acceptance with the stored event's hash and position, and gives it again on redelivery", async () => {
    const { batchId, scheduled } = newBatch();
    const [answer] = await (await pipeline()).ingestMany([world.incoming(scheduled)]);
    expect(answer).toMatchObject({ status: 'accepted', duplicate: false });
    const receipt = accepted(receiptOf(answer));
    expect(await verifyReceiptSignature(receipt, keyring)).toBe(true);

    const [stored] = await store.readStream(`batch-${batchId}`);
    expect(receipt).toMatchObject({
      format: 'concord.receipt.v1',
      status: 'accepted',
      organizationId: CDMO,
      source: scheduled.source,
      id: scheduled.id,
      digest: eventDigest(scheduled),
      eventId: stored!.id,
      streamId: `batch-${batchId}`,
      events: [
        {
          eventId: stored!.id,
          type: 'concord.batch.scheduled.v1',
          globalPosition: String(stored!.globalPosition),
          hash: stored!.hash,
        },
      ],
      receivedAt: '2026-06-01T08:00:00.000Z',
      recordedAt: stored!.recordedAt,
      logOrigin: 'concord.example/log',
      keyId: platformKey.keyId,
    });

    // Redelivered later, to another instance: the same receipt (the same signed bytes; jsonb
    // keeps no field order, which the canonical body does not depend on).
    clock = new Date('2026-06-01T09:00:00.000Z');
    for (const replay of [await pipeline(), await pipeline()]) {
      const [again] = await replay.ingestMany([world.incoming(structuredClone(scheduled))]);
      expect(again).toMatchObject({ status: 'accepted', duplicate: true });
      expect(receiptOf(again)).toEqual(receipt);
      expect(receiptBody(receiptOf(again))).toBe(receiptBody(receipt));
    }
  });

  it('gives the receipt on record when another instance answered the same event first', async () => {
    const { scheduled } = newBatch();
    const outcomes = await sqlOutcomeLog(db);
    const first = await pipeline();
    const [answer] = await first.ingestMany([world.incoming(scheduled)]);
    const onRecord = receiptOf(answer);
    // A second instance read the outcome log before the first recorded its answer: it decides the
    // event again (a redelivery, to the store) and signs its own receipt, but the first's is the
    // one on record, and the one it gives.
    clock = new Date('2026-06-01T11:00:00.000Z');
    const late = new IngestPipeline({
      store,
      outcomes: { find: async () => new Map(), record: (entries) => outcomes.record(entries) },
      clock: () => clock,
      receipts: receiptSigner(platformKey),
    });
    const [again] = await late.ingestMany([world.incoming(structuredClone(scheduled))]);
    expect(again).toMatchObject({ status: 'accepted', duplicate: true });
    expect(receiptOf(again)).toEqual(onRecord);
  });

  it('names what the platform derived from the event, each at its own position', async () => {
    const { batchId, scheduled, started, completed, reviewed, outOfSpec } = newBatch();
    const answers = await (
      await pipeline()
    ).ingestMany(
      [scheduled, started, completed, reviewed, outOfSpec].map((event) => world.incoming(event)),
    );
    expect(answers.map((answer) => answer.status)).toEqual(Array(5).fill('accepted'));
    const receipt = accepted(receiptOf(answers[4]));
    const stream = await store.readStream(`batch-${batchId}`);
    expect(receipt.events.map((event) => event.type)).toEqual([
      'concord.batch.qc-result-recorded.v1',
      'concord.batch.oos-investigation-opened.v1',
    ]);
    expect(receipt.events).toEqual(
      stream.slice(4).map((event) => ({
        eventId: event.id,
        type: event.type,
        globalPosition: String(event.globalPosition),
        hash: event.hash,
      })),
    );
    expect(await verifyReceiptSignature(receipt, keyring)).toBe(true);
  });

  it('signs a refusal too, and gives it again word for word', async () => {
    const { started } = newBatch(); // a batch never scheduled
    const [refused] = await (await pipeline()).ingestMany([world.incoming(started)]);
    expect(refused!.status).toBe('rejected');
    const receipt = receiptOf(refused);
    expect(receipt).toMatchObject({
      status: 'rejected',
      organizationId: CDMO,
      source: started.source,
      id: started.id,
      type: 'concord.batch.manufacturing-started.v1',
      digest: eventDigest(started),
      code: refused!.status === 'rejected' ? refused!.rejection.code : '',
    });
    expect(await verifyReceiptSignature(receipt, keyring)).toBe(true);
    clock = new Date('2026-06-01T10:00:00.000Z');
    const [again] = await (await pipeline()).ingestMany([world.incoming(structuredClone(started))]);
    expect(again).toEqual(refused);
    expect(
      await verifyReceiptSignature({ ...receipt, code: 'batch.other' } as SignedReceipt, keyring),
    ).toBe(false);
  });

  it('signs what it can say of input it could not read', async () => {
    const [answer] = await (
      await pipeline()
    ).ingestMany([
      {
        channelOrganizationId: CDMO,
        decoded: {
          ok: false,
          errors: [{ path: '', code: 'undecodable', message: 'The bytes are not JSON.' }],
        },
      },
    ]);
    const receipt = receiptOf(answer);
    expect(receipt).toMatchObject({ status: 'rejected', source: '', id: '' });
    expect(receipt).not.toHaveProperty('digest');
    expect(await verifyReceiptSignature(receipt, keyring)).toBe(true);
  });

  it('puts the receipt in the HTTP answer', async () => {
    const { scheduled } = newBatch();
    const handler = httpIngestHandler({ pipeline: await pipeline(), authenticate: () => CDMO });
    const response = await handler(
      new Request('http://concord.test/ingest', {
        method: 'POST',
        headers: { 'content-type': 'application/cloudevents+json' },
        body: JSON.stringify(scheduled),
      }),
    );
    const { outcomes } = (await response.json()) as HttpIngestResponse;
    expect(outcomes[0]).toMatchObject({ status: 'accepted', receipt: { id: scheduled.id } });
    expect(await verifyReceiptSignature(outcomes[0]!.receipt!, keyring)).toBe(true);
    const tampered = accepted(outcomes[0]!.receipt!);
    for (const change of [
      { globalPosition: String(BigInt(tampered.events[0]!.globalPosition) + 1n) },
      { hash: tampered.events[0]!.hash.replace(/^./, (c) => (c === '0' ? '1' : '0')) },
    ])
      expect(
        await verifyReceiptSignature(
          { ...tampered, events: [{ ...tampered.events[0]!, ...change }] },
          keyring,
        ),
      ).toBe(false);
  });

  describe('against a later checkpoint', () => {
    it('proves the receipt’s events are in the log, and convicts a log where the event was rewritten', async () => {
      const { batchId, scheduled, started } = newBatch();
      const [answer] = await (await pipeline()).ingestMany([world.incoming(scheduled)]);
      const receipt = accepted(receiptOf(answer));
      // The log grows after the answer: the partner's checkpoint is a later one.
      await (await pipeline()).ingestMany([world.incoming(started), ...newBatchEvents()]);

      const log = await readLog(store);
      const checkpoint = checkpointOf(log.leaves, platformKey, '2026-06-01T12:00:00.000Z');
      const position = BigInt(receipt.events[0]!.globalPosition);
      const inclusion = inclusionIn(log, position)!;
      expect(inclusion.treeSize).toBeGreaterThan(inclusion.leafIndex + 1);
      expect(await verifyReceiptInclusion(receipt, keyring, { checkpoint, inclusion })).toEqual({
        ok: true,
      });
      // Not at another leaf, nor in a tree from before the event.
      expect(
        await verifyReceiptInclusion(receipt, keyring, {
          checkpoint,
          inclusion: inclusionIn(log, log.leafIndexOf.keys().next().value!)!,
        }),
      ).toMatchObject({ ok: false });
      const before = checkpointOf(
        log.leaves.slice(0, inclusion.leafIndex),
        platformKey,
        '2026-06-01T12:00:00.000Z',
      );
      expect(
        await verifyReceiptInclusion(receipt, keyring, {
          checkpoint: before,
          inclusion: { ...inclusion, treeSize: before.treeSize },
        }),
      ).toMatchObject({ ok: false });

      // An insider rewrites the event and recomputes its hash and the stream's chain: the log's
      // checkpoints can no longer prove what the partner's receipt names.
      const [stored, next] = await store.readStream(`batch-${batchId}`);
      const data = { ...stored!.data, batchNumber: 'REWRITTEN' };
      const hash = eventHash({ ...stored!, data });
      await tamper(db, 'update es_events set data = $1, hash = $2 where event_id = $3', [
        JSON.stringify(data),
        hash,
        stored!.id,
      ]);
      const nextHash = eventHash({ ...next!, previousHash: hash });
      await tamper(db, 'update es_events set previous_hash = $1, hash = $2 where event_id = $3', [
        hash,
        nextHash,
        next!.id,
      ]);
      const rewritten = await readLog(store);
      const later = checkpointOf(rewritten.leaves, platformKey, '2026-06-01T13:00:00.000Z');
      const check = await verifyReceiptInclusion(receipt, keyring, {
        checkpoint: later,
        inclusion: inclusionIn(rewritten, position)!,
      });
      expect(check).toEqual({ ok: false, problem: expect.stringContaining('does not include') });
    });
  });

  function newBatchEvents() {
    const { scheduled, started } = newBatch();
    return [world.incoming(scheduled), world.incoming(started)];
  }
});
