// End-to-end ingest benchmark (`pnpm bench`): partner records on the inbound topic → decided and
// stored → published on the partners' outbound topics, timed from the first record sent to the
// last one seen on the sponsor's outbound topic, with the service already running. Reported next
// to two figures of the same run: the CPU the pipeline cannot avoid (decoding, schema validation
// and signature verification of the same records, in this process: the ceiling the ratio is
// taken against) and a plain kafkajs consumer reading the same topic. Needs Kafka and PostgreSQL
// (KAFKA_BROKERS, DATABASE_URL or the local server).
import { fork } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { decodeKafkaRecord, encodeKafkaRecord, verifyEventSignature } from '@concord/contract';
import { PostgresEventStore } from '@concord/event-store-postgres';
import {
  CheckpointLog,
  generatePlatformKey,
  parsePlatformKey,
  publicHalf,
  receiptSigner,
  signingAsPlatform,
  type PlatformKey,
} from '@concord/evidence';
import { sqlOutcomeLog, type OutcomeLog } from '@concord/ingest';
import {
  CDMO,
  holdResumePath,
  SPONSOR,
  seedPartnerWorld,
  type PartnerWorld,
} from '@concord/ingest/test-support';
import { pgDatabase, sqlLeaderElections, type SqlDatabase } from '@concord/sql';
import {
  busyCoresDuring,
  createTestDatabase,
  describeBusyCores,
  LOCAL_POSTGRES_URL,
  processGroups,
  uniqueName,
} from '@concord/test-infra';
import { Kafka, logLevel } from 'kafkajs';
import { pino } from 'pino';
import { startIngestService } from '../src/index.ts';

const { values } = parseArgs({
  allowNegative: true,
  options: {
    batches: { type: 'string', default: '50' },
    // 20,000 events timed: about 7 s of sustained ingest. With 5,000 (about 2 s) the first
    // second's compilation and fetch ramp-up weighed in every figure: 2,421-2,457 events/s
    // against 2,974-3,083 with 20,000, the same code the same hour (and the growth and scaling
    // ratios, each two such runs, swung with it).
    'events-per-batch': { type: 'string', default: '400' },
    rate: { type: 'string', default: '200' },
    seconds: { type: 'string', default: '10' },
    out: { type: 'string', default: 'artifacts/bench/ingest.json' },
    // Cost as work grows: the throughput measured again on a store already holding this many
    // events (other batches' history, all published), against the run on an empty one.
    growth: { type: 'string', default: '0' },
    // Scale-out: the throughput measured again with two ingest processes in one consumer group,
    // against the run with one (the same topics, four partitions, in the same run).
    scaling: { type: 'boolean', default: true },
    // Internal: this file run as the service's own process.
    role: { type: 'string' },
    'database-url': { type: 'string' },
    prefix: { type: 'string' },
    group: { type: 'string' },
  },
});
const GROWTH = Number(values.growth);
const BATCHES = Number(values.batches);
const PER_BATCH = Number(values['events-per-batch']);
const TOTAL = BATCHES * PER_BATCH;
const RATE = Number(values.rate);
const SECONDS = Number(values.seconds);

const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
const kafka = new Kafka({ brokers, clientId: 'ingest-bench', logLevel: logLevel.NOTHING });
const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;

function lifecycle(world: PartnerWorld, batchId: string, step: number) {
  const path = holdResumePath(step);
  return encodeKafkaRecord(world.partnerEvent(CDMO, path, { subject: batchId }, { batchId }));
}

/**
 * The platform's key, as deployed: ingest signs what it derives, a receipt for every answer and
 * a checkpoint of the log (every 60 s and on start).
 */
const platformKey: PlatformKey =
  values.role === 'service'
    ? parsePlatformKey(JSON.parse(process.env.BENCH_PLATFORM_KEY!), 'BENCH_PLATFORM_KEY')
    : generatePlatformKey('2026-01-01T00:00:00.000Z');
const keyring = [publicHalf(platformKey)];

