// API benchmark (`pnpm bench`). Not a test: it reports two figures of the GraphQL API served on a
// real HTTP server, each next to a ceiling measured in the same run on the same PostgreSQL server.
//   - Visibility latency: partners' signed events offered on Kafka at a fixed rate → the ingest
//     service → the event store → the projector → a graphql-ws subscriber (`batchChanged`), each
//     timed from its send to the subscriber receiving its change. Ceiling: a bare append to the
//     store → the projector's onChange (no Kafka, no ingest, no GraphQL) at the same rate.
//   - A dashboard's list query under concurrent clients: `batches(first: 20, filter, orderBy)`
//     over HTTP against a read model of thousands of batches of both pairs. Ceiling: the same SQL
//     (same role, same organization scope, in one transaction per request as the API's scoped
//     client runs it, through a `pg` pool of the same size) from the same clients.
// The API (with its projector) and ingest each run in a child process (this file with --role),
// as in production, so the clients' event loop is not theirs. Needs PostgreSQL (DATABASE_URL or
// the local server) and Kafka (KAFKA_BROKERS or 127.0.0.1:9092). Sizes and durations: options
// below or API_BENCH_* variables (API_BENCH_SECONDS=5 API_BENCH_QUERY_SECONDS=5 for a quick run;
// API_BENCH_KEEP=1 keeps the database afterwards, to look at the query plans).
import { fork, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Authenticator, DEV_AUDIENCE, DEV_ISSUER, DevIssuer } from '@concord/auth';
import { encodeKafkaRecord } from '@concord/contract';
import { InMemoryEventStore, type NewEvent, type RecordedEvent } from '@concord/event-store';
import { PostgresEventStore } from '@concord/event-store-postgres';
import {
  CheckpointLog,
  generatePlatformKey,
  publicHalf,
  receiptSigner,
  signingAsPlatform,
} from '@concord/evidence';
import { DEVIATION_BATCH_LINKER, sqlOutcomeLog } from '@concord/ingest';
import { startIngestService } from '@concord/ingest-app';
import {
  CDMO,
  OTHER_CDMO,
  OTHER_SPONSOR,
  PAIR_A,
  PAIR_B,
  partnerExchange,
  personIn,
  SPONSOR,
  type Pair,
  type PartnerExchange,
} from '@concord/ingest/test-support';
import { migrateReadModel, Projector, readModelPrisma } from '@concord/read-model';
import { pgDatabase, type SqlDatabase } from '@concord/sql';
import {
  busyCoresDuring,
  createTestDatabase,
  describeBusyCores,
  describeGcPauses,
  LOCAL_POSTGRES_URL,
  processGroups,
  recordGcPauses,
  uniqueName,
  waitFor,
  type GcPauses,
} from '@concord/test-infra';
import { createClient, type Client } from 'graphql-ws';
import { Kafka, logLevel } from 'kafkajs';
import { pino } from 'pino';
import { WebSocket } from 'ws';
import { createApi } from '../src/server.ts';

