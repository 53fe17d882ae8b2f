// Read-model benchmark on PostgreSQL (`pnpm bench`). Not a test: it reports how fast a rebuild
// projects the whole store (events/s), next to a ceiling measured in the same run on the same
// server and the same rows: reading those events alone with `store.readAll`, in the pages the
// projector reads. The ratio says what projecting and writing cost on top of reading.
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Session } from 'node:inspector/promises';
import { parseArgs } from 'node:util';
import { InMemoryEventStore, type NewEvent, type RecordedEvent } from '@concord/event-store';
import { PostgresEventStore } from '@concord/event-store-postgres';
import {
  PAIR_A,
  PAIR_B,
  partnerExchange,
  personIn,
  type Pair,
  type PartnerExchange,
} from '@concord/ingest/test-support';
import { pgDatabase, pgliteDatabase, type SqlDatabase } from '@concord/sql';
import { createTestDatabase, LOCAL_POSTGRES_URL } from '@concord/test-infra';
import { migrateReadModel, Projector } from '../src/index.ts';

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '50000' },
    // The projector's default chunk; the ceiling reads in pages of the same size.
    batch: { type: 'string', default: '500' },
    // Events a rebuild projects between two writes of its rows (the projector's default: 5000).
    window: { type: 'string' },
    writers: { type: 'string', default: '8' },
    // Timed passes of each (readAll, rebuild); each figure is their median. One pass of readAll
    // (0.7 s) ranged from 55k to 77k events/s from one run to the next on the same machine.
    runs: { type: 'string', default: '3' },
    // Where the figures go. @default artifacts/bench/read-model.json (read-model-pglite.json with --pglite)
    out: { type: 'string' },
    // The embedded mode: store and read model in PGlite in this process, not on the server.
    pglite: { type: 'boolean', default: false },
    // A CPU profile of the rebuild alone (open it in Chrome DevTools), e.g. rebuild.cpuprofile.
    profile: { type: 'string' },
  },
});
const TOTAL = Number(values.events);
const BATCH = Number(values.batch);
const WRITERS = Number(values.writers);
const RUNS = Math.max(1, Number(values.runs));
const TARGET = 20_000;

const NOW = '2026-05-01T12:00:00.000Z';
/**
 * The placeholder in the template's ids and texts (`northbridge-bio:b-tpla-0001`, `TPLA-0001`...).
 * Only the placeholder is replaced, so an instance's ids stay in their CDMO's namespace.
 */
const TEMPLATE = { A: 'tpla-0001', B: 'tplb-0001' } as const;

const hours = (base: string, h: number) => new Date(Date.parse(base) + h * 3_600_000).toISOString();

/**
 * One batch's life with one deviation, exactly as ingest records it (envelopes, signatures,
 * derived events, the process manager's links): scheduled, started, a major deviation reported
 * late and linked, held and resumed, completed and reviewed, three QC results and a correction of
 * one, the deviation downgraded, investigated, CAPA proposed and approved, closed and unlinked,
 * CoA, release, QP certification, shipment.
 */
async function publishLifecycle(exchange: PartnerExchange, pair: Pair, token: string) {
  const { feed, world } = exchange;
  // The CDMO creates both, so both are named in its namespace (`northbridge-bio:b-...`).
  const batchId = `${pair.cdmo}:b-${token}`;
  const deviationId = `${pair.cdmo}:dev-${token}`;
  const batch = feed.batch(pair, batchId);
  const deviation = feed.deviation(pair, deviationId);
  const t0 = '2026-04-01T06:00:00Z';
  const at = (h: number) => hours(t0, h).replace('.000Z', 'Z');
  const qc = (h: number, n: number, value: number) =>
    feed.build(pair.cdmo, 'batch/qc-result-recorded.v1', batchId, at(h), {
      resultId: `qc-b-${token}-${n}`,
      value,
      testedAt: at(h),
    });
  const corrected = qc(150, 2, 98.9);
  await exchange.publish([batch.scheduled(at(0)), batch.started(at(24))]);
  await exchange.publish([deviation.reported(at(30), 'major', [batchId], at(26))]);
  await exchange.publish([
    batch.held(at(40)),
    batch.resumed(at(44)),
    batch.completed(at(96)),
    batch.reviewed(at(120)),
  ]);
  await exchange.publish([
    deviation.classified(at(121), 'minor'),
    deviation.investigated(at(122)),
    deviation.rootCause(at(123)),
    deviation.assessed(at(124), [batchId]),
  ]);
  await exchange.publish([qc(148, 1, 98.4), corrected, qc(152, 3, 99.1)]);
  const analyst = personIn(pair.cdmo, 'qc');
  await exchange.publish([
    world.partnerEvent(
      pair.cdmo,
      'correction/recorded.v1',
      {
        subject: batchId,
        source: corrected.source,
        time: at(160),
        actorid: analyst.personId,
        actororg: pair.cdmo,
        actorrole: 'qc',
        correlationid: `wf-${batchId}`,
      },
      {
        correctedEventId: corrected.id,
        changes: [{ path: '/value', oldValue: 98.9, newValue: 98.2 }],
        reason: 'Integration error: the peak was split; reprocessed per SOP-QC-114.',
      },
    ) as never,
  ]);
  await exchange.publish([
    deviation.capaProposed(at(170)),
    deviation.capaApproved(at(180)),
    deviation.closureApproved(at(190)),
    deviation.closed(at(200)),
  ]);
  await exchange.publish([
    batch.coa(at(210)),
    batch.disposition(at(220), 'released'),
    batch.certified(at(230)),
    batch.shipped(at(240)),
  ]);
}