/**
 * Another `count` events of other batches' history, as if the platform had run for a while: in
 * streams of 20, their answers on record, every subscriber of the service past them.
 */
async function prefill(
  db: SqlDatabase,
  store: PostgresEventStore,
  outcomes: OutcomeLog,
  count: number,
) {
  const source = `urn:concord:${CDMO}:history`;
  for (let done = 0; done < count; done += 1000) {
    const requests = Array.from({ length: 50 }, (_, s) => ({
      streamId: `batch-${CDMO}:history-${done / 20 + s}`,
      events: Array.from({ length: 20 }, (_, k) => ({
        id: `${source}/${done + s * 20 + k}`,
        type: 'concord.batch.manufacturing-held.v1',
        data: { batchId: `${CDMO}:history-${done / 20 + s}`, reason: 'history', step: k },
        metadata: { source, actororg: CDMO, time: '2026-01-01T00:00:00.000Z' },
      })),
    }));
    const answers = await store.appendMany(requests);
    await outcomes.record(
      requests.flatMap((request, s) =>
        request.events.map((event, k) => {
          const answer = answers[s]!;
          if (answer.status !== 'appended') throw new Error(`prefill: ${answer.streamId} moved`);
          return {
            key: { channelOrganizationId: CDMO, source, id: event.id },
            digest: event.id,
            outcome: {
              status: 'accepted' as const,
              id: event.id,
              source,
              eventId: event.id,
              streamId: request.streamId,
              positions: [answer.positions[k]!],
              recordedTypes: [event.type],
              duplicate: false,
              organizationId: CDMO,
            },
          };
        }),
      ),
    );
  }
  const head = await store.headPosition();
  for (const subscriber of ['outbound-kafka', 'process-manager-deviation-batch'])
    await store.saveCheckpoint(subscriber, head);
  // ...and signed into the checkpoint log, as the running platform would have done.
  await (await CheckpointLog.open(db)).signNext(store, platformKey, keyring);
}

/**
 * One run on a fresh database and topics: the throughput of `instances` ingest processes in one
 * consumer group and, unless `throughputOnly`, the plain consumer and the latency at the offered
 * load too.
 */
