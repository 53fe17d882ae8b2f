import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { newEvent } from '@concord/event-store/contract-suite';
import { pgDatabase, type SqlDatabase } from '@concord/sql';
import { waitFor } from '@concord/test-infra';
import { describeWithPostgres } from '@concord/test-infra/vitest';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { PostgresEventStore } from './postgres-event-store.ts';

describeWithPostgres('PostgresEventStore ordering under concurrency and crashes', (database) => {
  let db: SqlDatabase;
  let store: PostgresEventStore;
  beforeAll(async () => {
    db = pgDatabase({ connectionString: database().url });
    store = await PostgresEventStore.open(db);
  });
  afterAll(async () => {
    await store.close();
  });

  // Whichever append function the slow transaction ran: the one for many streams, or for one.
  it.each(['es_append_streams', 'es_append_one_stream'])(
    'never lets a reader pass an event whose transaction commits after later ones (%s)',
    async (appendFunction) => {
      const start = await store.headPosition();
      // The store's own append function, run in a transaction that has not committed yet.
      const slow = new pg.Client({ connectionString: database().url });
      await slow.connect();
      try {
        await slow.query('begin');
        const { rows } = await slow.query<{ p: string }>(
          `select first_position::text as p from ${appendFunction}(array[$1], array[0], array[1], now(),
           array[$2], array['concord.test.slow.v1'], array['{}'], array['{}'],
           array['not-checked-here'], array[null])`,
          [`slow-${randomUUID()}`, randomUUID()],
        );
        const slowPosition = BigInt(rows[0]!.p);

        // Others append and commit after it, with later positions.
        const fast = await store.append(`fast-${randomUUID()}`, [newEvent(), newEvent()]);
        expect(fast.positions[0]! > slowPosition).toBe(true);

        // A reader must not see the later events yet: moving past them would skip the slow one.
        expect(await store.readAll({ after: start })).toEqual([]);
        expect(await store.headPosition()).toBe(start);

        await slow.query('commit');
        // Visible once every older transaction on the server has ended (other suites run beside).
        const all = await waitFor(
          async () => {
            const events = await store.readAll({ after: start });
            return events.length === 3 && events;
          },
          { description: 'the three events readable' },
        );
        expect(all.map((e) => e.globalPosition)).toEqual([slowPosition, ...fast.positions]);
      } finally {
        await slow.end();
      }
    },
  );

  it('hands a subscriber an event announced while an older transaction hid it, without waiting to poll', async () => {
    // Any older transaction on the server (another database's, even) holds the visibility
    // horizon: the append commits and notifies, but readers cannot see it until that one ends.
    const older = new pg.Client({ connectionString: database().url });
    await older.connect();
    const handled: string[] = [];
    const subscription = store.subscribe(
      `horizon-${randomUUID()}`,
      async (events) => void handled.push(...events.map((e) => e.id)),
      // An hour between polls: only following the announcement can hand the event over in time.
      { pollIntervalMs: 3_600_000 },
    );
    try {
      await subscription.waitFor(await store.headPosition());
      await older.query('begin');
      await older.query('select pg_current_xact_id()');
      const event = newEvent();
      const head = await store.headPosition();
      await store.append(`horizon-${randomUUID()}`, [event]);
      // Committed and announced, but hidden from every reader while the older one runs.
      expect(await store.readAll({ after: head })).toEqual([]);
      await older.query('commit');
      await waitFor(() => handled.includes(event.id), {
        description: 'the announced event handed over once readable',
        timeoutMs: 20_000,
      });
    } finally {
      await subscription.stop();
      await older.end();
    }
  });

  it("does not hide later events from every reader while a subscriber's handler runs", async () => {
    // A subscriber's batch runs in a transaction with its checkpoint. Were that transaction to
    // hold a transaction id while its handler works (a Kafka send, a projection), every reader
    // on the server would stay below it: nothing appended meanwhile could be read by anyone.
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let handling!: () => void;
    const inHandler = new Promise<void>((resolve) => (handling = resolve));
    const subscription = store.subscribe(`slow-${randomUUID()}`, async () => {
      handling();
      await released;
    });
    try {
      await store.append(`slow-${randomUUID()}`, [newEvent()]);
      await inHandler;
      const head = await store.headPosition();
      const event = newEvent();
      await store.append(`meanwhile-${randomUUID()}`, [event]);
      // Other suites' transactions on the server may hide it for a moment, never for long.
      await waitFor(
        async () => (await store.readAll({ after: head })).some((e) => e.id === event.id),
        { description: 'the event appended while the handler runs, readable', timeoutMs: 10_000 },
      );
    } finally {
      release();
      await subscription.stop();
    }
  });

  it('delivers every event exactly once, in global order, to a subscriber killed at random points', async () => {
    await db.exec(
      `create table if not exists seen_by_subscriber (
         seq bigserial primary key, subscriber_id text not null, position bigint not null, event_id text not null)`,
    );
    const subscriberId = `crash-${randomUUID()}`;
    const worker = fileURLToPath(new URL('./test-subscriber-worker.ts', import.meta.url));
    let child: ChildProcess | undefined;
    const startWorker = async () => {
      child = spawn(
        process.execPath,
        ['--experimental-strip-types', '--no-warnings', worker, database().url, subscriberId],
        {
          stdio: ['ignore', 'pipe', 'inherit'],
        },
      );
      const current = child;
      await new Promise<void>((resolve, reject) => {
        current.stdout!.once('data', () => resolve());
        current.once('exit', (code) => reject(new Error(`worker exited early with ${code}`)));
      });
    };
    const kill = async () => {
      const current = child;
      if (!current || current.exitCode !== null) return;
      const exited = new Promise((resolve) => current.once('exit', resolve));
      current.kill('SIGKILL');
      await exited;
    };

    await store.saveCheckpoint(subscriberId, await store.headPosition());
    const streams = Array.from({ length: 5 }, () => `crash-${randomUUID()}`);
    const positions: bigint[] = [];
    let written = false;
    // Writers keep appending while the subscriber is killed and restarted.
    const writer = (async () => {
      for (let round = 0; round < 150; round++) {
        const result = await store.append(streams[round % streams.length]!, [
          newEvent(),
          newEvent(),
          newEvent(),
        ]);
        positions.push(...result.positions);
      }
      written = true;
    })();
    try {
      for (let crash = 0; crash < 6; crash++) {
        const reached = await store.loadCheckpoint(subscriberId);
        await startWorker();
        // Let it handle a random number of batches, then kill it wherever it happens to be.
        const batches = 1 + Math.floor(Math.random() * 4);
        // Once the writer is done, a subscriber that caught up has nothing more to handle: on a
        // fast run the last restarts find it there (waiting for more batches would never end).
        await waitFor(
          async () => {
            const checkpoint = await store.loadCheckpoint(subscriberId);
            return (
              checkpoint > reached + BigInt(batches * 7 - 7) ||
              (written && checkpoint >= positions.at(-1)!)
            );
          },
          { timeoutMs: 30_000, description: `the subscriber to handle ${batches} batches` },
        );
        await kill();
      }
      await writer;
      await startWorker();
      const last = positions.at(-1)!;
      await waitFor(async () => (await store.loadCheckpoint(subscriberId)) >= last, {
        timeoutMs: 30_000,
        description: 'the restarted subscriber to catch up',
      });
    } finally {
      await writer.catch(() => undefined);
      await kill();
    }
    const { rows } = await db.query<{ position: string }>(
      'select position::text as position from seen_by_subscriber where subscriber_id = $1 order by seq',
      [subscriberId],
    );
    const seen = rows.map((row) => BigInt(row.position));
    expect(seen).toEqual([...positions].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
  });
});
