// The ingest process's own small HTTP server, for operators' tools: /health (liveness: fails when
// the consumer is stalled), /ready (the database answers and the consumer is a member of the ingest
// group that answers it) and /metrics
// (Prometheus text of the ingest counters). Ingest takes partner events from Kafka, not HTTP.
import { createServer } from 'node:http';
import { databaseAnswers, type Leadership, type SqlExecutor } from '@concord/sql';
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import type { IngestMetrics } from './metrics.ts';

export interface IngestHttpOptions {
  metrics: IngestMetrics;
  /** The event store's database, asked `select 1` by /ready. */
  db: SqlExecutor;
  /** The roles this instance stands for in leader elections (`IngestService.leadership`). */
  leadership?: () => readonly Leadership[];
  /** @default 4100 (0: any free port) */
  port?: number;
  /** @default '127.0.0.1' */
  host?: string;
  /** Longest /ready waits for the database. @default 2_000 */
  databaseTimeoutMs?: number;
  /**
   * A request (GET, no body) must have arrived whole within this, or it is answered 408 and its
   * connection closed: a client sending its headers slowly holds no connection for long (Node's
   * defaults: 60 s, looked at every 30 s). @default 10_000
   */
  requestTimeoutMs?: number;
}

export interface IngestHttp {
  /** e.g. http://127.0.0.1:4100 */
  url: string;
  registry: Registry;
  close(): Promise<void>;
}

/** The counters as Prometheus metrics, read from `metrics` when scraped. */
export function ingestRegistry(
  metrics: IngestMetrics,
  leadership: () => readonly Leadership[] = () => [],
): Registry {
  const registry = new Registry();
  const registers = [registry];
  collectDefaultMetrics({ register: registry, prefix: 'concord_ingest_' });
  registry.registerMetric(metrics.answerSeconds);
  // Counters kept by the process, copied at each scrape (reset, then set to the running total).
  const counter = (name: string, help: string, read: () => number) =>
    new Counter({
      name,
      help,
      registers,
      collect() {
        this.reset();
        this.inc(read());
      },
    });
  const perLabel = (
    name: string,
    help: string,
    label: string,
    read: () => ReadonlyMap<string, number>,
  ) =>
    new Counter({
      name,
      help,
      labelNames: [label],
      registers,
      collect() {
        this.reset();
        for (const [value, count] of read()) this.inc({ [label]: value }, count);
      },
    });
  const totals: [name: string, help: string, read: () => number][] = [
    [
      'concord_ingest_accepted_total',
      'Partner events accepted and recorded',
      () => metrics.accepted,
    ],
    [
      'concord_ingest_duplicates_total',
      'Redeliveries of events already answered (given the same answer again)',
      () => metrics.duplicates,
    ],
    [
      'concord_ingest_retries_total',
      'Records tried again after a failure of a dependency',
      () => metrics.retries,
    ],
    [
      'concord_ingest_outbound_published_total',
      "Events published to partners' outbound topics",
      () => metrics.published,
    ],
    [
      'concord_ingest_dead_lettered_total',
      'Records dead-lettered by ingest',
      () => metrics.deadLettered,
    ],
    [
      'concord_ingest_checkpoints_published_total',
      'Signed log checkpoints published to the partners',
      () => metrics.checkpointsPublished,
    ],
  ];
  for (const [name, help, read] of totals) counter(name, help, read);
  perLabel(
    'concord_ingest_rejected_total',
    'Partner events rejected, by rejection code',
    'code',
    () => metrics.rejected,
  );
  perLabel(
    'concord_ingest_quarantined_total',
    'Records set aside on the quarantine topic, by partner organization',
    'organization',
    () => metrics.quarantined,
  );
  new Gauge({
    name: 'concord_ingest_consumer_lag',
    help: 'Records not yet handled, per inbound topic and partition (as of its last batch)',
    labelNames: ['topic', 'partition'],
    registers,
    collect() {
      this.reset();
      for (const [key, lag] of metrics.lag) {
        const slash = key.lastIndexOf('/');
        this.set({ topic: key.slice(0, slash), partition: key.slice(slash + 1) }, lag);
      }
    },
  });
  new Gauge({
    name: 'concord_ingest_consumer_in_group',
    help: 'Whether the consumer is a member of the ingest group (1) or not (0)',
    registers,
    collect() {
      this.set(metrics.inGroup ? 1 : 0);
    },
  });
  new Gauge({
    name: 'concord_ingest_consumer_silence_seconds',
    help: 'How long the ingest group has not answered the consumer (heartbeat, commit or join); 0 when there is nothing to read',
    registers,
    collect() {
      this.set(metrics.silenceMs() / 1_000);
    },
  });
  new Gauge({
    name: 'concord_leader',
    help: 'Whether this instance leads a role (1) or follows (0): the outbound publisher, the process manager',
    labelNames: ['role'],
    registers,
    collect() {
      for (const role of leadership()) this.set({ role: role.role }, role.leading ? 1 : 0);
    },
  });
  return registry;
}

export async function startIngestHttp(options: IngestHttpOptions): Promise<IngestHttp> {
  const { metrics, db, databaseTimeoutMs = 2_000 } = options;
  const registry = ingestRegistry(metrics, options.leadership);
  const readiness = async () => {
    const database = await databaseAnswers(db, databaseTimeoutMs);
    const consumer = {
      ok: metrics.inGroup && !metrics.stalled,
      ...(metrics.stalled ? { stalled: true, silentForMs: metrics.silenceMs() } : {}),
    };
    return { ready: database.ok && consumer.ok, checks: { database, consumer } };
  };
  const requestTimeout = options.requestTimeoutMs ?? 10_000;
  const timeouts = {
    headersTimeout: requestTimeout,
    requestTimeout,
    connectionsCheckingInterval: Math.max(50, Math.min(1_000, Math.floor(requestTimeout / 4))),
  };
  const server = createServer(timeouts, (request, response) => {
    const path = new URL(request.url ?? '/', 'http://localhost').pathname;
    const answer = (status: number, type: string, body: string) => {
      response.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
      response.end(body);
    };
    const failed = (error: unknown) => {
      if (!response.headersSent)
        answer(500, 'application/json', JSON.stringify({ error: String(error) }));
    };
    if (request.method !== 'GET' && request.method !== 'HEAD')
      return answer(405, 'application/json', JSON.stringify({ error: 'GET only' }));
    if (path === '/health')
      return metrics.stalled
        ? answer(
            503,
            'application/json',
            JSON.stringify({ status: 'stalled', silentForMs: metrics.silenceMs() }),
          )
        : answer(200, 'application/json', '{"status":"ok"}');
    if (path === '/ready') {
      void readiness()
        .then((ready) => answer(ready.ready ? 200 : 503, 'application/json', JSON.stringify(ready)))
        .catch(failed);
      return;
    }
    if (path === '/metrics') {
      void registry
        .metrics()
        .then((text) => answer(200, registry.contentType, text))
        .catch(failed);
      return;
    }
    answer(404, 'application/json', JSON.stringify({ error: `no such path: ${path}` }));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject); // a port already taken, say: the caller decides
    server.listen(options.port ?? 4100, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as { port: number; address: string };
  return {
    url: `http://${address.address}:${address.port}`,
    registry,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
