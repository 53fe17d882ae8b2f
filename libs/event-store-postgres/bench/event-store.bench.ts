// Event store benchmark on PostgreSQL (`pnpm bench`). Not a test: it reports figures, each next to
// a ceiling measured in the same run on the same server (a raw multi-row INSERT of the same rows,
// a plain SELECT of the same rows), so the ratios mean something on any machine. Each scenario
// also runs, with the same events, against the best-known TypeScript peer, Emmett's PostgreSQL
// event store, in a database of its own on the same server: Concord/Emmett is the figure to watch.
import { randomUUID } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { dumbo } from '@event-driven-io/dumbo';
import { isExpectedVersionConflictError } from '@event-driven-io/emmett';
import {
  defaultTag,
  getPostgreSQLEventStore,
  readMessagesBatch,
  type PostgresEventStore as EmmettEventStore,
} from '@event-driven-io/emmett-postgresql';
import pg from 'pg';
import { chainEventTexts, ConcurrencyError, type NewEvent } from '@concord/event-store';
import { pgDatabase, type SqlDatabase } from '@concord/sql';
import { createTestDatabase, LOCAL_POSTGRES_URL } from '@concord/test-infra';
import { PostgresEventStore } from '../src/index.ts';

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '20000' },
    batch: { type: 'string', default: '100' },
    writers: { type: 'string', default: '8' },
    runs: { type: 'string', default: '3' },
    out: { type: 'string', default: 'artifacts/bench/event-store.json' },
  },
});
const TOTAL = Number(values.events);
const BATCH = Number(values.batch);
const WRITERS = Number(values.writers);
const RUNS = Number(values.runs);
const SINGLE = Math.min(2000, TOTAL / 5);
/** Streams per `appendMany` call in scenario 4, one event each; and a full ingest batch. */
const MANY_STREAMS = 100;
const MANY_STREAMS_LARGE = 2000;
/** appendMany's events/s with MANY_STREAMS_LARGE streams per call over MANY_STREAMS: at least. */
const MANY_GROWTH_TARGET = 0.8;
const BATCHED_TARGET = 0.7;
const READ_TARGET = 50_000;

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

/** The same event as Emmett takes it: its message id travels in the metadata. */
const toEmmett = (event: NewEvent) => ({
  type: event.type,
  data: event.data,
  metadata: { ...event.metadata, messageId: event.id },
});

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;

const median = (figures: number[]) => {
  const sorted = [...figures].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};

/**
 * Run before every timed phase: a CHECKPOINT, so that each phase starts with no dirty buffers
 * and pays the same full-page images in the WAL for the first change of each page. Without it,
 * whichever phase ran first after the previous one's writes was up to a quarter slower, and the
 * raw-INSERT ceilings, measured after both stores, were favoured by their place in the order.
 */
let settleDatabase = async () => {};

async function timed<T>(work: () => Promise<T>): Promise<{ seconds: number; result: T }> {
  await settleDatabase();
  const start = performance.now();
  const result = await work();
  return { seconds: (performance.now() - start) / 1000, result };
}

/** Events per second of `work`, which handles `events` events. */
const rateOf = async (events: number, work: () => Promise<void>) =>
  events / (await timed(work)).seconds;

/** Runs `count` jobs with `concurrency` at a time. */
async function pool(count: number, concurrency: number, job: (i: number) => Promise<void>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) await job(next++);
    }),
  );
}

/** One scenario on both stores; who goes first alternates between runs, so neither always does. */
async function onBoth<T>(
  run: number,
  concord: () => Promise<T>,
  emmett: () => Promise<T>,
): Promise<{ concord: T; emmett: T }> {
  if (run % 2 === 0) {
    const first = await concord();
    return { concord: first, emmett: await emmett() };
  }
  const first = await emmett();
  return { concord: await concord(), emmett: first };
}

