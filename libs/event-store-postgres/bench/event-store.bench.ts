// Event store benchmark on PostgreSQL (`pnpm bench`). Not a test: it reports figures, each next to
// a ceiling measured in the same run on the same server (a raw multi-row INSERT of the same rows,
// a plain SELECT of the same rows), so the ratios mean something on any machine.
import { randomUUID } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { ConcurrencyError, type NewEvent } from '@concord/event-store';
import { pgDatabase, type SqlDatabase } from '@concord/sql';
import { createTestDatabase, LOCAL_POSTGRES_URL } from '@concord/test-infra';
import { PostgresEventStore } from '../src/index.ts';

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '20000' },
    batch: { type: 'string', default: '100' },
    writers: { type: 'string', default: '8' },
    out: { type: 'string', default: 'artifacts/bench/event-store.json' },
  },
});
const TOTAL = Number(values.events);
const BATCH = Number(values.batch);
const WRITERS = Number(values.writers);
const SINGLE = Math.min(2000, TOTAL / 5);

/** A realistic event: a QC result with its envelope metadata (~0.7 KB as JSON). */
function qcEvent(i: number): NewEvent {
  return {
    id: randomUUID(),
    type: 'concord.batch.qc-result-recorded.v1',
    data: {
      batchId: `B-2026-${i % 500}`,
      resultId: `QC-${i}`,
      test: 'Assay (HPLC)',
      method: 'USP <621>',
      specification: { lower: 95, upper: 105, unit: '%' },
      value: 99.2 + (i % 7) / 10,
      unit: '%',
      testedAt: '2026-03-02T10:15:00.000Z',
      laboratoryId: 'lab-basel-qc-1',
    },
    metadata: {
      source: '//cdmo-alpha.example/lims',
      actorid: 'person-qc-analyst-7',
      actororg: 'cdmo-alpha',
      actorrole: 'qc',
      time: '2026-03-02T10:15:00.000Z',
      correlationid: randomUUID(),
      signaturekeyid: 'cdmo-alpha:2026-01',
      signature: 'x'.repeat(88),
    },
  };
}

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;

async function timed<T>(work: () => Promise<T>): Promise<{ seconds: number; result: T }> {
  const start = performance.now();
  const result = await work();
  return { seconds: (performance.now() - start) / 1000, result };
}

/** Runs `count` jobs with `concurrency` at a time. */
async function pool(count: number, concurrency: number, job: (i: number) => Promise<void>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) await job(next++);
    }),
  );
}

async function rawInsertCeiling(db: SqlDatabase, batches: NewEvent[][]): Promise<number> {
  await db.exec(`create table raw_events (like es_events including all)`);
  let position = 0;
  const { seconds } = await timed(() =>
    pool(batches.length, WRITERS, async (i) => {
      const batch = batches[i]!;
      const first = position;
      position += batch.length;
      await db.query(
        `insert into raw_events (global_position, transaction_id, stream_id, stream_version, event_id,
           event_type, data, metadata, recorded_at, hash, previous_hash)
         select p, pg_current_xact_id(), $1, v, id, t, d::jsonb, m::jsonb, now(), 'h', null
         from unnest($2::bigint[], $3::int[], $4::text[], $5::text[], $6::text[], $7::text[]) as e(p, v, id, t, d, m)`,
        [
          `raw-${i}`,
          batch.map((_, k) => first + k + 1),
          batch.map((_, k) => k + 1),
          batch.map((e) => e.id),
          batch.map((e) => e.type),
          batch.map((e) => JSON.stringify(e.data)),
          batch.map((e) => JSON.stringify(e.metadata)),
        ],
      );
    }),
  );
  return TOTAL / seconds;
}

/** Sessions the database has had so far (pg_stat_database.sessions, PostgreSQL 14+). */
async function backendStarts(db: SqlDatabase): Promise<number> {
  const { rows } = await db.query<{ n: string }>(
    `select sessions::text as n from pg_stat_database where datname = current_database()`,
  );
  return Number(rows[0]!.n);
}