async function measure(stored: number, instances = 1, throughputOnly = false) {
  const database = await createTestDatabase(
    process.env.DATABASE_URL ?? LOCAL_POSTGRES_URL,
    'concord_bench',
  );
  const db = pgDatabase({ connectionString: database.url });
  const store = await PostgresEventStore.open(db);
  const outcomes = await sqlOutcomeLog(db);
  const prefix = uniqueName('bench').replace('-', '');
  const inbound = `${prefix}.in.${CDMO}`;
  const outbound = `${prefix}.out.${SPONSOR}`;
  try {
    const world = await seedPartnerWorld(store);
    if (stored > 0) await prefill(db, store, outcomes, stored);
    // A store that has run for a while has had its tables vacuumed and analyzed and its pages
    // written out. Right after the prefill's bulk load it has not: autovacuum reads the million
    // new rows, and checkpoints write them, while the ingest is timed (the run with 1M stored measured 0.52 of the empty one so; 0.92 and 0.87
    // in two runs after this). Every run, the empty one too, starts from the same settled state.
    await db.exec('vacuum analyze');
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({
      waitForLeaders: true,
      topics: [inbound, outbound, `${prefix}.out.${CDMO}`, `${prefix}.rejections.${CDMO}`].map(
        // Four: a share for each of up to four instances, the same for every run compared.
        (topic) => ({ topic, numPartitions: 4 }),
      ),
    });
    await admin.disconnect();

    // The service runs and has its partitions before anything is timed: a warm-up event goes
    // through first.
    const seen = new Map<string, number>();
    const observer = kafka.consumer({ groupId: uniqueName('observer') });
    await observer.connect();
    await observer.subscribe({ topic: outbound, fromBeginning: true });
    let onSeen: () => void = () => undefined;
    await observer.run({
      eachMessage: async ({ message }) => {
        if (!message.headers?.ce_type?.toString().startsWith('concord.batch.')) return;
        seen.set(message.headers.ce_id!.toString(), Date.now());
        onSeen();
      },
    });
    // The service in its own process, as deployed: the bench's producer and observer do not
    // share its event loop.
    const group = uniqueName('ingest');
    const services: Awaited<ReturnType<typeof startService>>[] = [];
    for (let i = 0; i < instances; i++)
      services.push(await startService(database.url, prefix, group));
    const cpuUsage = async () => {
      const usages = await Promise.all(services.map((service) => service.cpuUsage()));
      return usages.reduce((sum, usage) => ({
        user: sum.user + usage.user,
        system: sum.system + usage.system,
      }));
    };
    const producer = kafka.producer({ idempotent: true });
    await producer.connect();
    const waitUntil = (done: () => boolean) =>
      new Promise<void>((resolve) => {
        onSeen = () => done() && resolve();
        onSeen();
      });
    const warmUp = lifecycle(world, `${CDMO}:b-warm-up`, 0);
    await producer.send({ topic: inbound, messages: [warmUp] });
    await waitUntil(() => seen.has(warmUp.headers.ce_id!.toString()));
    seen.clear();

    // The feed: every batch's lifecycle, batches interleaved.
    const feed: ReturnType<typeof lifecycle>[] = [];
    for (let step = 0; step < PER_BATCH; step++)
      for (let b = 0; b < BATCHES; b++) feed.push(lifecycle(world, `${CDMO}:b-bench-${b}`, step));

    // Ceiling: what no pipeline can skip for these records, on one core of this process.
    const cdmoKey = world.keys[CDMO]!.publicKey;
    const cpuStart = performance.now();
    for (const record of feed) {
      const decoded = decodeKafkaRecord({ ...record, key: Buffer.from(record.key ?? '') });
      if (!decoded.ok || !verifyEventSignature({ ...decoded.event }, cdmoKey))
        throw new Error('the bench feed does not verify');
    }
    const cpuSeconds = (performance.now() - cpuStart) / 1000;

    // No dirty buffers left by the set-up: each run pays its own checkpoint writes, not another's.
    await db.exec('checkpoint');
    // Where the machine's cores went meanwhile: the service's, PostgreSQL's, Kafka's, this bench's.
    const groupOf = processGroups({
      ...Object.fromEntries(services.map((service, i) => [`ingest ${i + 1}`, service.pid])),
      'this bench': process.pid,
    });
    const {
      result: { ingestSeconds, cpuBefore, cpuAfter },
      cores: machineCores,
    } = await busyCoresDuring(groupOf, async () => {
      const start = performance.now();
      const cpuBefore = await cpuUsage();
      for (let i = 0; i < feed.length; i += 1000)
        await producer.send({ topic: inbound, messages: feed.slice(i, i + 1000) });
      await waitUntil(() => seen.size >= TOTAL);
      const ingestSeconds = (performance.now() - start) / 1000;
      return { ingestSeconds, cpuBefore, cpuAfter: await cpuUsage() };
    });
    // How busy the service processes were meanwhile (1.0 = one core all the time): near 1 per
    // process means its event loop is the limit, far below means it waits on PostgreSQL or Kafka.
    const processCores =
      (cpuAfter.user - cpuBefore.user + cpuAfter.system - cpuBefore.system) / 1e6 / ingestSeconds;

    if (throughputOnly) {
      await Promise.all(services.map((service) => service.stop()));
      await observer.disconnect();
      await producer.disconnect();
      return {
        instances,
        eventsPerSecond: Math.round(TOTAL / ingestSeconds),
        processCores: +processCores.toFixed(2),
        machineCores,
      };
    }

    // For reference: a plain consumer reading the same records.
    let plainCount = 0;
    const plain = kafka.consumer({ groupId: uniqueName('plain') });
    await plain.connect();
    await plain.subscribe({ topic: inbound, fromBeginning: true });
    const plainStart = performance.now();
    const plainDone = new Promise<void>((resolve) => {
      void plain.run({ eachMessage: async () => void (++plainCount === TOTAL + 1 && resolve()) });
    });
    await plainDone;
    const plainSeconds = (performance.now() - plainStart) / 1000;
    await plain.disconnect();

    // Latency at a fixed offered load: RATE events/s for SECONDS, each timed from send to outbound.
    const sentAt = new Map<string, number>();
    const latencyBatches = Math.ceil((RATE * SECONDS) / PER_BATCH) + 1;
    const offered: { id: string; record: ReturnType<typeof encodeKafkaRecord> }[] = [];
    for (let step = 0; offered.length < RATE * SECONDS; step++) {
      for (let b = 0; b < latencyBatches && offered.length < RATE * SECONDS; b++) {
        const record = lifecycle(world, `${CDMO}:b-latency-${b}`, step);
        offered.push({ id: record.headers.ce_id!.toString(), record });
      }
    }
    const tick = 50;
    const perTick = Math.max(1, Math.round((RATE * tick) / 1000));
    for (let i = 0; i < offered.length; i += perTick) {
      const slice = offered.slice(i, i + perTick);
      const now = Date.now();
      for (const { id } of slice) sentAt.set(id, now);
      await producer.send({ topic: inbound, messages: slice.map((o) => o.record) });
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, now + tick - Date.now())));
    }
    await waitUntil(() => offered.every((o) => seen.has(o.id)));
    const latencies = offered.map((o) => seen.get(o.id)! - sentAt.get(o.id)!).sort((a, b) => a - b);

    const metrics = await services[0]!.metrics();
    await Promise.all(services.map((service) => service.stop()));
    await observer.disconnect();
    await producer.disconnect();

    const results = {
      when: new Date().toISOString(),
      settings: {
        events: TOTAL,
        batches: BATCHES,
        offeredRate: RATE,
        seconds: SECONDS,
        stored,
        instances,
      },
      throughput: {
        eventsPerSecond: Math.round(TOTAL / ingestSeconds),
        decodeValidateVerifyCeiling: Math.round(TOTAL / cpuSeconds),
        ratio: +(cpuSeconds / ingestSeconds).toFixed(3),
        plainConsumer: Math.round((TOTAL + 1) / plainSeconds),
        target: 5000,
        targetRatio: 0.5,
        processCores: +processCores.toFixed(2),
        machineCores,
      },
      latencyAtOfferedLoad: {
        rate: RATE,
        p50Ms: percentile(latencies, 50),
        p99Ms: percentile(latencies, 99),
      },
      metrics,
    };
    return results;
  } finally {
    await store.close();
    await database.drop();
  }
}