const env = process.env;
const { values } = parseArgs({
  options: {
    batches: { type: 'string', default: env.API_BENCH_BATCHES ?? '4000' },
    clients: { type: 'string', default: env.API_BENCH_CLIENTS ?? '50' },
    'query-seconds': { type: 'string', default: env.API_BENCH_QUERY_SECONDS ?? '15' },
    rate: { type: 'string', default: env.API_BENCH_RATE ?? '1000' },
    seconds: { type: 'string', default: env.API_BENCH_SECONDS ?? '20' },
    // Before the timed visibility run, the same path at the same rate for this long, untimed:
    // the processes' code for it is compiled and their pools and fetch sessions are at speed,
    // as in a platform that has been running (two events alone left the first timed second
    // with most of the run's slowest changes).
    'warm-seconds': { type: 'string', default: env.API_BENCH_WARM_SECONDS ?? '3' },
    // API processes the list-query clients share, request by request (as a load balancer in front
    // of the deployment's replicas); the first one also projects. On 2 cores, two replicas
    // served 281 req/s instead of 235 with 50 clients, but their p99 rose from 316 to 388 ms
    // (the machine 1.97 of 2 cores busy): one by default, more where the cores are.
    replicas: { type: 'string', default: env.API_BENCH_REPLICAS ?? '1' },
    // Connections of the API's Prisma pool (readModelPrisma's default) and of the ceiling's pool.
    pool: { type: 'string', default: env.API_BENCH_POOL ?? '10' },
    // Cost as work grows: the list query measured again (10 clients) once the store holds this
    // many more events (the same partners' shipped batches of the past year), against the run
    // before. 0: not measured.
    growth: { type: 'string', default: env.API_BENCH_GROWTH ?? '0' },
    out: { type: 'string', default: env.API_BENCH_OUT ?? 'artifacts/bench/api.json' },
    // Also write each timed change's latencies here (JSON), to see when the slow ones happened.
    latencies: { type: 'string' },
    // Internal: the child processes.
    role: { type: 'string', default: 'main' },
    'no-projector': { type: 'boolean', default: false },
    'database-url': { type: 'string' },
    'key-file': { type: 'string' },
    prefix: { type: 'string' },
  },
});
const BATCHES = Number(values.batches);
const CLIENTS = Number(values.clients);
const QUERY_SECONDS = Number(values['query-seconds']);
const RATE = Number(values.rate);
const SECONDS = Number(values.seconds);
const WARM_SECONDS = Number(values['warm-seconds']);
const POOL = Number(values.pool);
const REPLICAS = Math.max(1, Number(values.replicas));
const GROWTH = Number(values.growth);
const TARGET_VISIBILITY_P99 = 100;
const TARGET_QUERY_P99 = 50;
const BROKERS = (env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');

/** The platform's clock when the read model was filled (ingest's, for lateness). */
const NOW = '2026-05-01T12:00:00.000Z';
/** Milliseconds on a clock every process on this machine shares (sub-millisecond). */
const now = () => performance.timeOrigin + performance.now();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
const round = (ms: number) => Math.round(ms * 10) / 10;

type Message =
  | { type: 'ready'; port?: number }
  | { type: 'changed'; t: number; ids: string[] }
  | { type: 'cpu' }
  | { type: 'cpu-usage'; usage: NodeJS.CpuUsage }
  | { type: 'gc'; from: number; to: number }
  | { type: 'gc-pauses'; pauses: GcPauses }
  | { type: 'stop' };

/** A child's garbage-collection pauses between two instants, told when the parent asks. */
function answerGcPauses(): void {
  const log = recordGcPauses();
  process.on('message', (message: Message) => {
    if (message.type === 'gc')
      process.send!({
        type: 'gc-pauses',
        pauses: log.between(message.from, message.to),
      } satisfies Message);
  });
}

/**
 * A child process's garbage-collection pauses between two instants; undefined when it has ended
 * or does not answer within 5 s (the run's report says so, and which process died).
 */
const gcPausesOf = (child: ChildProcess, from: number, to: number) =>
  new Promise<GcPauses | undefined>((resolve) => {
    if (!child.connected) return resolve(undefined);
    const onMessage = (message: Message) => {
      if (message.type !== 'gc-pauses') return;
      done(message.pauses);
    };
    const timeout = setTimeout(() => done(undefined), 5_000);
    const done = (pauses: GcPauses | undefined) => {
      clearTimeout(timeout);
      child.off('message', onMessage);
      resolve(pauses);
    };
    child.on('message', onMessage);
    child.send({ type: 'gc', from, to } satisfies Message, (error) => error && done(undefined));
  });

/**
 * The batches whose changes the API process reports the moment its projector hands them over
 * (named in their CDMO's namespace: `northbridge-bio:b-live-000000`).
 */
const REPORTED = /^[^:]+:b-(live|ceil)-/;

// ---- child processes ----------------------------------------------------------------------------

/**
 * The API process: GraphQL over HTTP, SSE and graphql-ws, fed by its projector (another replica
 * serves the same read model, `--no-projector`).
 */
async function serveApi(): Promise<void> {
  answerGcPauses();
  const url = values['database-url']!;
  const db = pgDatabase({ connectionString: url });
  const store = await PostgresEventStore.open(db);
  const prisma = readModelPrisma({ connectionString: url, maxConnections: POOL });
  const issuer = await DevIssuer.open(values['key-file']);
  const authenticator = new Authenticator({
    issuer: DEV_ISSUER,
    audience: DEV_AUDIENCE,
    keys: issuer.jwks(),
  });
  const api = createApi({ prisma, store, authenticator, graphiql: false });
  const projector = new Projector({
    store,
    db,
    onChange: (changes) => {
      // The ceiling's end point (and a waypoint of the full path): a committed chunk's changes.
      const t = now();
      const ids = changes.filter((c) => c.kind === 'batch' && REPORTED.test(c.id)).map((c) => c.id);
      if (ids.length > 0) process.send!({ type: 'changed', t, ids } satisfies Message);
      api.changes.publish(changes);
    },
  });
  const projecting = values['no-projector']
    ? undefined
    : projector.start((error) => {
        console.error('the projector stopped', error);
        process.exit(1);
      });
  const server = createServer(api.yoga);
  const closeSockets = api.attachWebSockets(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  process.on('message', async (message: Message) => {
    if (message.type === 'cpu') process.send!({ type: 'cpu-usage', usage: process.cpuUsage() });
    if (message.type === 'stop') {
      await closeSockets();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await projecting?.stop();
      await prisma.$disconnect();
      await store.close();
      process.exit(0);
    }
  });
  process.send!({ type: 'ready', port: (server.address() as AddressInfo).port } satisfies Message);
}

/**
 * The ingest process, as deployed: partners' topics in, the store, outbound topics out; what it
 * derives signed as the platform, a receipt for every answer, a checkpoint of the log every 60 s.
 */
async function runIngest(): Promise<void> {
  answerGcPauses();
  const db = pgDatabase({ connectionString: values['database-url']! });
  const platformKey = generatePlatformKey(new Date().toISOString());
  const store = signingAsPlatform(await PostgresEventStore.open(db), platformKey);
  const service = await startIngestService({
    store,
    outcomes: await sqlOutcomeLog(db),
    receipts: receiptSigner(platformKey),
    checkpoints: {
      log: await CheckpointLog.open(db),
      key: platformKey,
      keyring: [publicHalf(platformKey)],
    },
    brokers: BROKERS,
    logger: pino({ level: 'warn' }),
    topicPrefix: values.prefix!,
    groupId: uniqueName('ingest'),
  });
  process.on('message', async (message: Message) => {
    if (message.type !== 'stop') return;
    await service.stop();
    await store.close();
    process.exit(0);
  });
  process.send!({ type: 'ready' } satisfies Message);
}

/** Processes that ended before they were told to stop: the figures after that mean little. */
const died: string[] = [];

/** Starts this file in another role; resolves once it is ready (with its port, if it has one). */
function spawn(
  role: 'api' | 'ingest',
  args: string[],
  children: ChildProcess[],
): Promise<{ child: ChildProcess; port: number }> {
  const child = fork(fileURLToPath(import.meta.url), ['--role', role, ...args], {
    stdio: 'inherit',
  });
  children.push(child);
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => {
      if (!stopping) died.push(`the ${role} process exited (${code}) during the run`);
      reject(new Error(`the ${role} process exited (${code})`));
    });
    child.on('message', (message: Message) => {
      if (message.type === 'ready') resolve({ child, port: message.port ?? 0 });
    });
  });
}

let stopping = false;

async function stop(child: ChildProcess): Promise<void> {
  stopping = true;
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.send({ type: 'stop' } satisfies Message);
  await Promise.race([exited, sleep(10_000)]);
  if (child.exitCode === null) child.kill();
}

// ---- a realistic read model ---------------------------------------------------------------------

const T0 = '2026-04-01T06:00:00Z';
const at = (h: number) =>
  new Date(Date.parse(T0) + h * 3_600_000).toISOString().replace('.000Z', 'Z');
/** How far each batch has come: scheduled, in manufacture, held, blocked, CoA issued, shipped. */
const VARIANTS = 6;