/**
 * Rows per second of multi-row INSERTs of `batches` into a copy of es_events (its indexes too):
 * the rows the store writes for them, hash chain included (chained outside the timing, as the
 * store's caller would have them), without the store's checks, stream heads or positions.
 */
async function rawInsertCeiling(
  db: SqlDatabase,
  table: string,
  batches: NewEvent[][],
  streamOf: (batch: number, k: number) => { streamId: string; version: number },
): Promise<number> {
  await db.exec(`create table ${table} (like es_events including all)`);
  const recordedAt = new Date().toISOString();
  const rows = batches.map((batch, i) => {
    const heads = new Map<string, string | null>();
    return batch.map((event, k) => {
      const { streamId, version } = streamOf(i, k);
      const [chained] = chainEventTexts(
        streamId,
        version - 1,
        heads.get(streamId) ?? null,
        [event],
        recordedAt,
      );
      heads.set(streamId, chained!.hash);
      return chained!;
    });
  });
  let position = 0;
  const { seconds } = await timed(() =>
    pool(rows.length, WRITERS, async (i) => {
      const batch = rows[i]!;
      const first = position;
      position += batch.length;
      await db.query(
        `insert into ${table} (global_position, transaction_id, stream_id, stream_version, event_id,
           event_type, data, metadata, recorded_at, hash, previous_hash)
         select p, pg_current_xact_id(), s, v, id, t, d::jsonb, m::jsonb, $10, h, ph
         from unnest($1::bigint[], $2::text[], $3::int[], $4::text[], $5::text[],
           string_to_array($6, chr(30)), string_to_array($7, chr(30)), $8::text[], $9::text[])
           as e(p, s, v, id, t, d, m, h, ph)`,
        [
          batch.map((_, k) => first + k + 1),
          batch.map((e) => e.streamId),
          batch.map((e) => e.streamVersion),
          batch.map((e) => e.id),
          batch.map((e) => e.type),
          // As the store sends them: one text each, split by the SQL (no array literal to escape).
          batch.map((e) => e.dataJson).join('\u001e'),
          batch.map((e) => e.metadataJson).join('\u001e'),
          batch.map((e) => e.hash),
          batch.map((e) => e.previousHash),
          recordedAt,
        ],
      );
    }),
  );
  return batches.flat().length / seconds;
}

/** Sessions the database has had so far (pg_stat_database.sessions, PostgreSQL 14+). */
async function backendStarts(
  query: (sql: string) => Promise<{ rows: { n: string }[] }>,
): Promise<number> {
  const { rows } = await query(
    `select sessions::text as n from pg_stat_database where datname = current_database()`,
  );
  return Number(rows[0]!.n);
}

/**
 * dumbo (Emmett's driver layer) installs its int8 and json parsers on the `pg` module itself, so
 * every pool in the process gets them: left there, Concord's reads would go through Emmett's JSON
 * reviver too. Each store reads as it does in production: Emmett's pool gets dumbo's parsers
 * through its own `types`, and the process-wide ones go back to pg's.
 */
const PARSED_BY_DUMBO = [20, 114, 3802]; // int8, json, jsonb
type TextParser = (value: string) => unknown;
const pgParsers = new Map(PARSED_BY_DUMBO.map((oid) => [oid, pg.types.getTypeParser(oid)]));
const dumboParsers = new Map<number, TextParser>();
function confineDumboParsers() {
  for (const [oid, original] of pgParsers) {
    const current: TextParser = pg.types.getTypeParser(oid);
    if (current === original) continue;
    dumboParsers.set(oid, current);
    pg.types.setTypeParser(oid, original);
  }
}
const emmettTypes = {
  getTypeParser: (oid: number, format?: 'text' | 'binary') =>
    (format !== 'binary' && dumboParsers.get(oid)) || pg.types.getTypeParser(oid, format),
} as pg.CustomTypesConfig;