type Message =
  | { type: 'ready' }
  | { type: 'stop' }
  | { type: 'cpu' }
  | { type: 'cpu-usage'; usage: NodeJS.CpuUsage }
  | { type: 'metrics' }
  | { type: 'metrics-snapshot'; snapshot: unknown };

/** This file as the service's process: the ingest service on the bench's database and topics. */
async function runService(): Promise<void> {
  const db = pgDatabase({ connectionString: values['database-url']! });
  // As deployed: instances share the partitions, one of them publishes outbound.
  const store = signingAsPlatform(await PostgresEventStore.open(db), platformKey);
  const service = await startIngestService({
    store,
    outcomes: await sqlOutcomeLog(db),
    receipts: receiptSigner(platformKey),
    checkpoints: { log: await CheckpointLog.open(db), key: platformKey, keyring },
    brokers,
    logger: pino({ level: 'warn' }),
    topicPrefix: values.prefix!,
    groupId: values.group!,
    elector: sqlLeaderElections(db),
  });
  process.on('message', async (message: Message) => {
    if (message.type === 'cpu') process.send!({ type: 'cpu-usage', usage: process.cpuUsage() });
    if (message.type === 'metrics')
      process.send!({ type: 'metrics-snapshot', snapshot: service.metrics.snapshot() });
    if (message.type !== 'stop') return;
    await service.stop();
    await store.close();
    process.exit(0);
  });
  process.send!({ type: 'ready' } satisfies Message);
}