/** One batch's life up to `variant`, through the real pipeline (and process manager). */
async function publishVariant(
  exchange: PartnerExchange,
  pair: Pair,
  token: string,
  variant: number,
) {
  const { batch, deviation } = exchange.feed;
  // The CDMO creates the batch and its deviation, so both are named in its namespace.
  const batchId = `${pair.cdmo}:b-${token}`;
  const b = batch(pair, batchId);
  const steps = [b.scheduled(at(0))];
  if (variant >= 1) steps.push(b.started(at(24)));
  if (variant === 2) steps.push(b.held(at(30)));
  if (variant >= 4) steps.push(b.completed(at(96)), b.reviewed(at(120)), b.qc(at(150), 98.6));
  if (variant >= 4) steps.push(b.coa(at(170)));
  if (variant >= 5)
    steps.push(b.disposition(at(180), 'released'), b.certified(at(190)), b.shipped(at(200)));
  await exchange.publish(steps);
  if (variant === 3)
    await exchange.publish([
      deviation(pair, `${pair.cdmo}:dev-${token}`).reported(at(30), 'major', [batchId], at(27)),
    ]);
}

/** A run of consecutive events of one stream: appended together, in one call. */
interface Run {
  streamId: string;
  events: NewEvent[];
}

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

/** `tmpl-a3`: pair A (or B), variant 3; stands for the batch's own token in its ids and texts. */
const templateToken = (pair: 'a' | 'b', variant: number) => `tmpl-${pair}${variant}`;

interface Templates {
  /** Organizations, keys, people and agreements, as the platform recorded them. */
  seed: Run[];
  /** Per pair and variant, the runs of one batch (and its deviation) as ingest recorded them. */
  units: Record<string, Run[]>;
}

/**
 * The world and one batch per pair and variant, recorded by the real pipeline into a store in
 * memory: realistic rows without signing every event of thousands of batches.
 */
async function recordTemplates(exchange: PartnerExchange, memory: InMemoryEventStore) {
  for (const [pair, key] of [
    [PAIR_A, 'a'],
    [PAIR_B, 'b'],
  ] as const)
    for (let variant = 0; variant < VARIANTS; variant++)
      await publishVariant(exchange, pair, templateToken(key, variant), variant);
  const recorded = await memory.readAll({ after: 0n, maxCount: 100_000 });
  const templates: Templates = {
    seed: runsOf(recorded.filter((e) => /^(organization|agreement)-/.test(e.streamId))),
    units: {},
  };
  for (const key of ['a', 'b'])
    for (let variant = 0; variant < VARIANTS; variant++) {
      const token = templateToken(key as 'a' | 'b', variant);
      templates.units[token] = runsOf(recorded.filter((e) => e.streamId.endsWith(token)));
    }
  return templates;
}

/**
 * A template's runs for a batch of its own: its ids, stored event ids made unique (same shape),
 * and every instant moved back by `shiftHours` so batches spread over weeks.
 */
function instantiate(template: Run[], token: string, id: string, shiftHours: number): Run[] {
  const text = JSON.stringify(template)
    .replaceAll(token, id)
    .replaceAll(token.toUpperCase(), id.toUpperCase())
    .replace(
      /ev-[0-9a-f]{40}/g,
      (stored) => `ev-${createHash('sha1').update(`${stored}/${id}`).digest('hex')}`,
    )
    .replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z/g, (instant) =>
      new Date(Date.parse(instant) - shiftHours * 3_600_000).toISOString(),
    );
  return JSON.parse(text) as Run[];
}

/**
 * The database as a platform that has run for a while finds it: what was loaded a moment ago
 * vacuumed and analyzed (visible to every transaction, so an index can answer alone; fresh
 * statistics) and checkpointed, so that autovacuum and the checkpointer catching up with a
 * million rows loaded in minutes do not share the measurement's two cores. The history this
 * stands for would have been through them for months.
 */
async function settle(db: SqlDatabase) {
  await db.exec('vacuum (analyze)');
  await db.exec('checkpoint');
}

/**
 * Once the ingest process's subscribers have followed everything stored: its outbound publisher
 * has announced the history to the partners, and its process manager has looked at every
 * deviation in it (the history's links are stored already, so it finds each one done).
 */