interface SingleFigures {
  eventsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  retries: number;
}
interface HotFigures {
  eventsPerSecond: number;
  conflicts: number;
  newServerProcesses: number;
}
interface ReadFigures {
  eventsPerSecond: number;
  events: number;
  distinctEvents: number;
  storedEvents: number;
}
interface RunFigures {
  concord: {
    single: SingleFigures;
    hot: HotFigures;
    batched: number;
    readAll: ReadFigures;
    appendMany: number;
    appendManyLarge: number;
  };
  emmett: { single: SingleFigures; hot: HotFigures; batched: number; readAll: ReadFigures };
  ceilings: {
    rawInsert: number;
    plainSelect: number;
    rawInsertMany: number;
    rawInsertManyLarge: number;
  };
  postgres: string;
}

/** One run: both stores in fresh databases, every scenario, the same events for both. */
async function runOnce(run: number, server: string): Promise<RunFigures> {
  const concordDatabase = await createTestDatabase(server, 'concord_bench');
  const emmettDatabase = await createTestDatabase(server, 'emmett_bench');
  const db = pgDatabase({ connectionString: concordDatabase.url, maxConnections: WRITERS + 2 });
  settleDatabase = async () => void (await db.exec('checkpoint'));
  const emmettPool = new pg.Pool({
    connectionString: emmettDatabase.url,
    max: WRITERS + 2,
    application_name: 'emmett-bench',
    types: emmettTypes,
  });
  // A connection of this pool that PostgreSQL ends while idle (the run's databases are dropped
  // with force at its end) is an 'error' event: unheard, it ended the whole bench in one of its
  // runs ("terminating connection due to administrator command"). The pool replaces it.
  emmettPool.on('error', () => undefined);
  const emmettDb = dumbo({ connectionString: emmettDatabase.url, pool: emmettPool });
  let emmett: EmmettEventStore | undefined;
  try {
    const store = await PostgresEventStore.open(db);
    emmett = getPostgreSQLEventStore(emmettDatabase.url, {
      connectionOptions: { dumbo: emmettDb },
    });
    await emmett.schema.migrate();
    confineDumboParsers();
    const emmettStore = emmett;
    const postgres = (
      await db.query<{ v: string }>(`select current_setting('server_version') as v`)
    ).rows[0]!.v;

    // The first calls of each store compile its code paths; they are not what is measured.
    const warmup = Array.from({ length: 100 }, (_, i) => qcEvent(i));
    await onBoth(
      run,
      () =>
        pool(warmup.length, WRITERS, async (i) => {
          await store.append(`warmup-${i}`, [warmup[i]!]);
        }),
      () =>
        pool(warmup.length, WRITERS, async (i) => {
          await emmettStore.appendToStream(`warmup-${i}`, [toEmmett(warmup[i]!)]);
        }),
    );

    // 1. Single-event appends from concurrent writers, each to its own stream: latency and rate.
    //    Neither writer states a version. Concord retries a lost race inside `append`; Emmett
    //    throws even without an expected version (its UPDATE of the stream row found the row
    //    moved), so the writer retries, as Concord does for it.
    const singles = Array.from({ length: SINGLE }, (_, i) => qcEvent(i));
    const singleAppends = async (append: (streamId: string, i: number) => Promise<boolean>) => {
      const latencies: number[] = [];
      let retries = 0;
      const { seconds } = await timed(() =>
        pool(SINGLE, WRITERS, async (i) => {
          const start = performance.now();
          while (!(await append(`single-${i % 200}`, i))) retries++;
          latencies.push(performance.now() - start);
        }),
      );
      latencies.sort((a, b) => a - b);
      return {
        eventsPerSecond: SINGLE / seconds,
        p50Ms: percentile(latencies, 50),
        p99Ms: percentile(latencies, 99),
        retries,
      };
    };
    const emmettSingles = singles.map(toEmmett);
    const single = await onBoth(
      run,
      () => singleAppends((streamId, i) => store.append(streamId, [singles[i]!]).then(() => true)),
      () =>
        singleAppends((streamId, i) =>
          emmettStore.appendToStream(streamId, [emmettSingles[i]!]).then(
            () => true,
            (error: unknown) => {
              if (!isExpectedVersionConflictError(error)) throw error;
              return false;
            },
          ),
        ),
    );

    // 1b. One-event appends to 50 hot streams from WRITERS writers, each at the version it read:
    //     conflicts are part of the load (read again, append again). The same appends to 200 cold
    //     streams in 1. are the ceiling: a conflict should cost a retry, not a new connection.
    //     Both stores get the same events on the same streams in the same order. Emmett has no
    //     call for a stream's version alone (streamExists answers a boolean, readStream reads every
    //     event), so its writer reads the emt_streams row its own append function reads: both
    //     stores pay one single-row read per attempt.
    const hotEvents = Array.from({ length: SINGLE }, (_, i) => qcEvent(i));
    const emmettHotEvents = hotEvents.map(toEmmett);
    const hotStreamOf = hotEvents.map(() => `hot-${Math.floor(Math.random() * 50)}`);
    const hotAppends = async (
      sessions: () => Promise<number>,
      versionOf: (streamId: string) => Promise<number>,
      appendAt: (streamId: string, i: number, version: number) => Promise<boolean>,
    ) => {
      let conflicts = 0;
      const before = await sessions();
      const { seconds } = await timed(() =>
        pool(SINGLE, WRITERS, async (i) => {
          const streamId = hotStreamOf[i]!;
          while (!(await appendAt(streamId, i, await versionOf(streamId)))) conflicts++;
        }),
      );
      return {
        eventsPerSecond: SINGLE / seconds,
        conflicts,
        newServerProcesses: (await sessions()) - before,
      };
    };
    const hot = await onBoth(
      run,
      () =>
        hotAppends(
          () => backendStarts((sql) => db.query(sql)),
          async (streamId) => (await store.streamInfo(streamId))?.version ?? 0,
          (streamId, i, version) =>
            store
              .append(streamId, [hotEvents[i]!], {
                expectedVersion: version === 0 ? 'no-stream' : version,
              })
              .then(
                () => true,
                (error: unknown) => {
                  if (!(error instanceof ConcurrencyError)) throw error;
                  return false;
                },
              ),
        ),
      () =>
        hotAppends(
          () => backendStarts((sql) => emmettPool.query(sql)),
          async (streamId) => {
            const { rows } = await emmettPool.query<{ version: string }>(
              `select stream_position::text as version from emt_streams
               where stream_id = $1 and partition = $2 and is_archived = false`,
              [streamId, defaultTag],
            );
            return Number(rows[0]?.version ?? 0);
          },
          (streamId, i, version) =>
            emmettStore
              .appendToStream(streamId, [emmettHotEvents[i]!], {
                expectedStreamVersion: BigInt(version),
              })
              .then(
                () => true,
                (error: unknown) => {
                  if (!isExpectedVersionConflictError(error)) throw error;
                  return false;
                },
              ),
        ),
    );

    // 2. Batched appends (BATCH events per append) to new streams, against the raw-insert ceiling.
    //    Emmett's "no stream" is 0n: its STREAM_DOES_NOT_EXIST constant reaches SQL as "no check".
    const batches = Array.from({ length: TOTAL / BATCH }, (_, b) =>
      Array.from({ length: BATCH }, (_, k) => qcEvent(b * BATCH + k)),
    );
    const emmettBatches = batches.map((batch) => batch.map(toEmmett));
    const batched = await onBoth(
      run,
      () =>
        rateOf(batches.length * BATCH, () =>
          pool(batches.length, WRITERS, async (i) => {
            await store.append(`batched-${i}`, batches[i]!, { expectedVersion: 'no-stream' });
          }),
        ),
      () =>
        rateOf(batches.length * BATCH, () =>
          pool(batches.length, WRITERS, async (i) => {
            await emmettStore.appendToStream(`batched-${i}`, emmettBatches[i]!, {
              expectedStreamVersion: 0n,
            });
          }),
        ),
    );
    const rawInsert = await rawInsertCeiling(db, 'raw_events', batches, (i, k) => ({
      streamId: `raw-${i}`,
      version: k + 1,
    }));

    // 3. Read everything in pages of 1000, against a plain SELECT of the same rows and pages. The
    //    rates count the events read: positions are not dense (an append that lost a race left its
    //    reserved positions unused), so the head position is not the number of events.
    //    Emmett: readMessagesBatch, the exported read under its consumers' message batch puller
    //    (the puller itself sleeps between batches). It reads only transactions older than every
    //    running one, but orders by (transaction_id, global_position) and resumes at a
    //    global_position, which its sequence hands out row by row while concurrent appends
    //    interleave: under concurrent writers a page boundary can skip or repeat events, so it is
    //    not gap-free. Its messages table has no index on either column: each page sorts the table.
    const readAll = await onBoth(
      run,
      async () => {
        const { seconds, result: events } = await timed(async () => {
          let count = 0;
          for (let after = 0n; ; ) {
            const page = await store.readAll({ after, maxCount: 1000 });
            if (page.length === 0) return count;
            count += page.length;
            after = page.at(-1)!.globalPosition;
          }
        });
        const stored = (await db.query<{ n: number }>(`select count(*)::int as n from es_events`))
          .rows[0]!.n;
        return {
          eventsPerSecond: events / seconds,
          events,
          distinctEvents: events,
          storedEvents: stored,
        };
      },
      async () => {
        const ids = new Set<string>();
        const { seconds, result: events } = await timed(async () => {
          let count = 0;
          for (let after = 0n; ; ) {
            const page = await readMessagesBatch(emmettDb.execute, { after, batchSize: 1000 });
            if (page.messages.length === 0) return count;
            count += page.messages.length;
            for (const message of page.messages) ids.add(message.metadata.messageId);
            after = page.currentGlobalPosition;
          }
        });
        const stored = (
          await emmettPool.query<{ n: number }>(`select count(*)::int as n from emt_messages`)
        ).rows[0]!.n;
        return {
          eventsPerSecond: events / seconds,
          events,
          distinctEvents: ids.size,
          storedEvents: stored,
        };
      },
    );
    // The position travels as text under another name: "order by global_position" must sort the
    // column (numbers), not a text alias of it, or the pages skip rows and the ceiling is inflated.
    const plainSelect = await timed(async () => {
      let count = 0;
      for (let after = '0'; ; ) {
        const { rows } = await db.query<{ position: string }>(
          `select global_position::text as position, stream_id, stream_version, event_id, event_type,
             data, metadata, recorded_at, hash, previous_hash
           from es_events where global_position > $1::bigint order by global_position limit 1000`,
          [after],
        );
        if (rows.length === 0) return count;
        count += rows.length;
        after = rows.at(-1)!.position;
      }
    });
    const { events: concordRead, storedEvents } = readAll.concord;
    if (plainSelect.result !== concordRead || concordRead !== storedEvents) {
      throw new Error(
        `readAll read ${concordRead} events, the plain SELECT ${plainSelect.result}, ${storedEvents} stored`,
      );
    }

    // 4. appendMany: new streams of one event each per call, one transaction, against a raw
    //    INSERT of the same rows, each to its own stream; at MANY_STREAMS per call and at
    //    MANY_STREAMS_LARGE (what ingest appends for a full consumer batch): the cost per event
    //    must not grow with the streams of a call. Emmett has no multi-stream append.
    const appendManyAt = async (streamsPerCall: number) => {
      // Whole rounds of WRITERS calls (two at least): a last round of fewer calls than writers
      // would leave writers idle and be counted as the store's slowness.
      const rounds = Math.max(2, Math.floor(TOTAL / streamsPerCall / WRITERS));
      const calls = Array.from({ length: rounds * WRITERS }, (_, c) =>
        Array.from({ length: streamsPerCall }, (_, k) => qcEvent(c * streamsPerCall + k)),
      );
      const eventsPerSecond = await rateOf(calls.length * streamsPerCall, () =>
        pool(calls.length, WRITERS, async (c) => {
          const outcomes = await store.appendMany(
            calls[c]!.map((event, k) => ({
              streamId: `many-${streamsPerCall}-${c}-${k}`,
              events: [event],
              expectedVersion: 'no-stream' as const,
            })),
          );
          if (outcomes.some((outcome) => outcome.status !== 'appended'))
            throw new Error(`appendMany call ${c} had a conflict on new streams`);
        }),
      );
      const rawInsert = await rawInsertCeiling(db, `raw_many_${streamsPerCall}`, calls, (c, k) => ({
        streamId: `raw-many-${streamsPerCall}-${c}-${k}`,
        version: 1,
      }));
      return { eventsPerSecond, rawInsert };
    };
    const appendMany = await appendManyAt(MANY_STREAMS);
    const appendManyLarge = await appendManyAt(MANY_STREAMS_LARGE);

    for (const [oid, original] of pgParsers) {
      if (pg.types.getTypeParser(oid) !== original)
        throw new Error(`dumbo set pg's parser of type ${oid} again: Concord's reads were skewed`);
    }
    await store.close();
    return {
      concord: {
        single: single.concord,
        hot: hot.concord,
        batched: batched.concord,
        readAll: readAll.concord,
        appendMany: appendMany.eventsPerSecond,
        appendManyLarge: appendManyLarge.eventsPerSecond,
      },
      emmett: {
        single: single.emmett,
        hot: hot.emmett,
        batched: batched.emmett,
        readAll: readAll.emmett,
      },
      ceilings: {
        rawInsert,
        plainSelect: plainSelect.result / plainSelect.seconds,
        rawInsertMany: appendMany.rawInsert,
        rawInsertManyLarge: appendManyLarge.rawInsert,
      },
      postgres,
    };
  } finally {
    await emmett?.close();
    await emmettPool.end();
    await Promise.all([concordDatabase.drop(), emmettDatabase.drop()]);
  }
}