async function startService(databaseUrl: string, prefix: string, group: string) {
  const child = fork(
    fileURLToPath(import.meta.url),
    ['--role', 'service', '--database-url', databaseUrl, '--prefix', prefix, '--group', group],
    { stdio: 'inherit', env: { ...process.env, BENCH_PLATFORM_KEY: JSON.stringify(platformKey) } },
  );
  const next = <T extends Message['type']>(type: T) =>
    new Promise<Extract<Message, { type: T }>>((resolve, reject) => {
      const onMessage = (message: Message) => {
        if (message.type !== type) return;
        child.off('message', onMessage);
        resolve(message as Extract<Message, { type: T }>);
      };
      child.on('message', onMessage);
      child.once('exit', (code) => reject(new Error(`the service process exited (${code})`)));
    });
  await next('ready');
  return {
    pid: child.pid,
    async cpuUsage() {
      const answer = next('cpu-usage');
      child.send({ type: 'cpu' } satisfies Message);
      return (await answer).usage;
    },
    async metrics() {
      const answer = next('metrics-snapshot');
      child.send({ type: 'metrics' } satisfies Message);
      return (await answer).snapshot;
    },
    async stop() {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.send({ type: 'stop' } satisfies Message);
      await exited;
    },
  };
}

async function main() {
  const full = async (stored: number) => {
    const run = await measure(stored);
    if (!('throughput' in run)) throw new Error('a full run reports its throughput');
    return run;
  };
  const results = await full(0);
  const large = GROWTH > 0 ? await full(GROWTH) : undefined;
  const scaled = values.scaling ? await measure(0, 2, true) : undefined;
  const two = scaled && 'processCores' in scaled ? scaled : undefined;
  const scaling = two && {
    one: { instances: 1, eventsPerSecond: results.throughput.eventsPerSecond },
    two: {
      instances: 2,
      eventsPerSecond: two.eventsPerSecond,
      processCores: two.processCores,
      machineCores: two.machineCores,
    },
    ratio: +(two.eventsPerSecond / results.throughput.eventsPerSecond).toFixed(2),
  };
  const growth = large && {
    small: { stored: 0, eventsPerSecond: results.throughput.eventsPerSecond },
    large: { stored: GROWTH, eventsPerSecond: large.throughput.eventsPerSecond },
    ratio: +(large.throughput.eventsPerSecond / results.throughput.eventsPerSecond).toFixed(2),
    target: 0.8,
  };
  await mkdir(dirname(values.out), { recursive: true });
  await writeFile(values.out, `${JSON.stringify({ ...results, growth, scaling }, null, 2)}\n`);
  console.log(`\nIngest benchmark — ${TOTAL} events (publish → stored → published)\n`);
  console.log(
    `end-to-end ingest        ${results.throughput.eventsPerSecond} events/s (target >= 5000)`,
  );
  console.log(
    `decode+validate+verify   ${results.throughput.decodeValidateVerifyCeiling} events/s (ceiling, same run, one core)`,
  );
  console.log(`ratio                    ${results.throughput.ratio} (target >= 0.5)`);
  console.log(`busy cores (service)     ${results.throughput.processCores} while ingesting`);
  console.log(`machine while ingesting  ${describeBusyCores(results.throughput.machineCores)}`);
  console.log(
    `plain kafkajs consumer   ${results.throughput.plainConsumer} events/s (for reference)`,
  );
  console.log(
    `latency at ${RATE} events/s  p50 ${results.latencyAtOfferedLoad.p50Ms} ms, p99 ${results.latencyAtOfferedLoad.p99Ms} ms`,
  );
  if (growth)
    console.log(
      `with ${GROWTH} events stored ${growth.large.eventsPerSecond} events/s: ${growth.ratio} of an empty store (target >= 0.8)`,
    );
  if (scaling)
    console.log(
      `two ingest processes     ${scaling.two.eventsPerSecond} events/s: ${scaling.ratio}x one (${scaling.two.processCores} busy cores; machine ${describeBusyCores(scaling.two.machineCores)})`,
    );
  console.log(`\nwritten to ${values.out}`);
}

if (values.role === 'service') await runService();
else await main();