async function ingestCaughtUp(db: SqlDatabase) {
  await waitFor(
    async () => {
      const { rows } = await db.query<{ behind: boolean }>(
        `select coalesce((select min(position) from es_checkpoints
             where subscriber_id = any($1::text[]) having count(*) = cardinality($1::text[])), 0)
           < (select coalesce(max(global_position), 0) from es_events) as behind`,
        [['outbound-kafka', DEVIATION_BATCH_LINKER]],
      );
      return !rows[0]!.behind;
    },
    { timeoutMs: 30 * 60_000, intervalMs: 1_000, description: "the ingest process's subscribers" },
  );
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

/** The variant whose batches are history: shipped (released, certified) long ago. */
const SHIPPED = VARIANTS - 1;

/**
 * At least `events` more events in the store: shipped batches of both pairs, scheduled and
 * recorded over the year before the live ones, as a platform that has run for a while holds
 * them; appended many streams per call (each batch's runs in their order), then projected.
 */
async function appendHistory(db: SqlDatabase, templates: Templates, events: number) {
  const perBatch = templates.units[templateToken('a', SHIPPED)]!.flatMap((r) => r.events).length;
  const batches = Math.ceil(events / perBatch);
  const group = 100;
  // Recorded over the past year, oldest first (the platform's clock in each event it recorded).
  const year = 365 * 24 * 3_600_000;
  const start = Date.now() - year;
  let recordedAt = new Date(start);
  const store = await PostgresEventStore.open(db, { migrate: false, clock: () => recordedAt });
  let appended = 0;
  for (let first = 0; first < batches; first += group) {
    recordedAt = new Date(start + (first / batches) * year);
    const units = Array.from({ length: Math.min(group, batches - first) }, (_, k) => {
      const n = first + k;
      const token = templateToken(n % 2 === 0 ? 'a' : 'b', SHIPPED);
      const hours = 720 + ((n * 13) % 8_760);
      return instantiate(
        templates.units[token]!,
        token,
        `hist-${String(n).padStart(7, '0')}`,
        hours,
      );
    });
    // Run k of every batch in one call: a batch's runs stay in their order, no stream twice.
    for (let k = 0; units.some((runs) => runs[k]); k++) {
      const runs = units.flatMap((r) => r.slice(k, k + 1));
      await store.appendMany(runs.map((run) => ({ streamId: run.streamId, events: run.events })));
      appended += runs.reduce((sum, run) => sum + run.events.length, 0);
    }
  }
  return appended;
}

/** `count` batches, alternately of each pair, through every variant; then projected. */
async function fillReadModel(store: PostgresEventStore, db: SqlDatabase, templates: Templates) {
  for (const run of templates.seed) await store.append(run.streamId, run.events);
  await pool(BATCHES, 8, async (n) => {
    const token = templateToken(n % 2 === 0 ? 'a' : 'b', Math.floor(n / 2) % VARIANTS);
    const runs = instantiate(
      templates.units[token]!,
      token,
      `bench-${String(n).padStart(6, '0')}`,
      (n * 7) % 720,
    );
    for (const run of runs) await store.append(run.streamId, run.events);
  });
  const projected = await new Projector({ store, db }).catchUp();
  const { rows } = await db.query<{ status: string; count: number }>(
    'select status, count(*)::int as count from rm_batches group by status order by status',
  );
  return {
    events: Number(projected),
    statuses: Object.fromEntries(rows.map((r) => [r.status, r.count])),
  };
}

// ---- list query ---------------------------------------------------------------------------------

const DASHBOARD = `query Dashboard($filter: BatchFilter, $orderBy: BatchOrder) {
  batches(first: 20, filter: $filter, orderBy: $orderBy) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { node { id batchId batchNumber productName site status releaseReady scheduledAt
      lastChangedAt blockers { kind severity reference } } }
  }
}`;

/**
 * The dashboard's views, each as GraphQL variables and as the SQL the API runs for it (over the
 * batches, and over the batch counts for the total).
 */
const VIEWS = [
  {
    name: 'in progress, newest scheduled first',
    variables: {
      filter: { status: ['IN_MANUFACTURE', 'HELD'] },
      orderBy: { field: 'SCHEDULED_AT', direction: 'DESC' },
    },
    where: `status in ('in-manufacture', 'held')`,
    // As the API reads a status list in an order indexed per status: one status at a time.
    parts: [`status = 'in-manufacture'`, `status = 'held'`],
    counted: `status in ('in-manufacture', 'held')`,
    order: 'scheduled_at desc',
  },
  {
    name: 'blocked, most blockers first',
    variables: {
      filter: { blocked: true },
      orderBy: { field: 'BLOCKER_COUNT', direction: 'DESC' },
    },
    where: 'blocker_count > 0',
    counted: 'blocked',
    order: 'blocker_count desc',
  },
  {
    name: 'release-ready, last changed first',
    variables: {
      filter: { releaseReady: true },
      orderBy: { field: 'LAST_CHANGED_AT', direction: 'DESC' },
    },
    where: 'release_ready = true',
    counted: 'release_ready',
    order: 'last_changed_at desc',
  },
  {
    name: 'all, newest scheduled first',
    variables: { orderBy: { field: 'SCHEDULED_AT', direction: 'DESC' } },
    where: 'true',
    counted: 'true',
    order: 'scheduled_at desc',
  },
];
const ORGANIZATIONS = [SPONSOR, CDMO, OTHER_SPONSOR, OTHER_CDMO];

interface LoadResult {
  latencies: number[];
  requests: number;
  seconds: number;
  failures: number;
  firstFailure?: string;
}

/** `CLIENTS` loops, each its own organization and view, for `seconds`; latency of every call. */
async function load(
  seconds: number,
  call: (client: number) => Promise<void>,
  clients = CLIENTS,
): Promise<LoadResult> {
  const result: LoadResult = { latencies: [], requests: 0, seconds, failures: 0 };
  const start = now();
  const deadline = start + seconds * 1000;
  await Promise.all(
    Array.from({ length: clients }, async (_, client) => {
      while (now() < deadline) {
        const t0 = now();
        try {
          await call(client);
          result.latencies.push(now() - t0);
        } catch (error) {
          result.failures++;
          result.firstFailure ??= String(error);
        }
        result.requests++;
      }
    }),
  );
  result.seconds = (now() - start) / 1000;
  result.latencies.sort((a, b) => a - b);
  return result;
}

const viewOf = (client: number) => VIEWS[Math.floor(client / ORGANIZATIONS.length) % VIEWS.length]!;
const organizationOf = (client: number) => ORGANIZATIONS[client % ORGANIZATIONS.length]!;

async function graphqlCall(url: string, token: string, variables: unknown) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query: DASHBOARD, variables }),
  });
  const body = (await response.json()) as {
    data?: { batches: { edges: unknown[] } };
    errors?: { message: string }[];
  };
  if (response.status !== 200 || body.errors || !body.data)
    throw new Error(`${response.status} ${JSON.stringify(body.errors)}`);
  return body.data.batches.edges.length;
}

/** The columns the dashboard's fields read (the API selects only what a page's fields ask for). */
const DASHBOARD_COLUMNS =
  'id, batch_number, product_id, product_name, sponsor_id, cdmo_id, site, status, scheduled_at, last_changed_at, release_ready, blockers';

/**
 * What the API's scoped client sends for one view, in one transaction as the API runs a request:
 * each part's first rows in the view's order (party sides, and statuses where the view has
 * parts), the page by their ids where several have rows or the view has parts, and the total
 * from the batch counts.
 */
async function sqlCall(db: SqlDatabase, organizationId: string, view: (typeof VIEWS)[number]) {
  const sides = ['sponsor_id = $1', 'cdmo_id = $1 and sponsor_id <> $1'];
  return db.transaction(async (tx) => {
    await tx.query(
      `select set_config('role', 'concord_reader', true), set_config('concord.organization_id', $1, true)`,
      [organizationId],
    );
    // A status list's several parts give ids, and the page is read by them; the party sides
    // alone give the page's columns, the page itself where only one side has any.
    const parts = 'parts' in view ? view.parts : undefined;
    const filled: { id: string }[][] = [];
    for (const part of parts ?? [view.where])
      for (const side of sides) {
        const { rows } = await tx.query<{ id: string }>(
          `select ${parts ? 'id' : DASHBOARD_COLUMNS} from rm_batches where ${side} and ${part}
           order by ${view.order}, id asc limit 21 offset 0`,
          [organizationId],
        );
        if (rows.length > 0) filled.push(rows);
      }
    let shown = filled[0]?.length ?? 0;
    if (parts || filled.length > 1) {
      const page = await tx.query(
        `select ${parts ? DASHBOARD_COLUMNS : 'id'} from rm_batches where id = any($1)
         order by ${view.order}, id asc limit 21`,
        [filled.flat().map((row) => row.id)],
      );
      shown = page.rows.length;
    }
    await tx.query(
      `select sum(batches)::int as count from rm_batch_counts
       where organization_id = $1 and ${view.counted}`,
      [organizationId],
    );
    return shown;
  });
}