/** A run of consecutive events of one stream: appended together, in one call. */
interface Run {
  streamId: string;
  events: NewEvent[];
}

/**
 * The seed (organizations, people, agreements) and, per pair, the runs of one batch's lifecycle
 * as the real pipeline records them, from an in-memory store: shapes as realistic as they get,
 * without signing every one of tens of thousands of events.
 */
async function recordTemplates(): Promise<{ seed: Run[]; units: Record<'A' | 'B', Run[]> }> {
  const store = new InMemoryEventStore();
  const exchange = await partnerExchange(store, { secondPair: true, clock: () => new Date(NOW) });
  await publishLifecycle(exchange, PAIR_A, TEMPLATE.A);
  await publishLifecycle(exchange, PAIR_B, TEMPLATE.B);
  const recorded = await store.readAll({ after: 0n, maxCount: 100_000 });
  const runsOf = (events: RecordedEvent[]) => {
    const runs: Run[] = [];
    for (const { id, type, data, metadata, streamId } of events) {
      const last = runs.at(-1);
      const event = { id, type, data, metadata };
      if (last?.streamId === streamId) last.events.push(event);
      else runs.push({ streamId, events: [event] });
    }
    return runs;
  };
  const of = (token: string) => recorded.filter((event) => event.streamId.endsWith(token));
  return {
    seed: runsOf(recorded.filter((event) => /^(organization|agreement)-/.test(event.streamId))),
    units: { A: runsOf(of(TEMPLATE.A)), B: runsOf(of(TEMPLATE.B)) },
  };
}