async function main() {
  const server = process.env.DATABASE_URL ?? LOCAL_POSTGRES_URL;
  const peerVersion = (
    JSON.parse(
      await readFile(
        new URL('../package.json', import.meta.resolve('@event-driven-io/emmett-postgresql')),
        'utf8',
      ),
    ) as { version: string }
  ).version;
  const runs: RunFigures[] = [];
  for (let run = 0; run < RUNS; run++) {
    if (RUNS > 1) console.log(`run ${run + 1} of ${RUNS}`);
    runs.push(await runOnce(run, server));
  }

  // Medians over the runs; ratios are the medians of each run's own ratio (both sides of a ratio
  // ran minutes apart at most, on the same load).
  const m = (pick: (r: RunFigures) => number, digits = 0) =>
    +median(runs.map(pick)).toFixed(digits);
  const vsPeer = (pick: (side: RunFigures['emmett']) => number) =>
    m((r) => pick(r.concord) / pick(r.emmett), 2);
  const gapFree = runs.every(
    (r) =>
      r.emmett.readAll.events === r.emmett.readAll.storedEvents &&
      r.emmett.readAll.distinctEvents === r.emmett.readAll.storedEvents,
  );
  const results = {
    when: new Date().toISOString(),
    postgres: runs[0]!.postgres,
    settings: {
      events: TOTAL,
      batch: BATCH,
      writers: WRITERS,
      singleAppends: SINGLE,
      appendManyStreams: [MANY_STREAMS, MANY_STREAMS_LARGE],
      runs: RUNS,
    },
    singleAppend: {
      eventsPerSecond: m((r) => r.concord.single.eventsPerSecond),
      p50Ms: m((r) => r.concord.single.p50Ms, 2),
      p99Ms: m((r) => r.concord.single.p99Ms, 2),
    },
    hotStreams: {
      eventsPerSecond: m((r) => r.concord.hot.eventsPerSecond),
      coldStreamCeiling: m((r) => r.concord.single.eventsPerSecond),
      ratio: m((r) => r.concord.hot.eventsPerSecond / r.concord.single.eventsPerSecond, 2),
      conflicts: m((r) => r.concord.hot.conflicts),
      newServerProcesses: m((r) => r.concord.hot.newServerProcesses),
    },
    batchedAppend: {
      eventsPerSecond: m((r) => r.concord.batched),
      rawInsertCeiling: m((r) => r.ceilings.rawInsert),
      ratio: m((r) => r.concord.batched / r.ceilings.rawInsert, 2),
      target: BATCHED_TARGET,
    },
    readAll: {
      events: m((r) => r.concord.readAll.events),
      eventsPerSecond: m((r) => r.concord.readAll.eventsPerSecond),
      plainSelectCeiling: m((r) => r.ceilings.plainSelect),
      ratio: m((r) => r.concord.readAll.eventsPerSecond / r.ceilings.plainSelect, 2),
      target: READ_TARGET,
    },
    appendMany: {
      streamsPerCall: MANY_STREAMS,
      eventsPerSecond: m((r) => r.concord.appendMany),
      rawInsertCeiling: m((r) => r.ceilings.rawInsertMany),
      ratio: m((r) => r.concord.appendMany / r.ceilings.rawInsertMany, 2),
    },
    appendManyLarge: {
      streamsPerCall: MANY_STREAMS_LARGE,
      eventsPerSecond: m((r) => r.concord.appendManyLarge),
      rawInsertCeiling: m((r) => r.ceilings.rawInsertManyLarge),
      ratio: m((r) => r.concord.appendManyLarge / r.ceilings.rawInsertManyLarge, 2),
      /** Events/s at MANY_STREAMS_LARGE streams per call over events/s at MANY_STREAMS. */
      growth: m((r) => r.concord.appendManyLarge / r.concord.appendMany, 2),
      growthTarget: MANY_GROWTH_TARGET,
    },
    peer: {
      name: '@event-driven-io/emmett-postgresql',
      version: peerVersion,
      /** Concord/Emmett on single, batched, hot-stream and read-all: at least this. */
      goal: 1.0,
      ratios: {
        singleAppend: vsPeer((side) => side.single.eventsPerSecond),
        hotStreams: vsPeer((side) => side.hot.eventsPerSecond),
        batchedAppend: vsPeer((side) => side.batched),
        readAll: vsPeer((side) => side.readAll.eventsPerSecond),
      },
      singleAppend: {
        eventsPerSecond: m((r) => r.emmett.single.eventsPerSecond),
        p50Ms: m((r) => r.emmett.single.p50Ms, 2),
        p99Ms: m((r) => r.emmett.single.p99Ms, 2),
        retries: m((r) => r.emmett.single.retries),
      },
      hotStreams: {
        eventsPerSecond: m((r) => r.emmett.hot.eventsPerSecond),
        conflicts: m((r) => r.emmett.hot.conflicts),
        newServerProcesses: m((r) => r.emmett.hot.newServerProcesses),
      },
      batchedAppend: { eventsPerSecond: m((r) => r.emmett.batched) },
      readAll: {
        events: m((r) => r.emmett.readAll.events),
        distinctEvents: m((r) => r.emmett.readAll.distinctEvents),
        storedEvents: m((r) => r.emmett.readAll.storedEvents),
        eventsPerSecond: m((r) => r.emmett.readAll.eventsPerSecond),
        gapFree,
      },
    },
  };
  await mkdir(new URL('.', `file://${process.cwd()}/${values.out}`).pathname, {
    recursive: true,
  });
  await writeFile(values.out, `${JSON.stringify(results, null, 2)}\n`);

  const { peer } = results;
  const row = (
    name: string,
    concord: string,
    emmett: string,
    ratio: string,
    ceiling: string,
    verdict: string,
  ) =>
    console.log(
      `${name.padEnd(34)} ${concord.padStart(12)} ${emmett.padStart(12)} ${ratio.padStart(8)} ${ceiling.padStart(26)}  ${verdict}`,
    );
  console.log(
    `\nEvent store benchmark — PostgreSQL ${results.postgres}, ${TOTAL} events, ${WRITERS} writers, ` +
      `${RUNS === 1 ? '1 run' : `median of ${RUNS} runs`}; peer: Emmett ${peer.version}\n`,
  );
  row('measure (events/s)', 'Concord', 'Emmett', 'C/E', 'ceiling (same run)', 'ratio / target');
  row(
    'single-event append',
    String(results.singleAppend.eventsPerSecond),
    String(peer.singleAppend.eventsPerSecond),
    String(peer.ratios.singleAppend),
    '',
    `p50 ${results.singleAppend.p50Ms} ms, p99 ${results.singleAppend.p99Ms} ms ` +
      `(Emmett ${peer.singleAppend.p50Ms} / ${peer.singleAppend.p99Ms} ms, ${peer.singleAppend.retries} retries)`,
  );
  row(
    'one-event appends, 50 hot streams',
    String(results.hotStreams.eventsPerSecond),
    String(peer.hotStreams.eventsPerSecond),
    String(peer.ratios.hotStreams),
    `${results.hotStreams.coldStreamCeiling} cold streams`,
    `${results.hotStreams.ratio}; ${results.hotStreams.conflicts} conflicts ` +
      `(Emmett ${peer.hotStreams.conflicts}), ${results.hotStreams.newServerProcesses} new server processes`,
  );
  row(
    `batched append (${BATCH}/append)`,
    String(results.batchedAppend.eventsPerSecond),
    String(peer.batchedAppend.eventsPerSecond),
    String(peer.ratios.batchedAppend),
    `${results.batchedAppend.rawInsertCeiling} raw INSERT`,
    `${results.batchedAppend.ratio} (target >= ${BATCHED_TARGET})`,
  );
  row(
    'read all (pages of 1000)',
    String(results.readAll.eventsPerSecond),
    String(peer.readAll.eventsPerSecond),
    String(peer.ratios.readAll),
    `${results.readAll.plainSelectCeiling} plain SELECT`,
    `${results.readAll.ratio} (target >= ${READ_TARGET} ev/s); ${results.readAll.events} events ` +
      `(Emmett ${peer.readAll.events} read, ${peer.readAll.distinctEvents} distinct of ${peer.readAll.storedEvents})`,
  );
  row(
    `appendMany (${MANY_STREAMS} streams x 1 event)`,
    String(results.appendMany.eventsPerSecond),
    '-',
    '',
    `${results.appendMany.rawInsertCeiling} raw INSERT`,
    String(results.appendMany.ratio),
  );
  row(
    `appendMany (${MANY_STREAMS_LARGE} streams x 1 event)`,
    String(results.appendManyLarge.eventsPerSecond),
    '-',
    '',
    `${results.appendManyLarge.rawInsertCeiling} raw INSERT`,
    `${results.appendManyLarge.ratio}; ${results.appendManyLarge.growth} x the rate at ` +
      `${MANY_STREAMS} streams (target >= ${MANY_GROWTH_TARGET})`,
  );
  console.log(`\nC/E = Concord/Emmett, goal >= ${peer.goal} on the first four rows`);
  if (!gapFree) {
    console.log(
      "Emmett's readMessagesBatch skipped or repeated events between pages (see the comment at 3.)",
    );
  }
  console.log(`written to ${values.out}`);
}

await main();