// ---- visibility ---------------------------------------------------------------------------------

interface Latencies {
  sorted: number[];
  offered: number;
  missing: number;
}

/** From each item's send to its arrival (in `arrived`), sorted; how many never arrived. */
function latencies(ids: string[], sentAt: Map<string, number>, arrived: Map<string, number>) {
  const sorted = ids
    .filter((id) => arrived.has(id))
    .map((id) => arrived.get(id)! - sentAt.get(id)!)
    .sort((a, b) => a - b);
  return { sorted, offered: ids.length, missing: ids.length - sorted.length };
}

/**
 * Offers `items` at `RATE` per second in ticks of 50 ms (`send` resolves when the tick's items
 * are handed over), waits until `arrived` knows each (or 30 s after the last send) and resolves
 * to when each was sent.
 */
async function offer<T extends { id: string }>(
  items: T[],
  send: (tick: T[]) => Promise<unknown>,
  arrived: Map<string, number>,
): Promise<Map<string, number>> {
  const sentAt = new Map<string, number>();
  const tickMs = 50;
  const perTick = Math.max(1, Math.round((RATE * tickMs) / 1000));
  const start = now();
  for (let i = 0, tick = 0; i < items.length; i += perTick, tick++) {
    await sleep(start + tick * tickMs - now());
    const slice = items.slice(i, i + perTick);
    const t = now();
    for (const { id } of slice) sentAt.set(id, t);
    await send(slice);
  }
  await waitFor(() => items.every((item) => arrived.has(item.id)), {
    timeoutMs: 30_000,
    intervalMs: 20,
    description: 'every offered change',
  }).catch(() => undefined);
  return sentAt;
}

/** Half-seconds of a timed run, by send time, and how many of them missed a p99 target. */
interface LatencyWindows {
  windowMs: number;
  windows: number;
  overTarget: number;
  /** The window with the highest p99: seconds after the first send, and that p99. */
  slowest: { fromSeconds: number; p99Ms: number } | undefined;
}

/**
 * The items' latencies (send → arrival) in windows of their send time: does the tail come from
 * a few stalls (a process that stopped, then a backlog) or from the whole run?
 */
function latencyWindows(
  ids: string[],
  sentAt: Map<string, number>,
  arrived: Map<string, number>,
  targetMs: number,
  windowMs = 500,
): LatencyWindows {
  const first = ids.reduce((earliest, id) => Math.min(earliest, sentAt.get(id)!), Infinity);
  const byWindow = new Map<number, number[]>();
  for (const id of ids) {
    const sent = sentAt.get(id)!;
    const at = arrived.get(id);
    if (at === undefined) continue;
    const window = Math.floor((sent - first) / windowMs);
    const latencies = byWindow.get(window);
    if (latencies) latencies.push(at - sent);
    else byWindow.set(window, [at - sent]);
  }
  let overTarget = 0;
  let slowest: LatencyWindows['slowest'];
  for (const [window, latencies] of byWindow) {
    const p99 = percentile(
      latencies.sort((a, b) => a - b),
      99,
    );
    if (p99 > targetMs) overTarget += 1;
    if (!slowest || p99 > slowest.p99Ms)
      slowest = { fromSeconds: (window * windowMs) / 1000, p99Ms: round(p99) };
  }
  return { windowMs, windows: byWindow.size, overTarget, slowest };
}

const summary = (l: Latencies) => ({
  p50Ms: round(percentile(l.sorted, 50)),
  p99Ms: round(percentile(l.sorted, 99)),
  maxMs: round(l.sorted.at(-1) ?? NaN),
  offered: l.offered,
  missing: l.missing,
});

// ---- main ---------------------------------------------------------------------------------------