async function main() {
  const server = process.env.DATABASE_URL ?? LOCAL_POSTGRES_URL;
  const database = await createTestDatabase(server, 'concord_bench');
  const db = pgDatabase({ connectionString: database.url, maxConnections: WRITERS + 2 });
  try {
    const store = await PostgresEventStore.open(db);
    const server_version = (
      await db.query<{ v: string }>(`select current_setting('server_version') as v`)
    ).rows[0]!.v;

    // 1. Single-event appends from concurrent writers, each to its own stream: latency and rate.
    const latencies: number[] = [];
    const single = await timed(() =>
      pool(SINGLE, WRITERS, async (i) => {
        const start = performance.now();
        await store.append(`single-${i % 200}`, [qcEvent(i)]);
        latencies.push(performance.now() - start);
      }),
    );
    latencies.sort((a, b) => a - b);

    // 1b. One-event appends to 50 hot streams from WRITERS writers, each at the version it read:
    //     conflicts are part of the load (read again, append again). The same appends to 200 cold
    //     streams in 1. are the ceiling: a conflict should cost a retry, not a new connection.
    let conflicts = 0;
    const pidsBefore = await backendStarts(db);
    const hot = await timed(() =>
      pool(SINGLE, WRITERS, async (i) => {
        const streamId = `hot-${Math.floor(Math.random() * 50)}`;
        for (;;) {
          const version = (await store.streamInfo(streamId))?.version ?? 0;
          try {
            await store.append(streamId, [qcEvent(i)], {
              expectedVersion: version === 0 ? 'no-stream' : version,
            });
            return;
          } catch (error) {
            if (!(error instanceof ConcurrencyError)) throw error;
            conflicts++;
          }
        }
      }),
    );
    const newServerProcesses = (await backendStarts(db)) - pidsBefore;

    // 2. Batched appends (BATCH events per append) to many streams, against the raw-insert ceiling.
    const batches = Array.from({ length: TOTAL / BATCH }, (_, b) =>
      Array.from({ length: BATCH }, (_, k) => qcEvent(b * BATCH + k)),
    );
    const batched = await timed(() =>
      pool(batches.length, WRITERS, async (i) => {
        await store.append(`batched-${i}`, batches[i]!, { expectedVersion: 'no-stream' });
      }),
    );
    const batchedRate = TOTAL / batched.seconds;
    const rawRate = await rawInsertCeiling(db, batches);

    // 3. Read everything in pages of 1000, against a plain SELECT of the same rows and pages.
    const total = Number(await store.headPosition());
    const readAll = await timed(async () => {
      let after = 0n;
      for (;;) {
        const page = await store.readAll({ after, maxCount: 1000 });
        if (page.length === 0) return;
        after = page.at(-1)!.globalPosition;
      }
    });
    const plainSelect = await timed(async () => {
      let after = 0;
      for (;;) {
        const { rows } = await db.query<{ global_position: string }>(
          `select global_position::text as global_position, stream_id, stream_version, event_id, event_type,
             data, metadata, recorded_at, hash, previous_hash
           from es_events where global_position > $1 order by global_position limit 1000`,
          [after],
        );
        if (rows.length === 0) return;
        after = Number(rows.at(-1)!.global_position);
      }
    });
    const readRate = total / readAll.seconds;
    const selectRate = total / plainSelect.seconds;

    const results = {
      when: new Date().toISOString(),
      postgres: server_version,
      settings: { events: TOTAL, batch: BATCH, writers: WRITERS, singleAppends: SINGLE },
      singleAppend: {
        eventsPerSecond: Math.round(SINGLE / single.seconds),
        p50Ms: +percentile(latencies, 50).toFixed(2),
        p99Ms: +percentile(latencies, 99).toFixed(2),
      },
      hotStreams: {
        eventsPerSecond: Math.round(SINGLE / hot.seconds),
        coldStreamCeiling: Math.round(SINGLE / single.seconds),
        ratio: +(single.seconds / hot.seconds).toFixed(2),
        conflicts,
        newServerProcesses,
      },
      batchedAppend: {
        eventsPerSecond: Math.round(batchedRate),
        rawInsertCeiling: Math.round(rawRate),
        ratio: +(batchedRate / rawRate).toFixed(2),
        target: 0.5,
      },
      readAll: {
        events: total,
        eventsPerSecond: Math.round(readRate),
        plainSelectCeiling: Math.round(selectRate),
        ratio: +(readRate / selectRate).toFixed(2),
        target: 50_000,
      },
    };
    await mkdir(new URL('.', `file://${process.cwd()}/${values.out}`).pathname, {
      recursive: true,
    });
    await writeFile(values.out, `${JSON.stringify(results, null, 2)}\n`);

    const row = (name: string, value: string, ceiling: string, verdict: string) =>
      console.log(`${name.padEnd(34)} ${value.padStart(16)} ${ceiling.padStart(20)} ${verdict}`);
    console.log(
      `\nEvent store benchmark — PostgreSQL ${server_version}, ${TOTAL} events, ${WRITERS} writers\n`,
    );
    row('measure', 'events/s', 'ceiling (same run)', 'ratio / target');
    row(
      'single-event append',
      String(results.singleAppend.eventsPerSecond),
      '',
      `p50 ${results.singleAppend.p50Ms} ms, p99 ${results.singleAppend.p99Ms} ms`,
    );
    row(
      'one-event appends, 50 hot streams',
      String(results.hotStreams.eventsPerSecond),
      `${results.hotStreams.coldStreamCeiling} cold streams`,
      `${results.hotStreams.ratio}; ${conflicts} conflicts, ${newServerProcesses} new server processes`,
    );
    row(
      `batched append (${BATCH}/append)`,
      String(results.batchedAppend.eventsPerSecond),
      `${results.batchedAppend.rawInsertCeiling} raw INSERT`,
      `${results.batchedAppend.ratio} (target >= 0.5)`,
    );
    row(
      'read all (pages of 1000)',
      String(results.readAll.eventsPerSecond),
      `${results.readAll.plainSelectCeiling} plain SELECT`,
      `${results.readAll.ratio} (target >= 50000 ev/s)`,
    );
    console.log(`\nwritten to ${values.out}`);
    await store.close();
  } finally {
    await database.drop();
  }
}

await main();