/** The template's runs for unit `n`: its own batch, deviation, result and event ids. */
function instantiate(template: Run[], token: string, n: number): Run[] {
  const id = `bench-${String(n).padStart(6, '0')}`;
  const text = JSON.stringify(template)
    .replaceAll(token, id)
    .replaceAll(token.toUpperCase(), id.toUpperCase())
    // Stored ids are `ev-<sha1>` (derived ones add `:late`, `:link:...`): made unique per unit.
    .replace(/ev-[0-9a-f]{40}/g, `$&.${n}`);
  return JSON.parse(text) as Run[];
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

/**
 * Fills the store with whole lifecycles until it holds at least `total` events. Many batches are
 * in progress at once (a window of units advances one run at a time, appended by concurrent
 * writers), so each chunk of the store touches many batches, as in production.
 */
async function fillStore(store: PostgresEventStore, total: number): Promise<number> {
  const { seed, units } = await recordTemplates();
  for (const run of seed) await store.append(run.streamId, run.events);
  const perUnit =
    (units.A.flatMap((run) => run.events).length + units.B.flatMap((r) => r.events).length) / 2;
  const count = Math.max(1, Math.ceil(total / perUnit));
  const window = 200;
  for (let first = 0; first < count; first += window) {
    const inFlight = Array.from({ length: Math.min(window, count - first) }, (_, k) => {
      const n = first + k;
      return n % 2 === 0
        ? instantiate(units.A, TEMPLATE.A, n)
        : instantiate(units.B, TEMPLATE.B, n);
    });
    const steps = Math.max(...inFlight.map((runs) => runs.length));
    for (let step = 0; step < steps; step++) {
      const runs = inFlight.flatMap((unit) => (unit[step] ? [unit[step]] : []));
      await pool(runs.length, WRITERS, async (i) => {
        await store.append(runs[i]!.streamId, runs[i]!.events);
      });
    }
  }
  return count;
}

async function timed<T>(work: () => Promise<T>): Promise<{ seconds: number; result: T }> {
  const start = performance.now();
  const result = await work();
  return { seconds: (performance.now() - start) / 1000, result };
}

/** `work` timed `RUNS` times, one after the other: the median pass, and every pass's seconds. */
async function medianOf<T>(
  work: (pass: number) => Promise<T>,
): Promise<{ seconds: number; result: T; passes: number[] }> {
  const passes: { seconds: number; result: T }[] = [];
  for (let pass = 0; pass < RUNS; pass++) passes.push(await timed(() => work(pass)));
  const median = [...passes].sort((a, b) => a.seconds - b.seconds)[Math.floor(RUNS / 2)]!;
  return { ...median, passes: passes.map((p) => +p.seconds.toFixed(3)) };
}

/** Runs `work` under the V8 profiler when `--profile` names a file, else just runs it. */
async function profiled<T>(work: () => Promise<T>): Promise<T> {
  if (!values.profile) return work();
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  try {
    return await work();
  } finally {
    const { profile } = await session.post('Profiler.stop');
    await writeFile(values.profile, JSON.stringify(profile));
    session.disconnect();
  }
}

async function readAllInPages(store: PostgresEventStore): Promise<number> {
  let after = 0n;
  let count = 0;
  for (;;) {
    const page = await store.readAll({ after, maxCount: BATCH });
    if (page.length === 0) return count;
    count += page.length;
    after = page.at(-1)!.globalPosition;
  }
}

/** The rebuild must have projected everything, or its rate means nothing. */
async function checkReadModel(db: SqlDatabase, units: number): Promise<Record<string, number>> {
  const { rows } = await db.query<{ table: string; count: number }>(
    `select 'batches' as table, count(*)::int as count from rm_batches where status = 'shipped'
     union all select 'qc_results', count(*)::int from rm_qc_results
     union all select 'deviations', count(*)::int from rm_deviations where status = 'closed'
     union all select 'timeline', count(*)::int from rm_timeline`,
  );
  const counts = Object.fromEntries(rows.map((row) => [row.table, row.count]));
  if (counts.batches !== units || counts.deviations !== units || counts.qc_results !== 3 * units)
    throw new Error(`the rebuilt read model is incomplete: ${JSON.stringify(counts)}`);
  return counts;
}

const OUT =
  values.out ??
  (values.pglite ? 'artifacts/bench/read-model-pglite.json' : 'artifacts/bench/read-model.json');

async function main() {
  const database = values.pglite
    ? undefined
    : await createTestDatabase(process.env.DATABASE_URL ?? LOCAL_POSTGRES_URL, 'concord_bench');
  const db = database
    ? pgDatabase({ connectionString: database.url, maxConnections: WRITERS + 2 })
    : await pgliteDatabase();
  try {
    const store = await PostgresEventStore.open(db);
    await migrateReadModel(db);
    const version = (await db.query<{ v: string }>(`select current_setting('server_version') as v`))
      .rows[0]!.v;
    const postgres = values.pglite ? `${version} (PGlite, in this process)` : version;

    const fill = await timed(() => fillStore(store, TOTAL));
    const events = Number(await store.headPosition());
    // Once untimed, so both timed passes find the rows in PostgreSQL's cache.
    await readAllInPages(store);
    const read = await medianOf(() => readAllInPages(store));
    // Every pass rebuilds the whole read model and switches it in; a profile, when asked for, is
    // of the last pass.
    const rebuildOnce = () =>
      new Projector({
        store,
        db,
        batchSize: BATCH,
        ...(values.window
          ? { rebuildWindow: { events: Number(values.window), maxRows: 200_000 } }
          : {}),
      }).rebuild();
    const rebuild = await medianOf((pass) =>
      pass === RUNS - 1 ? profiled(rebuildOnce) : rebuildOnce(),
    );
    if (rebuild.result.projected !== events)
      throw new Error(`rebuilt ${rebuild.result.projected} of ${events} events`);
    const counts = await checkReadModel(db, fill.result);

    const rebuildRate = events / rebuild.seconds;
    const readRate = read.result / read.seconds;
    const results = {
      when: new Date().toISOString(),
      postgres,
      settings: { events, batches: fill.result, chunk: BATCH, writers: WRITERS },
      rebuild: {
        eventsPerSecond: Math.round(rebuildRate),
        readAllCeiling: Math.round(readRate),
        ratio: +(rebuildRate / readRate).toFixed(3),
        seconds: +rebuild.seconds.toFixed(2),
        runs: RUNS,
        rebuildPasses: rebuild.passes,
        readAllPasses: read.passes,
        target: TARGET,
      },
      readModel: counts,
    };
    await mkdir(dirname(OUT), { recursive: true });
    await writeFile(OUT, `${JSON.stringify(results, null, 2)}\n`);

    console.log(
      `\nRead-model benchmark — PostgreSQL ${postgres}, ${events} events (${fill.result} batch lifecycles), chunks of ${BATCH}\n`,
    );
    console.log(
      `rebuild (project + write)   ${results.rebuild.eventsPerSecond} events/s (target >= ${TARGET})`,
    );
    console.log(
      `readAll alone               ${results.rebuild.readAllCeiling} events/s (ceiling, same run)`,
    );
    console.log(`ratio                       ${results.rebuild.ratio}`);
    console.log(`\nwritten to ${OUT}`);
    await store.close();
  } finally {
    await database?.drop();
  }
}

await main();
