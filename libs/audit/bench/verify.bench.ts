// pnpm --filter @concord/audit run bench [--events 20000] [--bundles 4] [--pglite] [--out artifacts/bench/verify.json]
//
// How fast the record proves itself: `concord audit verify --all --platform-keyring` (verifyAudit
// over the whole store: every stream's hash chain recomputed, every partner and platform
// signature checked again) and the standalone verifier (`verifyBundle` over exported evidence
// bundles), in events/s, next to the ceiling measured in the same run: Ed25519 verification alone
// of the same signatures over the same signed bytes (node:crypto, keys parsed once), on one core
// and on every core (one worker thread per core). Where verifyAudit's time goes is split by
// timing its store calls and, in memory, the pieces of its signature checks.
//
// The store: one batch's whole story recorded through the real ingest pipeline (signed partner
// events, derived and API events signed by the platform, organizations and keys registered by
// the platform), then replicated with fresh batch, deviation and event ids, each partner event
// signed again with its sender's key and each platform event by the platform as it is appended.
// On PostgreSQL at DATABASE_URL (a fresh database, dropped at the end) when it is set, else on
// an in-memory PGlite (or with --pglite).
import { createPrivateKey, createPublicKey, randomUUID, verify, type KeyObject } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { availableParallelism, cpus } from 'node:os';
import { dirname } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';
import { publicKeyFromBase64, signEvent, signingInputBytes } from '@concord/contract';
import {
  eventHash,
  type EventStore,
  type NewEvent,
  type RecordedEvent,
} from '@concord/event-store';
import { PostgresEventStore } from '@concord/event-store-postgres';
import {
  generatePlatformKey,
  isPlatformSigned,
  platformEnvelope,
  publicHalf,
  signingAsPlatform,
} from '@concord/evidence';
import { storedEventId } from '@concord/ingest';
import { CDMO } from '@concord/ingest/test-support';
import { pgDatabase, pgliteDatabase, type SqlDatabase } from '@concord/sql';
import { createTestDatabase, type TestDatabase } from '@concord/test-infra';
import { verifyBundle, type EvidenceBundle } from '@concord/verifier';
import { AuditFacts, exportEvidenceBundle, signatureStatusOf, verifyAudit } from '../src/index.ts';
import { recordBatchStory } from '../src/test-support/index.ts';

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '20000' },
    // Evidence bundles exported (each reads the whole log); verified in rounds up to `events`.
    bundles: { type: 'string', default: '4' },
    page: { type: 'string', default: '1000' },
    writers: { type: 'string', default: '4' },
    pglite: { type: 'boolean', default: false },
    out: { type: 'string', default: 'artifacts/bench/verify.json' },
  },
});
const TOTAL = Number(values.events);
const BUNDLES = Number(values.bundles);
const PAGE = Number(values.page);
/** Below this many, the Ed25519 ceiling cycles through the signatures again (stable timing). */
const MIN_CEILING_SIGNATURES = 20_000;
const CORES = availableParallelism();
/** The placeholder in the story's batch and deviation ids, replaced per replica. */
const TOKEN = 'bench-000000';
const EXPORTED_AT = () => new Date('2026-06-02T00:00:00.000Z');

const seconds = (start: number) => (performance.now() - start) / 1000;
const rate = (count: number, elapsed: number) => Math.round(count / elapsed);
const ratio = (a: number, b: number) => +(a / b).toFixed(3);
const log = (line: string) => process.stderr.write(`${line}\n`);

async function timed<T>(work: () => Promise<T>): Promise<{ seconds: number; result: T }> {
  const start = performance.now();
  const result = await work();
  return { seconds: seconds(start), result };
}

