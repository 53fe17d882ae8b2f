// End-to-end ingest benchmark (`pnpm bench`): partner records on the inbound topic → decided and
// stored → published on the partners' outbound topics, timed from the first record sent to the
// last one seen on the sponsor's outbound topic, with the service already running. Reported next
// to two figures of the same run: the CPU the pipeline cannot avoid (decoding, schema validation
// and signature verification of the same records, in this process: the ceiling the ratio is
// taken against) and a plain kafkajs consumer reading the same topic. Needs Kafka and PostgreSQL
// (KAFKA_BROKERS, DATABASE_URL or the local server).
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { decodeKafkaRecord, encodeKafkaRecord, verifyEventSignature } from '@concord/contract';
import { PostgresEventStore } from '@concord/event-store-postgres';
import { sqlOutcomeLog } from '@concord/ingest';
import {
  CDMO,
  holdResumePath,
  SPONSOR,
  seedPartnerWorld,
  type PartnerWorld,
} from '@concord/ingest/test-support';
import { pgDatabase } from '@concord/sql';
import { createTestDatabase, LOCAL_POSTGRES_URL, uniqueName } from '@concord/test-infra';
import { Kafka, logLevel } from 'kafkajs';
import { pino } from 'pino';
import { startIngestService } from '../src/index.ts';

const { values } = parseArgs({
  options: {
    batches: { type: 'string', default: '50' },
    'events-per-batch': { type: 'string', default: '100' },
    rate: { type: 'string', default: '200' },
    seconds: { type: 'string', default: '10' },
    out: { type: 'string', default: 'artifacts/bench/ingest.json' },
  },
});
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

async function main() {
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
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({
      waitForLeaders: true,
      topics: [inbound, outbound, `${prefix}.out.${CDMO}`, `${prefix}.rejections.${CDMO}`].map(
        (topic) => ({ topic, numPartitions: 3 }),
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
    const service = await startIngestService({
      store,
      outcomes,
      brokers,
      logger: pino({ level: 'warn' }),
      topicPrefix: prefix,
      groupId: uniqueName('ingest'),
    });
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
    const feed = [];
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

    const start = performance.now();
    const cpuBefore = process.cpuUsage();
    for (let i = 0; i < feed.length; i += 1000)
      await producer.send({ topic: inbound, messages: feed.slice(i, i + 1000) });
    await waitUntil(() => seen.size >= TOTAL);
    const ingestSeconds = (performance.now() - start) / 1000;
    const cpuUsed = process.cpuUsage(cpuBefore);
    // How busy this process was meanwhile (1.0 = one core all the time): near 1 with one thread
    // means CPU-bound here, far below means waiting on PostgreSQL or Kafka.
    const processCores = (cpuUsed.user + cpuUsed.system) / 1e6 / ingestSeconds;

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

    await service.stop();
    await observer.disconnect();
    await producer.disconnect();

    const results = {
      when: new Date().toISOString(),
      settings: { events: TOTAL, batches: BATCHES, offeredRate: RATE, seconds: SECONDS },
      throughput: {
        eventsPerSecond: Math.round(TOTAL / ingestSeconds),
        decodeValidateVerifyCeiling: Math.round(TOTAL / cpuSeconds),
        ratio: +(cpuSeconds / ingestSeconds).toFixed(3),
        plainConsumer: Math.round((TOTAL + 1) / plainSeconds),
        target: 5000,
        targetRatio: 0.5,
        processCores: +processCores.toFixed(2),
      },
      latencyAtOfferedLoad: {
        rate: RATE,
        p50Ms: percentile(latencies, 50),
        p99Ms: percentile(latencies, 99),
      },
      metrics: service.metrics.snapshot(),
    };
    await mkdir(dirname(values.out), { recursive: true });
    await writeFile(values.out, `${JSON.stringify(results, null, 2)}\n`);
    console.log(`\nIngest benchmark — ${TOTAL} events (publish → stored → published)\n`);
    console.log(
      `end-to-end ingest        ${results.throughput.eventsPerSecond} events/s (target >= 5000)`,
    );
    console.log(
      `decode+validate+verify   ${results.throughput.decodeValidateVerifyCeiling} events/s (ceiling, same run, one core)`,
    );
    console.log(`ratio                    ${results.throughput.ratio} (target >= 0.5)`);
    console.log(
      `busy cores (this process) ${results.throughput.processCores} while ingesting (bench producer and observer included)`,
    );
    console.log(
      `plain kafkajs consumer   ${results.throughput.plainConsumer} events/s (for reference)`,
    );
    console.log(
      `latency at ${RATE} events/s  p50 ${results.latencyAtOfferedLoad.p50Ms} ms, p99 ${results.latencyAtOfferedLoad.p99Ms} ms`,
    );
    console.log(`\nwritten to ${values.out}`);
  } finally {
    await store.close();
    await database.drop();
  }
}

await main();
