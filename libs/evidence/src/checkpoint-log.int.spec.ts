import { randomUUID } from 'node:crypto';
import { decorateStore, type EventStore } from '@concord/event-store';
import { PostgresEventStore } from '@concord/event-store-postgres';
import { pgDatabase, pgliteDatabase, type SqlDatabase } from '@concord/sql';
import { describeWithPostgres } from '@concord/test-infra/vitest';
import { checkpointsConsistent, consistencyProof, toBase64 } from '@concord/verifier';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CheckpointLog, CheckpointLogError, startCheckpointing } from './checkpoint-log.ts';
import { logTreeHead, readLog } from './log-tree.ts';
import { generatePlatformKey, publicHalf } from './platform-key.ts';

const key = generatePlatformKey('2026-01-01T00:00:00.000Z');
const keyring = [publicHalf(key)];
const clock = () => new Date('2026-06-01T00:00:00.000Z');

function checkpointLogSuite(open: () => Promise<SqlDatabase>) {
  let db: SqlDatabase;
  let store: PostgresEventStore;
  let log: CheckpointLog;
  let eventsRead = 0;
  let counted: EventStore;

  const append = async (count: number) => {
    for (let i = 0; i < count; i++)
      await store.append(`batch-${randomUUID()}`, [
        { id: randomUUID(), type: 'concord.batch.scheduled.v1', data: { n: i } },
      ]);
  };

  beforeAll(async () => {
    db = await open();
    store = await PostgresEventStore.open(db);
    log = await CheckpointLog.open(db);
    counted = decorateStore(store, {
      readAll: async (options) => {
        const page = await store.readAll(options);
        eventsRead += page.length;
        return page;
      },
    });
  });
  afterAll(async () => store?.close());

  it('signs the whole log, then only when it grew, each extending the one before', async () => {
    await append(5);
    const first = await log.signNext(counted, key, keyring, clock);
    const head = await logTreeHead(store);
    expect(first).toMatchObject({ treeSize: head.treeSize, rootHash: toBase64(head.root) });
    expect(await log.signNext(counted, key, keyring, clock)).toBeUndefined();

    await append(3);
    eventsRead = 0;
    const second = (await log.signNext(counted, key, keyring, clock))!;
    // Only what was appended since was read and hashed: the frontier carried the rest.
    expect(eventsRead).toBe(3);
    expect(second.treeSize).toBe(first!.treeSize + 3);
    const { leaves } = await readLog(store);
    const proof = consistencyProof(leaves, first!.treeSize).map(toBase64);
    expect(checkpointsConsistent(first!, second, proof)).toBe(true);
    expect(await log.latest()).toEqual(second);
    expect(await log.list()).toEqual([first, second]);
    expect(await log.list({ afterTreeSize: first!.treeSize })).toEqual([second]);
  });

  it('stops, naming the tampering, when the stored frontier or checkpoint was altered', async () => {
    await append(1);
    const latest = (await log.latest())!;
    await db.query(
      `update log_checkpoints set frontier = jsonb_set(frontier, '{subtrees,0}', to_jsonb($2::text))
       where tree_size = $1`,
      [latest.treeSize, toBase64(new Uint8Array(32))],
    );
    await expect(log.signNext(store, key, keyring, clock)).rejects.toThrow(
      /stored frontier of the last checkpoint .* is not the tree the platform signed/,
    );
    await db.query(
      `update log_checkpoints set checkpoint = jsonb_set(checkpoint, '{treeSize}', '1')
       where tree_size = $1`,
      [latest.treeSize],
    );
    await expect(log.signNext(store, key, keyring, clock)).rejects.toBeInstanceOf(
      CheckpointLogError,
    );
  });
}

describeWithPostgres('the checkpoint log on PostgreSQL', (database) =>
  checkpointLogSuite(async () => pgDatabase({ connectionString: database().url })),
);

describe('the checkpoint log on PGlite (embedded)', () => {
  checkpointLogSuite(() => pgliteDatabase());

  it('signs on a timer and on demand, one at a time, telling whoever publishes', async () => {
    const db = await pgliteDatabase();
    const store = await PostgresEventStore.open(db);
    const log = await CheckpointLog.open(db);
    const heard: number[] = [];
    const errors: unknown[] = [];
    const checkpointing = startCheckpointing({
      store,
      log,
      key,
      keyring,
      intervalMs: 60_000,
      onCheckpoint: (checkpoint) => void heard.push(checkpoint.treeSize),
      onError: (error) => errors.push(error),
    });
    await store.append('batch-b1', [
      { id: randomUUID(), type: 'concord.batch.scheduled.v1', data: {} },
    ]);
    const [a, b] = await Promise.all([checkpointing.runNow(), checkpointing.runNow()]);
    expect(a).toBe(b);
    expect(await checkpointing.runNow()).toBeUndefined();
    await checkpointing.stop();
    expect(heard).toEqual([1]);
    expect(errors).toEqual([]);
    await store.close();
  });
});