/** The shortest of `times` runs of `work`, in seconds: the machine's noise added least. */
function fastestOf(times: number, work: () => void): number {
  let best = Infinity;
  for (let i = 0; i < times; i++) {
    const start = performance.now();
    work();
    best = Math.min(best, seconds(start));
  }
  return best;
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

// ---------------------------------------------------------------------------------------------
// The store

interface Run {
  streamId: string;
  recordedAt: string;
  events: NewEvent[];
}

interface Opened {
  db: SqlDatabase;
  kind: string;
  database?: TestDatabase;
}

async function openDatabase(): Promise<Opened> {
  const server = process.env.DATABASE_URL;
  if (server && !values.pglite) {
    const database = await createTestDatabase(server, 'concord_bench');
    const db = pgDatabase({
      connectionString: database.url,
      maxConnections: Number(values.writers) + 2,
    });
    const version = (await db.query<{ v: string }>(`select current_setting('server_version') as v`))
      .rows[0]!.v;
    return { db, kind: `PostgreSQL ${version}`, database };
  }
  return { db: await pgliteDatabase(), kind: 'PGlite (in memory, this process)' };
}

/** The story's own events (its batch and deviation streams) as runs of one stream each. */
function runsOf(events: readonly RecordedEvent[]): Run[] {
  const runs: Run[] = [];
  for (const { id, type, data, metadata, streamId, recordedAt } of events) {
    const last = runs.at(-1);
    const event = { id, type, data, metadata };
    if (last?.streamId === streamId) last.events.push(event);
    else runs.push({ streamId, recordedAt, events: [event] });
  }
  return runs;
}

const ID = /ev-[0-9a-f]{40}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;

/**
 * The story as replica `n`: its own batch and deviation, fresh partner ids (and the stored ids
 * derived from them, in derived events and references too), each partner event signed again by
 * its sender; platform events lose their signature, to be signed by the platform on append.
 */
function instantiate(
  template: readonly Run[],
  n: number,
  partnerKeys: ReadonlyMap<string, { keyId: string; privateKeyPem: KeyObject }>,
): Run[] {
  const token = `bench-${String(n).padStart(6, '0')}`;
  const ids = new Map<string, string>();
  for (const run of template) {
    for (const event of run.events) {
      if (!/^ev-[0-9a-f]{40}$/.test(event.id)) continue;
      const envelope = event.metadata?.envelope as Record<string, unknown> | undefined;
      const fresh = randomUUID();
      if (envelope) ids.set(String(envelope.id), fresh);
      const source = String(envelope?.source ?? event.metadata?.source);
      ids.set(event.id, storedEventId(source, fresh));
    }
  }
  const text = JSON.stringify(template)
    .replaceAll(TOKEN, token)
    .replace(ID, (id) => ids.get(id) ?? id);
  const runs = JSON.parse(text) as Run[];
  for (const run of runs) {
    for (const event of run.events) {
      const metadata = event.metadata as Record<string, unknown>;
      const envelope = metadata.envelope as Record<string, unknown> | undefined;
      if (envelope) {
        const { signature: _signature, signaturekeyid, ...unsigned } = envelope;
        const key = partnerKeys.get(String(signaturekeyid));
        if (!key) throw new Error(`no private key for ${String(signaturekeyid)}`);
        const { signature } = signEvent({ ...unsigned, data: event.data }, key);
        envelope.signature = signature;
        metadata.signature = signature;
      } else {
        delete metadata.signature;
        delete metadata.signaturekeyid;
      }
    }
  }
  return runs;
}

interface Filled {
  raw: PostgresEventStore;
  units: number;
  perUnit: number;
  batchIds: string[];
  partnerPublicKeys: Map<string, string>;
  storySeconds: number;
  fillSeconds: number;
}

async function fillStore(
  db: SqlDatabase,
  platformKey: ReturnType<typeof generatePlatformKey>,
  concurrency: number,
): Promise<Filled> {
  // The platform clock: the story's stepped clock, then each replica's original instants.
  let at: string | undefined;
  let raw!: PostgresEventStore;
  let signing!: EventStore;
  const story = await timed(() =>
    recordBatchStory(
      async (clock) => {
        raw = await PostgresEventStore.open(db, {
          clock: () => (at === undefined ? clock() : new Date(at)),
        });
        signing = signingAsPlatform(raw, platformKey);
        return signing;
      },
      { batchId: `${CDMO}:b-${TOKEN}`, deviationId: `${CDMO}:dev-${TOKEN}` },
    ),
  );
  const { batchId, deviationId, exchange } = story.result;
  const own = [
    ...(await raw.readStream(`batch-${batchId}`)),
    ...(await raw.readStream(`deviation-${deviationId}`)),
  ].sort((a, b) => (a.globalPosition < b.globalPosition ? -1 : 1));
  const template = runsOf(own);
  const perUnit = own.length;
  const partnerKeys = new Map(
    Object.values(exchange.world.keys).map((key) => [
      key.keyId,
      { keyId: key.keyId, privateKeyPem: createPrivateKey(key.privateKeyPem) },
    ]),
  );
  const partnerPublicKeys = new Map(
    Object.values(exchange.world.keys).map((key) => [key.keyId, key.publicKey]),
  );

  const head = Number(await raw.headPosition());
  const units = 1 + Math.max(0, Math.ceil((TOTAL - head) / perUnit));
  const window = 50;
  const fillStart = performance.now();
  for (let first = 1; first < units; first += window) {
    const inFlight = Array.from({ length: Math.min(window, units - first) }, (_, k) =>
      instantiate(template, first + k, partnerKeys),
    );
    for (let step = 0; step < template.length; step++) {
      const runs = inFlight.map((unit) => unit[step]!);
      // One instant per step: the platform clock is shared by the concurrent appends.
      at = runs[0]!.recordedAt;
      await pool(runs.length, concurrency, async (i) => {
        await signing.append(runs[i]!.streamId, runs[i]!.events);
      });
    }
    if (((first - 1) / window) % 4 === 3) log(`  ${first + inFlight.length - 1} of ${units - 1}`);
  }
  at = undefined;
  // On PostgreSQL a position shows once every older transaction of the server has ended: wait
  // until readers see everything appended, or the verification would stop short of it.
  const expected = BigInt(head + (units - 1) * perUnit);
  const deadline = Date.now() + 60_000;
  while ((await raw.headPosition()) < expected) {
    if (Date.now() > deadline) throw new Error(`position ${expected} never became visible`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const batchIds = Array.from({ length: units }, (_, n) =>
    batchId.replace(TOKEN, `bench-${String(n).padStart(6, '0')}`),
  );
  return {
    raw,
    units,
    perUnit,
    batchIds,
    partnerPublicKeys,
    storySeconds: story.seconds,
    fillSeconds: seconds(fillStart),
  };
}

async function readEverything(store: EventStore): Promise<RecordedEvent[]> {
  const all: RecordedEvent[] = [];
  let after = 0n;
  for (;;) {
    const page = await store.readAll({ after, maxCount: PAGE });
    if (page.length === 0) return all;
    all.push(...page);
    after = page.at(-1)!.globalPosition;
  }
}

/** The store with the time spent in each of its methods (awaited) added up. */
function timedStore<Store extends EventStore>(
  store: Store,
): { store: Store; spent: Map<string, { calls: number; seconds: number }> } {
  const spent = new Map<string, { calls: number; seconds: number }>();
  const bound = new Map<PropertyKey, unknown>();
  const proxy = new Proxy(store, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      if (!bound.has(property)) {
        const method = (value as (...args: unknown[]) => unknown).bind(target);
        bound.set(property, async (...args: unknown[]) => {
          const start = performance.now();
          try {
            return await method(...args);
          } finally {
            const entry = spent.get(String(property)) ?? { calls: 0, seconds: 0 };
            entry.calls++;
            entry.seconds += seconds(start);
            spent.set(String(property), entry);
          }
        });
      }
      return bound.get(property);
    },
  });
  return { store: proxy, spent };
}

// ---------------------------------------------------------------------------------------------
// The Ed25519 ceiling

/** The signatures of the store, as bytes: the signed input, the signature, the key. */
interface Signatures {
  count: number;
  /** Every signed input, back to back; input i is bytes[offsets[i], offsets[i + 1]). */
  bytes: Uint8Array;
  offsets: Uint32Array;
  /** 64 bytes each. */
  signatures: Uint8Array;
  keyIndex: Uint16Array;
  /** SPKI DER of each public key. */
  keys: Uint8Array[];
}

function slice(all: Signatures, from: number, to: number): Signatures {
  const base = all.offsets[from]!;
  return {
    count: to - from,
    bytes: all.bytes.slice(base, all.offsets[to]!),
    offsets: all.offsets.slice(from, to + 1).map((offset) => offset - base),
    signatures: all.signatures.slice(from * 64, to * 64),
    keyIndex: all.keyIndex.slice(from, to),
    keys: all.keys,
  };
}

/**
 * Verifies `count` of the signatures, cycling; keys parsed once. Self-contained: the workers run
 * its source (type annotations are stripped to spaces), the one-core figure runs it here.
 */
function verifierOf(
  data: Signatures,
  createKey: typeof createPublicKey,
  check: typeof verify,
): (count: number) => number {
  const keys = data.keys.map((der) =>
    createKey({ key: Buffer.from(der), format: 'der', type: 'spki' }),
  );
  const bytes = Buffer.from(data.bytes.buffer, data.bytes.byteOffset, data.bytes.byteLength);
  const signatures = Buffer.from(
    data.signatures.buffer,
    data.signatures.byteOffset,
    data.signatures.byteLength,
  );
  return (count) => {
    let valid = 0;
    for (let i = 0; i < count; i++) {
      const k = i % data.count;
      const input = bytes.subarray(data.offsets[k], data.offsets[k + 1]);
      const signature = signatures.subarray(k * 64, k * 64 + 64);
      if (check(null, input, keys[data.keyIndex[k]!]!, signature)) valid++;
    }
    return valid;
  };
}

const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const { createPublicKey, verify } = require('node:crypto');
const run = (${verifierOf.toString()})(workerData, createPublicKey, verify);
run(Math.min(workerData.count, 200));
parentPort.postMessage('ready');
parentPort.on('message', (count) => parentPort.postMessage(run(count)));
`;

function ed25519OneCore(signatures: Signatures, count: number): number {
  const run = verifierOf(signatures, createPublicKey, verify);
  run(Math.min(signatures.count, 200));
  const start = performance.now();
  const valid = run(count);
  const elapsed = seconds(start);
  if (valid !== count) throw new Error(`${count - valid} of ${count} signatures did not verify`);
  return rate(count, elapsed);
}

/** One worker per core, each with its share of the signatures; timed from "go" to the last. */
async function ed25519AllCores(all: Signatures, count: number, cores: number): Promise<number> {
  const share = Math.ceil(all.count / cores);
  const workers = Array.from({ length: cores }, (_, w) => {
    const data = slice(
      all,
      Math.min(w * share, all.count - 1),
      Math.min((w + 1) * share, all.count),
    );
    return new Worker(WORKER, { eval: true, workerData: data });
  });
  try {
    const next = (worker: Worker) =>
      new Promise<unknown>((resolve, reject) => {
        worker.once('message', resolve);
        worker.once('error', reject);
      });
    await Promise.all(workers.map(next));
    const each = Math.ceil(count / cores);
    const start = performance.now();
    const done = workers.map(next);
    for (const worker of workers) worker.postMessage(each);
    const valid = (await Promise.all(done)) as number[];
    const elapsed = seconds(start);
    const total = valid.reduce((sum, v) => sum + v, 0);
    if (total !== each * cores)
      throw new Error(`${each * cores - total} signatures did not verify in the workers`);
    return rate(each * cores, elapsed);
  } finally {
    await Promise.all(workers.map((worker) => worker.terminate()));
  }
}

// ---------------------------------------------------------------------------------------------

async function main() {
  const opened = await openDatabase();
  const concurrency = opened.database ? Number(values.writers) : 1;
  const platformKey = generatePlatformKey('2026-01-01T00:00:00.000Z');
  const platformKeyring = [publicHalf(platformKey)];
  let raw: PostgresEventStore | undefined;
  try {
    log(`Filling the store (${opened.kind}) with about ${TOTAL} events…`);
    const filled = await fillStore(opened.db, platformKey, concurrency);
    raw = filled.raw;
    const head = await raw.headPosition();
    const events = Number(head);

    // Once untimed (the rows in the server's cache, the code compiled), then reading alone.
    log('Reading, then verifying everything…');
    await readEverything(raw);
    const read = await timed(() => readEverything(raw!));
    const all = read.result;

    // (a) What `concord audit verify --all --platform-keyring` runs, its store calls timed.
    const instrumented = timedStore(raw);
    const audit = await timed(() =>
      verifyAudit(instrumented.store, 'all', { platformKeyring, pageSize: PAGE }),
    );
    const verification = audit.result;
    if (!verification.ok || verification.events !== events)
      throw new Error(
        `verify --all: ok ${verification.ok}, ${verification.events} of ${events} events, first problem ${JSON.stringify(verification.brokenLink)}`,
      );
    const auditRate = events / audit.seconds;

    // Its pieces, on one core, in memory, over the same events.
    const facts = new AuditFacts(raw, { platformKeyring });
    await facts.organizationsOf(all);
    const signatureChecks = fastestOf(2, () => {
      for (const event of all) signatureStatusOf(event, facts.directoryOf, platformKeyring);
    });
    const hashing = fastestOf(2, () => {
      for (const event of all)
        if (eventHash(event) !== event.hash) throw new Error(`${event.id} does not hash`);
    });

    // The signed inputs (canonical JSON, as the checks build them), and the keys.
    const keyIds: string[] = [];
    const rawKeys: string[] = [];
    const inputs: Uint8Array[] = [];
    const signatureBytes: Buffer[] = [];
    const keyIndex: number[] = [];
    const canonicalStart = performance.now();
    for (const event of all) {
      const keyId = String(event.metadata.signaturekeyid);
      const envelope = event.metadata.envelope as Record<string, unknown> | undefined;
      inputs.push(
        isPlatformSigned(event)
          ? signingInputBytes(platformEnvelope(event, event.streamId))
          : signingInputBytes({ ...envelope, data: event.data }),
      );
      signatureBytes.push(Buffer.from(String(event.metadata.signature), 'base64'));
      let index = keyIds.indexOf(keyId);
      if (index < 0) {
        index = keyIds.push(keyId) - 1;
        rawKeys.push(
          isPlatformSigned(event)
            ? platformKeyring[0]!.publicKey
            : filled.partnerPublicKeys.get(keyId)!,
        );
      }
      keyIndex.push(index);
    }
    const canonicalJson = seconds(canonicalStart);
    const keyParsing = fastestOf(2, () => {
      for (let i = 0; i < all.length; i++) publicKeyFromBase64(rawKeys[keyIndex[i]!]!);
    });

    const offsets = new Uint32Array(inputs.length + 1);
    inputs.forEach((input, i) => (offsets[i + 1] = offsets[i]! + input.length));
    const bytes = new Uint8Array(offsets[inputs.length]!);
    inputs.forEach((input, i) => bytes.set(input, offsets[i]!));
    const signatures: Signatures = {
      count: all.length,
      bytes,
      offsets,
      signatures: new Uint8Array(Buffer.concat(signatureBytes)),
      keyIndex: Uint16Array.from(keyIndex),
      keys: rawKeys.map(
        (key) => new Uint8Array(publicKeyFromBase64(key).export({ format: 'der', type: 'spki' })),
      ),
    };

    // (c) The ceiling: Ed25519 alone, same signatures and bytes.
    log(`Ed25519 alone, on one core and on ${CORES} (worker threads)…`);
    const ceilingCount = Math.max(all.length, MIN_CEILING_SIGNATURES);
    const oneCore = ed25519OneCore(signatures, ceilingCount);
    const allCores = await ed25519AllCores(signatures, ceilingCount, CORES);

    // (b) The standalone verifier over exported bundles, as files carry them (JSON text).
    log(`Exporting ${BUNDLES} evidence bundles, then the standalone verifier…`);
    const chosen = Array.from(
      { length: Math.min(BUNDLES, filled.units) },
      (_, k) => filled.batchIds[Math.floor((k * (filled.units - 1)) / Math.max(1, BUNDLES - 1))]!,
    );
    const exported = await timed(async () => {
      const texts: string[] = [];
      for (const batchId of chosen)
        texts.push(
          JSON.stringify(
            await exportEvidenceBundle(raw!, batchId, {
              platformKey,
              platformKeyring,
              clock: EXPORTED_AT,
            }),
          ),
        );
      return texts;
    });
    const texts = exported.result;
    const parseStart = performance.now();
    const bundles = texts.map((text) => JSON.parse(text) as EvidenceBundle);
    const parsing = seconds(parseStart);
    const perRound = bundles.reduce(
      (sum, bundle) => sum + bundle.streams.reduce((n, stream) => n + stream.events.length, 0),
      0,
    );
    const rounds = Math.max(1, Math.ceil(events / perRound));
    for (const bundle of bundles) await verifyBundle(bundle, { platformKeys: platformKeyring });
    const bundleRun = await timed(async () => {
      for (let round = 0; round < rounds; round++)
        for (const bundle of bundles) {
          const verdict = await verifyBundle(bundle, { platformKeys: platformKeyring });
          if (!verdict.ok)
            throw new Error(`bundle not verified: ${JSON.stringify(verdict.firstProblem)}`);
        }
    });
    const bundleEvents = perRound * rounds;
    const bundleRate = bundleEvents / bundleRun.seconds;

    const spent = Object.fromEntries(
      [...instrumented.spent].map(([method, { calls, seconds: s }]) => [
        method,
        { calls, seconds: +s.toFixed(3) },
      ]),
    );
    const inStore = [...instrumented.spent.values()].reduce((sum, { seconds: s }) => sum + s, 0);
    const readAllSeconds = instrumented.spent.get('readAll')?.seconds ?? 0;
    const chainSeconds = instrumented.spent.get('verify')?.seconds ?? 0;
    const ed25519Seconds = verification.signatures.checked / oneCore;
    const share = (s: number) => +(s / audit.seconds).toFixed(3);
    const results = {
      when: new Date().toISOString(),
      store: opened.kind,
      cores: CORES,
      cpu: cpus()[0]?.model ?? 'unknown',
      settings: { events, batches: filled.units, eventsPerBatch: filled.perUnit, page: PAGE },
      fill: {
        storySeconds: +filled.storySeconds.toFixed(2),
        seconds: +filled.fillSeconds.toFixed(2),
      },
      auditVerifyAll: {
        eventsPerSecond: Math.round(auditRate),
        seconds: +audit.seconds.toFixed(2),
        streams: verification.streams,
        signatures: verification.signatures,
        ratioToEd25519AllCores: ratio(auditRate, allCores),
        ratioToEd25519OneCore: ratio(auditRate, oneCore),
      },
      standaloneVerifier: {
        eventsPerSecond: Math.round(bundleRate),
        bundles: bundles.length,
        eventsPerRound: perRound,
        rounds,
        seconds: +bundleRun.seconds.toFixed(2),
        exportSecondsPerBundle: +(exported.seconds / bundles.length).toFixed(3),
        jsonParseEventsPerSecond: rate(perRound, parsing),
        ratioToEd25519AllCores: ratio(bundleRate, allCores),
        ratioToEd25519OneCore: ratio(bundleRate, oneCore),
      },
      ed25519Verify: {
        signatures: ceilingCount,
        meanSignedBytes: Math.round(bytes.length / all.length),
        allCoresPerSecond: allCores,
        oneCorePerSecond: oneCore,
        workerThreads: CORES,
        scaling: ratio(allCores, oneCore),
      },
      // Where verify --all spends its time: its store calls (awaited) and, measured apart on one
      // core over the same events, its pure-CPU pieces. Shares are of the verify --all time.
      profile: {
        storeCalls: spent,
        readAllAloneSeconds: +read.seconds.toFixed(3),
        shares: {
          readAllPages: share(readAllSeconds),
          chainVerify: share(chainSeconds),
          chainHashingInMemory: share(hashing),
          otherStoreCalls: share(inStore - readAllSeconds - chainSeconds),
          signatureChecksInMemory: share(signatureChecks),
          ed25519Alone: share(ed25519Seconds),
          canonicalSigningInput: share(canonicalJson),
          publicKeyParsedPerCheck: share(keyParsing),
          rest: share(audit.seconds - inStore - signatureChecks),
        },
      },
    };
    await mkdir(dirname(values.out), { recursive: true });
    await writeFile(values.out, `${JSON.stringify(results, null, 2)}\n`);

    const row = (name: string, value: string, note = '') =>
      console.log(`${name.padEnd(40)} ${value.padStart(12)}  ${note}`);
    const pct = (x: number) => `${(100 * x).toFixed(1)} %`;
    console.log(
      `\nVerification benchmark — ${opened.kind}, ${events} events (${filled.units} batch stories of ${filled.perUnit}), ${CORES} cores (${results.cpu})\n`,
    );
    row('measure', 'per second', 'ratio to Ed25519 alone (same run): all cores / one core');
    row(
      'audit verify --all (verifyAudit)',
      `${results.auditVerifyAll.eventsPerSecond} ev`,
      `${results.auditVerifyAll.ratioToEd25519AllCores} / ${results.auditVerifyAll.ratioToEd25519OneCore}   (${audit.seconds.toFixed(2)} s, ${verification.streams} streams, ${verification.signatures.checked} signatures)`,
    );
    row(
      'standalone verifier (verifyBundle)',
      `${results.standaloneVerifier.eventsPerSecond} ev`,
      `${results.standaloneVerifier.ratioToEd25519AllCores} / ${results.standaloneVerifier.ratioToEd25519OneCore}   (${bundles.length} bundles of ~${Math.round(perRound / bundles.length)} events × ${rounds} rounds)`,
    );
    row(
      `Ed25519 verify alone, ${CORES} worker threads`,
      `${allCores} sig`,
      `ceiling (${ceilingCount} signatures, ${results.ed25519Verify.meanSignedBytes} B signed on average)`,
    );
    row(
      'Ed25519 verify alone, one core',
      `${oneCore} sig`,
      `scaling ×${results.ed25519Verify.scaling}`,
    );
    console.log('\nWhere audit verify --all spends its time (shares of its wall time)');
    const s = results.profile.shares;
    row(
      '  readAll pages (store)',
      pct(s.readAllPages),
      `${read.seconds.toFixed(2)} s alone, same pages`,
    );
    row(
      '  chain verify per stream (store)',
      pct(s.chainVerify),
      `${verification.streams} calls; re-reads each stream; hashing alone ${pct(s.chainHashingInMemory)}`,
    );
    row('  other store calls', pct(s.otherStoreCalls), 'head, organization/agreement streams');
    row(
      '  signature checks (CPU, one core)',
      pct(s.signatureChecksInMemory),
      `of which Ed25519 ${pct(s.ed25519Alone)}, canonical JSON ${pct(s.canonicalSigningInput)}, key parsed per check ${pct(s.publicKeyParsedPerCheck)}`,
    );
    row('  rest (remainder, ± noise)', pct(s.rest));
    console.log(
      `\nstory through ingest ${filled.storySeconds.toFixed(1)} s, replicas appended in ${filled.fillSeconds.toFixed(1)} s; bundle export ${results.standaloneVerifier.exportSecondsPerBundle} s each`,
    );
    console.log(`written to ${values.out}`);
  } finally {
    await raw?.close();
    if (!raw) await opened.db.close();
    await opened.database?.drop();
  }
}

await main();
