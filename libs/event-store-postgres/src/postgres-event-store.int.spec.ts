import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventStoreContract } from '@concord/event-store/contract-suite';
import { pgDatabase, pgliteDatabase, type SqlDatabase, type SqlExecutor } from '@concord/sql';
import { waitFor } from '@concord/test-infra';
import { describeWithPostgres } from '@concord/test-infra/vitest';
import { ConcurrencyError } from '@concord/event-store';
import { describe, expect, it } from 'vitest';
import { PostgresEventStore } from './postgres-event-store.ts';

/**
 * Changes a stored event's data with plain SQL, behind the store's back, as an insider who can
 * switch the append-only trigger off (a superuser).
 */
const tamperWith = (sql: SqlDatabase) => async (streamId: string, streamVersion: number) => {
  await sql.transaction(async (tx) => {
    await tx.query('set local session_replication_role = replica');
    await tx.query(
      `update es_events set data = jsonb_set(data, '{note}', '"edited by hand"')
       where stream_id = $1 and stream_version = $2`,
      [streamId, streamVersion],
    );
  });
};

/** A database whose statements are counted (announcements of new positions, sent on their own after appends, are not). */
function countingStatements(connectionString: string) {
  const statements: string[] = [];
  const db = pgDatabase({ connectionString });
  const query = db.query.bind(db);
  db.query = ((text: string, params?: unknown[]) => {
    if (!text.includes('pg_notify')) statements.push(text);
    return query(text, params);
  }) as typeof db.query;
  return { db, statements };
}