async function main() {
  const serverUrl = env.DATABASE_URL ?? LOCAL_POSTGRES_URL;
  const database = await createTestDatabase(serverUrl, 'concord_bench');
  const keyDir = await mkdtemp(join(tmpdir(), 'concord-api-bench-'));
  const db = pgDatabase({ connectionString: database.url, maxConnections: POOL });
  const children: ChildProcess[] = [];
  const clients: Client[] = [];
  const kafka = new Kafka({ brokers: BROKERS, clientId: 'api-bench', logLevel: logLevel.NOTHING });
  const producer = kafka.producer({ idempotent: true });
  try {
    const store = await PostgresEventStore.open(db);
    await migrateReadModel(db);
    const postgres = (
      await db.query<{ v: string }>(`select current_setting('server_version') as v`)
    ).rows[0]!.v;

    // The read model: thousands of batches of both pairs at every stage.
    const memory = new InMemoryEventStore();
    const exchange = await partnerExchange(memory, {
      secondPair: true,
      clock: () => new Date(NOW),
    });
    const templates = await recordTemplates(exchange, memory);
    const fillStart = now();
    const filled = await fillReadModel(store, db, templates);
    const fillSeconds = (now() - fillStart) / 1000;
    await settle(db);
    console.log(
      `\nAPI benchmark — PostgreSQL ${postgres}, ${BATCHES} batches (${filled.events} events) filled and projected in ${fillSeconds.toFixed(1)} s`,
    );

    // The processes: the API (with its projector) and ingest, on their own topics.
    const keyFile = join(keyDir, 'dev-issuer.json');
    const issuer = await DevIssuer.open(keyFile);
    const prefix = uniqueName('apibench').replace('-', '');
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({
      waitForLeaders: true,
      topics: ORGANIZATIONS.flatMap((org) =>
        ['in', 'out', 'rejections'].map((kind) => ({
          topic: `${prefix}.${kind}.${org}`,
          numPartitions: 3,
        })),
      ),
    });
    await admin.disconnect();
    const { child: api, port } = await spawn(
      'api',
      ['--database-url', database.url, '--key-file', keyFile, '--pool', String(POOL)],
      children,
    );
    const url = `http://127.0.0.1:${port}/graphql`;
    const replicas = [api];
    const urls = [url];
    for (let n = 1; n < REPLICAS; n++) {
      const replica = await spawn(
        'api',
        [
          ...['--database-url', database.url, '--key-file', keyFile, '--pool', String(POOL)],
          '--no-projector',
        ],
        children,
      );
      replicas.push(replica.child);
      urls.push(`http://127.0.0.1:${replica.port}/graphql`);
    }
    const projectedAt = new Map<string, number>();
    api.on('message', (message: Message) => {
      if (message.type !== 'changed') return;
      for (const id of message.ids) if (!projectedAt.has(id)) projectedAt.set(id, message.t);
    });
    /** One API process's CPU time (user + system, ms) so far. */
    const cpuMsOf = (child: ChildProcess) =>
      new Promise<number>((resolve) => {
        const onMessage = (message: Message) => {
          if (message.type !== 'cpu-usage') return;
          child.off('message', onMessage);
          resolve((message.usage.user + message.usage.system) / 1000);
        };
        child.on('message', onMessage);
        child.send({ type: 'cpu' } satisfies Message);
      });
    /** The API processes' CPU time so far, all replicas together. */
    const apiCpuMs = async () =>
      (await Promise.all(replicas.map(cpuMsOf))).reduce((sum, ms) => sum + ms, 0);
    /** `load`, with the API process's CPU per request over it. */
    const loadApi = async (seconds: number, clients = CLIENTS) => {
      const before = await apiCpuMs();
      const result = await load(seconds, httpCall, clients);
      return { ...result, cpuMsPerRequest: ((await apiCpuMs()) - before) / result.requests };
    };
    const { child: ingest } = await spawn(
      'ingest',
      ['--database-url', database.url, '--prefix', prefix],
      children,
    );
    // Where the machine's cores go during a measurement: is it saturated, and by whom?
    const groupOf = processGroups({
      API: api.pid,
      ...Object.fromEntries(replicas.slice(1).map((child, n) => [`API ${n + 2}`, child.pid])),
      ingest: ingest.pid,
      'this bench': process.pid,
    });
    const cpuDuring = <T>(run: () => Promise<T>) => busyCoresDuring(groupOf, run);
    // A new ingest process follows the store from its start: it announces the filled history to
    // the partners and its process manager looks at every deviation in it (7 s here). A platform
    // that has run for a while did that long ago: measured after, not during. It overlapped the
    // first list-query run (p99 408 ms with 50 clients, 312 ms once waited for; p50 the same),
    // and with short runs the visibility run too.
    await ingestCaughtUp(db);
    const tokens = await Promise.all(
      ORGANIZATIONS.map((organizationId) => {
        const person = personIn(organizationId, 'qa');
        return issuer.mint({
          personId: person.personId,
          organizationId,
          roles: ['qa'],
          name: person.printedName,
        });
      }),
    );

    // Everything offered later, built now: signing and encoding must not stall the clients.
    const scheduledOn = (pair: Pair, id: string, n: number) => ({
      id,
      topic: `${prefix}.in.${pair.cdmo}`,
      record: encodeKafkaRecord(exchange.feed.batch(pair, id).scheduled(at(-(n % 500)))),
    });
    type Offered = ReturnType<typeof scheduledOn>;
    const sendTick = (tick: Offered[]) =>
      producer.sendBatch({
        topicMessages: [PAIR_A, PAIR_B].map((pair) => ({
          topic: `${prefix}.in.${pair.cdmo}`,
          messages: tick
            .filter((o) => o.topic === `${prefix}.in.${pair.cdmo}`)
            .map((o) => o.record),
        })),
      });
    const live = Array.from({ length: Math.round(RATE * SECONDS) }, (_, n) => {
      const pair = n % 2 === 0 ? PAIR_A : PAIR_B;
      return scheduledOn(pair, `${pair.cdmo}:b-live-${String(n).padStart(6, '0')}`, n);
    });
    const bare = Array.from({ length: Math.round(RATE * SECONDS) }, (_, n) => {
      const [pair, key] = n % 2 === 0 ? ([PAIR_A, 'a'] as const) : ([PAIR_B, 'b'] as const);
      const token = templateToken(key, 0);
      const id = `ceil-${String(n).padStart(6, '0')}`;
      // The template's batch id is `<cdmo>:b-<token>`: the instance's, `<cdmo>:b-ceil-...`.
      return {
        id: `${pair.cdmo}:b-${id}`,
        runs: instantiate(templates.units[token]!, token, id, n % 500),
      };
    });

    // ---- list query: the API over HTTP, then the same SQL through pg ----------------------------
    for (const view of VIEWS) {
      const edges = await graphqlCall(url, tokens[0]!, view.variables);
      if (edges === 0) throw new Error(`the view "${view.name}" is empty: a meaningless benchmark`);
    }
    // Each request to the next replica in turn, as a load balancer sends them.
    let requests = 0;
    const httpCall = (client: number) =>
      graphqlCall(
        urls[requests++ % urls.length]!,
        tokens[client % ORGANIZATIONS.length]!,
        viewOf(client).variables,
      ).then(() => undefined);
    const pgCall = (client: number) =>
      sqlCall(db, organizationOf(client), viewOf(client)).then(() => undefined);
    const warmUp = Math.min(3, QUERY_SECONDS);
    await load(warmUp, httpCall);
    const { result: viaApi, cores: listCores } = await cpuDuring(() => loadApi(QUERY_SECONDS));
    await load(warmUp, pgCall);
    const viaPg = await load(QUERY_SECONDS, pgCall);
    // A dashboard's load at a quieter hour: 10 clients.
    const viaApiTen = await loadApi(QUERY_SECONDS, 10);
    const viaPgTen = await load(QUERY_SECONDS, pgCall, 10);

    // ---- ceiling: a bare append → the projector's onChange, at the same rate ---------------------
    // First, while ingest is idle and nobody subscribes: nothing else competes with it.
    const { result: bareSentAt, cores: ceilingCores } = await cpuDuring(() =>
      offer(
        bare,
        (tick) =>
          Promise.all(
            tick.flatMap((item) => item.runs.map((run) => store.append(run.streamId, run.events))),
          ),
        projectedAt,
      ),
    );
    const ceiling = latencies(
      bare.map((b) => b.id),
      bareSentAt,
      projectedAt,
    );

    // ---- visibility: Kafka → ingest → store → projector → graphql-ws ----------------------------
    const arrived = new Map<string, number>();
    const subscriptionErrors: unknown[] = [];
    for (const token of [tokens[0]!, tokens[2]!]) {
      const client = createClient({
        url: url.replace(/^http/, 'ws'),
        webSocketImpl: WebSocket,
        connectionParams: { authorization: `Bearer ${token}` },
        lazy: false,
        retryAttempts: 0,
      });
      clients.push(client);
      client.subscribe<{ batchChanged: { batchId: string; status: string } | null }>(
        { query: 'subscription { batchChanged { batchId status } }' },
        {
          next: (result) => {
            const t = now();
            const id = result.data?.batchChanged?.batchId;
            if (id && !arrived.has(id)) arrived.set(id, t);
            if (result.errors) subscriptionErrors.push(...result.errors);
          },
          error: (error) => subscriptionErrors.push(error),
          complete: () => undefined,
        },
      );
    }
    await producer.connect();
    const warm = [
      scheduledOn(PAIR_A, `${PAIR_A.cdmo}:b-warm-a`, 0),
      scheduledOn(PAIR_B, `${PAIR_B.cdmo}:b-warm-b`, 1),
    ];
    // Until the ingest group has joined and the subscriptions listen, nothing is timed.
    await sendTick(warm);
    await waitFor(() => warm.every((w) => arrived.has(w.id)), {
      timeoutMs: 90_000,
      description: 'the warm-up events at both subscribers',
    });
    const atSpeed = Array.from({ length: Math.round(RATE * WARM_SECONDS) }, (_, n) => {
      const pair = n % 2 === 0 ? PAIR_A : PAIR_B;
      return scheduledOn(pair, `${pair.cdmo}:b-warmup-${String(n).padStart(6, '0')}`, n);
    });
    await offer(atSpeed, sendTick, arrived);
    const liveIds = live.map((o) => o.id);
    const { result: liveSentAt, cores: visibilityCores } = await cpuDuring(() =>
      offer(live, sendTick, arrived),
    );
    const visibility = latencies(liveIds, liveSentAt, arrived);
    // Where the tail came from: the run's half-seconds that missed the target, and each service
    // process's collection pauses from the first send until every change had arrived.
    const timedFrom = Math.min(...liveSentAt.values());
    const timedTo = now();
    const windows = latencyWindows(liveIds, liveSentAt, arrived, TARGET_VISIBILITY_P99);
    const [ingestGc, apiGc] = await Promise.all([
      gcPausesOf(ingest, timedFrom, timedTo),
      gcPausesOf(api, timedFrom, timedTo),
    ]);
    // Waypoints: when ingest recorded each (the platform's clock in the event it appended), and
    // when the API process's projector handed each change over.
    const storedAt = new Map(
      (
        await db.query<{ stream_id: string; t: number }>(
          `select stream_id, extract(epoch from recorded_at) * 1000 as t
             from es_events where stream_id = any($1) and stream_version = 1`,
          [liveIds.map((id) => `batch-${id}`)],
        )
      ).rows.map((row) => [row.stream_id.slice('batch-'.length), Number(row.t)]),
    );
    const stored = latencies(liveIds, liveSentAt, storedAt);
    const projected = latencies(liveIds, liveSentAt, projectedAt);
    if (values.latencies) {
      // [ms since the first send, send → recorded, send → onChange, send → subscriber] per change.
      const first = Math.min(...liveSentAt.values());
      const since = (at: Map<string, number>, id: string) =>
        (at.get(id) ?? NaN) - liveSentAt.get(id)!;
      await writeFile(
        values.latencies,
        JSON.stringify(
          liveIds.map((id) => [
            liveSentAt.get(id)! - first,
            since(storedAt, id),
            since(projectedAt, id),
            since(arrived, id),
          ]),
        ),
      );
    }

    // ---- cost as work grows: the list query again, with GROWTH more events stored -------------
    let grown: { events: number; seconds: number; api: LoadResult; pg: LoadResult } | undefined;
    if (GROWTH > 0) {
      const growStart = now();
      const events = await appendHistory(db, templates, GROWTH);
      // The API process's projector follows too; this one helps it through the backlog.
      await new Projector({ store, db }).catchUp();
      const projected = (now() - growStart) / 1000;
      // And the ingest process announces the history to the partners, as it would have over the
      // months it stands for: measured once that is done, not while it takes a core.
      await ingestCaughtUp(db);
      await settle(db);
      const seconds = (now() - growStart) / 1000;
      console.log(
        `${events} more events stored and projected in ${projected.toFixed(1)} s, ` +
          `announced to partners and settled after ${seconds.toFixed(1)} s`,
      );
      await load(warmUp, httpCall, 10);
      const api = await load(QUERY_SECONDS, httpCall, 10);
      const pg = await load(QUERY_SECONDS, pgCall, 10);
      grown = { events, seconds, api, pg };
    }

    // ---- report -----------------------------------------------------------------------------------
    const queryFigures = (r: LoadResult) => ({
      p50Ms: round(percentile(r.latencies, 50)),
      p99Ms: round(percentile(r.latencies, 99)),
      requestsPerSecond: Math.round(r.requests / r.seconds),
      requests: r.requests,
      failures: r.failures,
      ...(r.firstFailure ? { firstFailure: r.firstFailure } : {}),
    });
    const results = {
      when: new Date().toISOString(),
      postgres,
      settings: {
        batches: BATCHES,
        events: filled.events,
        statuses: filled.statuses,
        clients: CLIENTS,
        querySeconds: QUERY_SECONDS,
        rate: RATE,
        seconds: SECONDS,
        warmSeconds: WARM_SECONDS,
        pool: POOL,
        views: VIEWS.map((v) => v.name),
      },
      visibility: {
        path: 'Kafka → ingest service (own process) → store → projector → graphql-ws subscriber',
        ...summary(visibility),
        target: { p99Ms: TARGET_VISIBILITY_P99 },
        stored: { path: 'Kafka send → recorded by ingest (its clock)', ...summary(stored) },
        waypoint: { path: 'Kafka send → projector onChange (API process)', ...summary(projected) },
        ceiling: { path: 'store.append → projector onChange', ...summary(ceiling) },
        p99OverCeiling: +(
          percentile(visibility.sorted, 99) / percentile(ceiling.sorted, 99)
        ).toFixed(2),
        subscriptionErrors: subscriptionErrors.length,
        windows,
        gcPauses: { ingest: ingestGc, API: apiGc },
        busyCores: visibilityCores,
        ceilingBusyCores: ceilingCores,
      },
      died,
      listQueryTenClients: {
        api: { ...queryFigures(viaApiTen), cpuMsPerRequest: +viaApiTen.cpuMsPerRequest.toFixed(2) },
        target: { p99Ms: TARGET_QUERY_P99 },
        ceiling: { path: 'the same SQL through pg', ...queryFigures(viaPgTen) },
      },
      growth: grown && {
        clients: 10,
        small: { stored: filled.events, ...queryFigures(viaApiTen), pg: queryFigures(viaPgTen) },
        large: {
          stored: filled.events + grown.events,
          storedAndProjectedSeconds: +grown.seconds.toFixed(1),
          ...queryFigures(grown.api),
          pg: queryFigures(grown.pg),
        },
        ratio: +(percentile(grown.api.latencies, 99) / percentile(viaApiTen.latencies, 99)).toFixed(
          2,
        ),
        target: 1.2,
      },
      listQuery: {
        replicas: REPLICAS,
        api: { ...queryFigures(viaApi), cpuMsPerRequest: +viaApi.cpuMsPerRequest.toFixed(2) },
        target: { p99Ms: TARGET_QUERY_P99 },
        ceiling: { path: 'the same SQL through pg', ...queryFigures(viaPg) },
        p99OverCeiling: +(
          percentile(viaApi.latencies, 99) / percentile(viaPg.latencies, 99)
        ).toFixed(2),
        busyCores: listCores,
      },
    };
    await mkdir(dirname(values.out!), { recursive: true });
    await writeFile(values.out!, `${JSON.stringify(results, null, 2)}\n`);

    const v = results.visibility;
    const q = results.listQuery;
    const missing = (l: { missing: number }) =>
      l.missing > 0 ? `, ${l.missing} never arrived` : '';
    console.log(
      `\nvisibility at ${RATE} events/s for ${SECONDS} s (${v.offered} events, Kafka → ingest → projector → graphql-ws; after ${WARM_SECONDS} s at the same rate, untimed)`,
    );
    console.log(
      `  subscriber receives change     p50 ${v.p50Ms} ms, p99 ${v.p99Ms} ms, max ${v.maxMs} ms (target p99 <= ${TARGET_VISIBILITY_P99} ms)${missing(v)}`,
    );
    console.log(
      `    of which send → recorded     p50 ${v.stored.p50Ms} ms, p99 ${v.stored.p99Ms} ms, max ${v.stored.maxMs} ms`,
    );
    console.log(
      `    of which send → onChange     p50 ${v.waypoint.p50Ms} ms, p99 ${v.waypoint.p99Ms} ms, max ${v.waypoint.maxMs} ms`,
    );
    console.log(
      `  bare append → onChange         p50 ${v.ceiling.p50Ms} ms, p99 ${v.ceiling.p99Ms} ms, max ${v.ceiling.maxMs} ms (ceiling, same run)${missing(v.ceiling)}`,
    );
    console.log(`  p99 / ceiling p99             ${v.p99OverCeiling}`);
    const w = v.windows;
    console.log(
      `  half-seconds over the target   ${w.overTarget} of ${w.windows}` +
        (w.slowest ? ` (slowest from ${w.slowest.fromSeconds} s: p99 ${w.slowest.p99Ms} ms)` : ''),
    );
    console.log(`  GC pauses, ingest process      ${describeGcPauses(v.gcPauses.ingest)}`);
    console.log(`  GC pauses, API process         ${describeGcPauses(v.gcPauses.API)}`);
    console.log(`  cores during the timed run     ${describeBusyCores(v.busyCores)}`);
    console.log(`  cores during the ceiling       ${describeBusyCores(v.ceilingBusyCores)}`);
    console.log(
      `\nlist query batches(first: 20, filter, orderBy), ${CLIENTS} clients for ${QUERY_SECONDS} s, ${BATCHES} batches, ${REPLICAS} API replica${REPLICAS === 1 ? '' : 's'}`,
    );
    console.log(
      `  GraphQL over HTTP              p50 ${q.api.p50Ms} ms, p99 ${q.api.p99Ms} ms, ${q.api.requestsPerSecond} req/s, API CPU ${q.api.cpuMsPerRequest} ms/request (target p99 <= ${TARGET_QUERY_P99} ms)${q.api.failures ? `, ${q.api.failures} failed` : ''}`,
    );
    console.log(
      `  same SQL through pg            p50 ${q.ceiling.p50Ms} ms, p99 ${q.ceiling.p99Ms} ms, ${q.ceiling.requestsPerSecond} req/s (ceiling, same run)`,
    );
    console.log(`  p99 / ceiling p99             ${q.p99OverCeiling} (target <= 2)`);
    console.log(`  cores during GraphQL's run     ${describeBusyCores(q.busyCores)}`);
    const ten = results.listQueryTenClients.api;
    console.log(
      `  GraphQL over HTTP, 10 clients  p50 ${ten.p50Ms} ms, p99 ${ten.p99Ms} ms, ${ten.requestsPerSecond} req/s, API CPU ${ten.cpuMsPerRequest} ms/request (target p99 <= ${TARGET_QUERY_P99} ms)`,
    );
    const pgTen = results.listQueryTenClients.ceiling;
    console.log(
      `  same SQL through pg, 10 clients p50 ${pgTen.p50Ms} ms, p99 ${pgTen.p99Ms} ms, ${pgTen.requestsPerSecond} req/s (for reference)`,
    );
    const g = results.growth;
    if (g) {
      console.log(
        `\nlist query, 10 clients, with ${g.large.stored} events stored instead of ${g.small.stored}`,
      );
      console.log(
        `  GraphQL over HTTP              p50 ${g.large.p50Ms} ms, p99 ${g.large.p99Ms} ms, ${g.large.requestsPerSecond} req/s: ${g.ratio} of the p99 before (target <= ${g.target})`,
      );
      console.log(
        `  same SQL through pg            p50 ${g.large.pg.p50Ms} ms, p99 ${g.large.pg.p99Ms} ms (before: p99 ${g.small.pg.p99Ms} ms)`,
      );
    }
    for (const death of died) console.log(`\nWARNING: ${death}; the figures after it mean little.`);
    console.log(`\nwritten to ${values.out}`);
  } finally {
    await Promise.all(clients.map((client) => client.dispose()));
    await producer.disconnect().catch(() => undefined);
    await Promise.all(children.map(stop));
    await db.close();
    if (env.API_BENCH_KEEP) console.log(`KEPT ${database.url}`);
    else await database.drop();
    await rm(keyDir, { recursive: true, force: true });
  }
}

if (values.role === 'api') await serveApi();
else if (values.role === 'ingest') await runIngest();
else await main();