describeWithPostgres('PostgresEventStore on a PostgreSQL server', (database) => {
  eventStoreContract(
    async () => {
      const open = () => PostgresEventStore.open(pgDatabase({ connectionString: database().url }));
      const store = await open();
      const admin = pgDatabase({ connectionString: database().url, maxConnections: 1 });
      return {
        store,
        tamper: tamperWith(admin),
        reopen: open,
        dispose: async () => {
          await admin.close();
          await store.close();
        },
      };
    },
    { tamper: true, reopen: true, atomicAppendMany: true },
  );

  it('appends right after another process moved a stream it wrote last (its known head is stale)', async () => {
    const open = () => PostgresEventStore.open(pgDatabase({ connectionString: database().url }));
    const [mine, theirs] = [await open(), await open()];
    try {
      const streamId = `batch-${crypto.randomUUID()}`;
      const event = (n: number) => ({ id: `${streamId}/${n}`, type: 't', data: { n } });
      await mine.append(streamId, [event(1)], { expectedVersion: 'no-stream' });
      await theirs.append(streamId, [event(2)], { expectedVersion: 1 });
      // `mine` last saw version 1: a writer naming that version gets the true conflict...
      const refused = mine.append(streamId, [event(3)], { expectedVersion: 1 });
      await expect(refused).rejects.toBeInstanceOf(ConcurrencyError);
      await expect(refused).rejects.toMatchObject({ actualVersion: 2 });
      // ...and writers naming the true version, or none, are appended after the other's event.
      await mine.append(streamId, [event(3)], { expectedVersion: 2 });
      await theirs.append(streamId, [event(4)]);
      const answer = await mine.append(streamId, [event(5)]);
      expect(answer.nextExpectedVersion).toBe(5);
      expect((await mine.readStream(streamId)).map((e) => e.data.n)).toEqual([1, 2, 3, 4, 5]);
      expect(await mine.verify({ streamId })).toMatchObject({ ok: true, events: 5 });
    } finally {
      await mine.close();
      await theirs.close();
    }
  });

  it('answers a lost race from its one append call, and chains the retry to the head it answered', async () => {
    const { db, statements } = countingStatements(database().url);
    const mine = await PostgresEventStore.open(db);
    const open = () => PostgresEventStore.open(pgDatabase({ connectionString: database().url }));
    const [theirs, later] = [await open(), await open()];
    try {
      const streamId = `batch-${crypto.randomUUID()}`;
      const event = (n: number) => ({ id: `${streamId}/${n}`, type: 't', data: { n } });
      await mine.append(streamId, [event(1)], { expectedVersion: 'no-stream' });
      await theirs.append(streamId, [event(2)], { expectedVersion: 1 });
      await theirs.append(streamId, [event(3)], { expectedVersion: 2 });

      // `mine` wrote version 1 last and a writer of it names that version: the call is refused
      // (the others won), and that answer is the conflict, with the version it lost to.
      statements.length = 0;
      const lost = mine.append(streamId, [event(4)], { expectedVersion: 1 });
      await expect(lost).rejects.toBeInstanceOf(ConcurrencyError);
      await expect(lost).rejects.toMatchObject({ actualVersion: 3 });
      expect(statements).toHaveLength(1);

      // The writer tries again at that version: chained to the head the refusal answered, with
      // no read of its own; and a writer naming no version that loses a race is appended after.
      statements.length = 0;
      const retried = await mine.append(streamId, [event(4)], { expectedVersion: 3 });
      expect(retried.nextExpectedVersion).toBe(4);
      expect(statements).toHaveLength(1);
      await theirs.append(streamId, [event(5)]);
      statements.length = 0;
      expect((await mine.append(streamId, [event(6)])).nextExpectedVersion).toBe(6);
      expect(statements).toHaveLength(2);

      // A writer that knows nothing of the stream sends its first event again, as new: refused,
      // and answered as what it is, a redelivery, with its position; new events as new are not.
      const redelivered = await later.append(streamId, [event(1)], {
        expectedVersion: 'no-stream',
      });
      const stored = await mine.readStream(streamId);
      expect(redelivered).toMatchObject({ duplicate: true, nextExpectedVersion: 6 });
      expect(redelivered.positions).toEqual([stored[0]!.globalPosition]);
      await expect(
        later.append(streamId, [event(7)], { expectedVersion: 'no-stream' }),
      ).rejects.toMatchObject({ actualVersion: 6 });
      expect(stored.map((e) => e.data.n)).toEqual([1, 2, 3, 4, 5, 6]);
      expect(await mine.verify({ streamId })).toMatchObject({ ok: true, events: 6 });
    } finally {
      await mine.close();
      await theirs.close();
      await later.close();
    }
  });

  it('chains an append to the head its catch-up read saw, without reading the head again', async () => {
    const { db, statements } = countingStatements(database().url);
    const mine = await PostgresEventStore.open(db);
    const theirs = await PostgresEventStore.open(pgDatabase({ connectionString: database().url }));
    try {
      const known = `batch-${crypto.randomUUID()}`;
      const fresh = `batch-${crypto.randomUUID()}`;
      const event = (streamId: string, n: number) => ({
        id: `${streamId}/${n}`,
        type: 't',
        data: { n },
      });
      // Another writer made the stream: this store knows nothing of its head but what it reads.
      await theirs.append(known, [event(known, 1), event(known, 2)]);
      const read = await mine.readStreamsFrom([
        { streamId: known, fromVersion: 1 },
        { streamId: fresh, fromVersion: 1 },
      ]);
      expect(read.get(known)).toHaveLength(2);
      expect(read.get(fresh)).toEqual([]);

      // Decided on that read: one statement, the append, chained to the heads it saw.
      statements.length = 0;
      const outcomes = await mine.appendMany([
        { streamId: known, events: [event(known, 3)], expectedVersion: 2 },
        { streamId: fresh, events: [event(fresh, 1)], expectedVersion: 0 },
      ]);
      expect(outcomes.map((outcome) => outcome.status)).toEqual(['appended', 'appended']);
      expect(statements).toHaveLength(1);
      expect(await mine.verify({ streamId: known })).toMatchObject({ ok: true, events: 3 });
      expect(await mine.verify({ streamId: fresh })).toMatchObject({ ok: true, events: 1 });

      // A head that moved after the read: the append is refused and answered as the conflict
      // it is (decided on version 3, the stream is at 4); a writer naming no version goes after.
      await mine.readStreamsFrom([{ streamId: known, fromVersion: 1 }]);
      await theirs.append(known, [event(known, 4)]);
      const [stale] = await mine.appendMany([
        { streamId: known, events: [event(known, 5)], expectedVersion: 3 },
      ]);
      expect(stale).toMatchObject({ status: 'conflict', actualVersion: 4 });
      await mine.readStreamsFrom([{ streamId: known, fromVersion: 4 }]);
      await theirs.append(known, [event(known, 5)]);
      expect((await mine.append(known, [event(known, 6)])).nextExpectedVersion).toBe(6);
      expect((await mine.readStream(known)).map((e) => e.data.n)).toEqual([1, 2, 3, 4, 5, 6]);
      expect(await mine.verify({ streamId: known })).toMatchObject({ ok: true, events: 6 });
    } finally {
      await mine.close();
      await theirs.close();
    }
  });

  it('announces a burst of appends in a few notifications, the last one carrying the head', async () => {
    const intervalMs = 500;
    const db = pgDatabase({ connectionString: database().url });
    const store = await PostgresEventStore.open(db, { announceIntervalMs: intervalMs });
    const listener = pgDatabase({ connectionString: database().url });
    const heard: { position: bigint; at: number }[] = [];
    const unlisten = await listener.listen('concord_events', (payload) =>
      heard.push({ position: BigInt(payload), at: performance.now() }),
    );
    try {
      const streamId = `batch-${crypto.randomUUID()}`;
      const started = performance.now();
      let head = 0n;
      for (let n = 1; n <= 40; n++) {
        const { positions } = await store.append(streamId, [
          { id: `${streamId}/${n}`, type: 't', data: { n } },
        ]);
        head = positions.at(-1)!;
      }
      const elapsed = performance.now() - started;
      // Whatever else appends on the server, this store's last position is announced...
      await expect.poll(() => heard.some((h) => h.position >= head), { timeout: 5_000 }).toBe(true);
      const ours = heard.filter((h) => h.position > head - 40n && h.position <= head);
      // ...the first at once (an idle store adds no delay), then at most one per interval.
      expect(ours[0]!.at - started).toBeLessThan(intervalMs);
      expect(ours.length).toBeLessThanOrEqual(2 + Math.floor(elapsed / intervalMs));
      expect(ours.length).toBeLessThan(40);
      // Announcements name positions in order: a reader never hears the head go back.
      const positions = ours.map((h) => h.position);
      expect(positions).toEqual([...positions].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
    } finally {
      await unlisten();
      await listener.close();
      await store.close();
    }
  });

  // The function for many streams, and the one for one stream that every command's append uses.
  it.each(['es_append_streams', 'es_append_one_stream'])(
    "%s refuses in SQL an append chained to a head that is not the stream's, whatever its version",
    async (appendFunction) => {
      const db = pgDatabase({ connectionString: database().url });
      const store = await PostgresEventStore.open(db);
      try {
        const streamId = `batch-${crypto.randomUUID()}`;
        await store.append(streamId, [{ id: `${streamId}/1`, type: 't', data: {} }]);
        const { rows } = await db.query<{ first_position: string | null; current_version: number }>(
          `select first_position, current_version from ${appendFunction}(array[$1], array[1],
             array[1], now(), array[$2], array['t'], array['{}'], array['{}'], array['h2'],
             array['not-the-head'])`,
          [streamId, `${streamId}/2`],
        );
        expect(rows).toEqual([{ first_position: null, current_version: 1 }]);
        expect(await store.readStream(streamId)).toHaveLength(1);
      } finally {
        await store.close();
      }
    },
  );

  describe('es_append_one_stream', () => {
    type Answer = {
      stream_id: string;
      first_position: string | null;
      current_version: number;
      head_hash: string | null;
      stored: boolean;
    };
    /** One call, as the store makes it: `events` chained from `previous` at `readVersion`. */
    const appendOne = (
      sql: SqlExecutor,
      streamId: string,
      readVersion: number,
      previous: string | null,
      ids: string[],
    ) =>
      sql.query<Answer>(
        `select stream_id, first_position::text, current_version, head_hash, stored
         from es_append_one_stream(array[$1], array[$2::integer], array[$3::integer], now(), $4,
           array_fill('t'::text, array[$3]), array_fill('{}'::text, array[$3]),
           array_fill('{}'::text, array[$3]), $5, $6)`,
        [
          streamId,
          readVersion,
          ids.length,
          ids,
          ids.map((id) => `hash-of-${id}`),
          [previous, ...ids.slice(0, -1).map((id) => `hash-of-${id}`)],
        ],
      );

    it('appends to a new stream and after its head, each event at its version and position', async () => {
      const db = pgDatabase({ connectionString: database().url });
      const store = await PostgresEventStore.open(db);
      try {
        const streamId = `batch-${crypto.randomUUID()}`;
        const [first] = (
          await appendOne(
            db,
            streamId,
            0,
            null,
            ['a1', 'a2'].map((n) => `${streamId}/${n}`),
          )
        ).rows;
        expect(first).toMatchObject({ current_version: 2, head_hash: null, stored: false });
        const [second] = (
          await appendOne(db, streamId, 2, `hash-of-${streamId}/a2`, [`${streamId}/a3`])
        ).rows;
        expect(second!.current_version).toBe(3);
        const stored = await store.readStream(streamId);
        expect(stored.map((e) => [e.id, e.streamVersion, e.previousHash])).toEqual([
          [`${streamId}/a1`, 1, null],
          [`${streamId}/a2`, 2, `hash-of-${streamId}/a1`],
          [`${streamId}/a3`, 3, `hash-of-${streamId}/a2`],
        ]);
        expect(stored.map((e) => e.globalPosition)).toEqual([
          BigInt(first!.first_position!),
          BigInt(first!.first_position!) + 1n,
          BigInt(second!.first_position!),
        ]);
        const { rows: head } = await db.query<{ version: number; head_hash: string }>(
          'select version, head_hash from es_streams where stream_id = $1',
          [streamId],
        );
        expect(head).toEqual([{ version: 3, head_hash: `hash-of-${streamId}/a3` }]);
      } finally {
        await store.close();
      }
    });

    it('answers a refusal with the head its winner left, after waiting for that winner to commit', async () => {
      const db = pgDatabase({ connectionString: database().url });
      // A connection of its own, to hold the winner's transaction open.
      const winner = await db.session!();
      try {
        const streamId = `batch-${crypto.randomUUID()}`;
        await appendOne(db, streamId, 0, null, [`${streamId}/1`]);
        await winner.query('begin');
        await appendOne(winner, streamId, 1, `hash-of-${streamId}/1`, [`${streamId}/2`]);
        // The loser read version 1 too: its call waits on the stream row until the winner ends.
        let answered = false;
        const loser = appendOne(db, streamId, 1, `hash-of-${streamId}/1`, [
          `${streamId}/other`,
        ]).finally(() => (answered = true));
        // Seen waiting on the winner's row lock, and not answered while it waits.
        await waitFor(
          async () => {
            const { rows } = await db.query<{ waiting: number }>(
              `select count(*)::int as waiting from pg_stat_activity
               where datname = current_database() and wait_event_type = 'Lock'
                 and query like '%es_append_one_stream%'`,
            );
            return rows[0]!.waiting === 1;
          },
          { description: 'the loser waiting on the stream row' },
        );
        expect(answered).toBe(false);
        await winner.query('commit');
        expect((await loser).rows).toEqual([
          {
            stream_id: streamId,
            first_position: null,
            current_version: 2,
            head_hash: `hash-of-${streamId}/2`,
            stored: false,
          },
        ]);
        // A redelivery of a stored event is refused the same way, and said to be stored.
        const [again] = (await appendOne(db, streamId, 0, null, [`${streamId}/1`])).rows;
        expect(again).toMatchObject({ first_position: null, current_version: 2, stored: true });
        // A stream with no row stands at version 0, and the refused call leaves none behind.
        const missing = `batch-${crypto.randomUUID()}`;
        const [none] = (await appendOne(db, missing, 4, 'h', [`${missing}/5`])).rows;
        expect(none).toMatchObject({ first_position: null, current_version: 0, head_hash: null });
        const { rows } = await db.query('select 1 from es_streams where stream_id = $1', [missing]);
        expect(rows).toEqual([]);
      } finally {
        await winner.close();
        await db.close();
      }
    });

    it('refuses arguments that are not one stream and its events', async () => {
      const db = pgDatabase({ connectionString: database().url });
      try {
        type Arguments = { streams: string; versions: string; counts: string; previous: string };
        const call = ({ streams, versions, counts, previous }: Arguments) =>
          db.query<{ current_version: number }>(
            `select current_version from es_append_one_stream(${streams}, ${versions}, ${counts},
               now(), array[$1 || '/1', $1 || '/2'], array['t','t'], array['{}','{}'],
               array['{}','{}'], array['h1','h2'], ${previous})`,
            [streamId],
          );
        const streamId = `batch-${crypto.randomUUID()}`;
        const right: Arguments = {
          streams: `array['${streamId}']`,
          versions: 'array[0]',
          counts: 'array[2]',
          previous: "array[null,'h1']",
        };
        for (const wrong of [
          { streams: `array['${streamId}','other']`, versions: 'array[0,0]', counts: 'array[1,1]' },
          { counts: 'array[1]' },
          { counts: 'array[2,0]' },
          { versions: 'array[-1]' },
          { versions: 'array[0,0]' },
          { previous: 'array[null::text]' },
        ])
          await expect(call({ ...right, ...wrong })).rejects.toMatchObject({ code: '22023' });
        // Nothing was written; the same call, its arguments right, appends.
        expect((await call(right)).rows).toEqual([{ current_version: 2 }]);
      } finally {
        await db.close();
      }
    });
  });

  it('appends the streams of one call around one it refuses, each event to its own stream and version', async () => {
    const db = pgDatabase({ connectionString: database().url });
    const store = await PostgresEventStore.open(db);
    try {
      const first = `batch-first-${crypto.randomUUID()}`;
      const stale = `batch-stale-${crypto.randomUUID()}`;
      const last = `batch-last-${crypto.randomUUID()}`;
      const [head] = (await store.append(stale, [{ id: `${stale}/1`, type: 't', data: {} }]))
        .hashes;
      // Two events of `first` at version 0, one of `stale` chained to a head it no longer has,
      // three of `last` at version 0, in one call.
      const ids = [`${first}/1`, `${first}/2`, `${stale}/2`, `${last}/1`, `${last}/2`, `${last}/3`];
      const previous = [null, 'f1', 'not-the-head', null, 'l1', 'l2'];
      const call = (counts: number[]) =>
        db.query<{ stream_id: string; first_position: string | null; current_version: number }>(
          `select stream_id, first_position::text, current_version from es_append_streams(
             $1, array[0, 1, 0], $2, now(), $3, array['t','t','t','t','t','t'],
             array['{}','{}','{}','{}','{}','{}'], array['{}','{}','{}','{}','{}','{}'],
             array['f1','f2','s2','l1','l2','l3'], $4)`,
          [[first, stale, last], counts, ids, previous],
        );
      await expect(call([2, 1, 2])).rejects.toMatchObject({ code: '22023' });
      await expect(call([2, 0, 4])).rejects.toMatchObject({ code: '22023' });
      const { rows } = await call([2, 1, 3]);
      expect(rows.map((row) => [row.stream_id, row.current_version])).toEqual([
        [first, 2],
        [stale, 1],
        [last, 3],
      ]);
      expect(rows[1]!.first_position).toBeNull();
      const stored = [
        ...(await store.readStream(first)),
        ...(await store.readStream(stale)),
        ...(await store.readStream(last)),
      ];
      expect(stored.map((e) => [e.id, e.streamVersion, e.hash, e.previousHash])).toEqual([
        [`${first}/1`, 1, 'f1', null],
        [`${first}/2`, 2, 'f2', 'f1'],
        [`${stale}/1`, 1, head, null],
        [`${last}/1`, 1, 'l1', null],
        [`${last}/2`, 2, 'l2', 'l1'],
        [`${last}/3`, 3, 'l3', 'l2'],
      ]);
      // Positions in the order of the call, each stream's first where the function said.
      expect(stored[0]!.globalPosition).toBe(BigInt(rows[0]!.first_position!));
      expect(stored[3]!.globalPosition).toBe(BigInt(rows[2]!.first_position!));
      expect(stored[3]!.globalPosition - stored[0]!.globalPosition).toBe(3n);
      const { rows: heads } = await db.query<{
        stream_id: string;
        version: number;
        head_hash: string;
      }>(
        'select stream_id, version, head_hash from es_streams where stream_id = any($1) order by version',
        [[first, last]],
      );
      expect(heads.map((h) => [h.stream_id, h.version, h.head_hash])).toEqual([
        [first, 2, 'f2'],
        [last, 3, 'l3'],
      ]);
    } finally {
      await store.close();
    }
  });
});

describe('PostgresEventStore on PGlite (embedded)', () => {
  eventStoreContract(
    async () => {
      const dir = await mkdtemp(join(tmpdir(), 'concord-pglite-store-'));
      const db = await pgliteDatabase({ dataDir: dir });
      const store = await PostgresEventStore.open(db);
      return {
        store,
        tamper: tamperWith(db),
        // PGlite allows one process per folder: the restart closes the first store.
        reopen: async () => {
          await store.close();
          return PostgresEventStore.open(await pgliteDatabase({ dataDir: dir }));
        },
        dispose: async () => {
          await store.close().catch(() => undefined);
          await rm(dir, { recursive: true, force: true });
        },
      };
    },
    { tamper: true, reopen: true, atomicAppendMany: true },
  );
});

describe('subscriptions on PGlite (one connection)', () => {
  it('let a handler read and append through the store without waiting for itself', async () => {
    const store = await PostgresEventStore.open(await pgliteDatabase());
    try {
      await store.append('deviation-d1', [{ id: 'e1', type: 'reported', data: { n: 1 } }]);
      const seen: string[] = [];
      const subscription = store.subscribe('reactor', async (events) => {
        for (const event of events) {
          seen.push(event.id);
          if (!event.streamId.startsWith('deviation-')) continue;
          // What the deviation ↔ batch process manager does: read a stream, append to another.
          await store.readStream(event.streamId);
          await store.append('batch-b1', [
            { id: `${event.id}:link`, type: 'linked', data: { from: event.id } },
          ]);
        }
      });
      await subscription.waitFor(2n);
      await subscription.stop();
      expect(seen).toEqual(['e1', 'e1:link']);
      expect(await store.loadCheckpoint('reactor')).toBe(2n);
    } finally {
      await store.close();
    }
  });
});
