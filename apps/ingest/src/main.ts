// The ingest process. Configuration from the environment:
//   KAFKA_BROKERS (required), DATABASE_URL (the event store's PostgreSQL; required),
//   CONCORD_TOPIC_PREFIX (default concord), CONCORD_INGEST_GROUP (default concord-ingest),
//   CONCORD_KAFKA_SESSION_TIMEOUT_MS (default 10000: how long a killed instance holds its
//   partitions), CONCORD_TOPIC_REFRESH_MS (default 5000: how soon a new partner's topic is read),
//   CONCORD_METRICS_INTERVAL_MS (default 60000: how often the counters are logged),
//   CONCORD_PLATFORM_KEY_FILE (required): the platform's signing key, for what ingest derives
//   and records itself, the receipts of its answers and the checkpoints of the log (`concord keys
//   platform generate`), CONCORD_CHECKPOINT_INTERVAL_SECONDS (default 60: how often the whole log
//   is checkpointed when it grew, each checkpoint published to every partner's outbound topic;
//   0: this process signs none), CONCORD_INGEST_HTTP_PORT (default 4100; /health, /ready and
//   /metrics for operators), CONCORD_INGEST_HTTP_HOST (default 127.0.0.1), LOG_LEVEL (default info),
//   CONCORD_EVENT_STORE_URL (optional): a KurrentDB (kurrentdb://…) to keep the events in instead
//   of DATABASE_URL, which then keeps the outcomes, checkpoints and leader election.
import type { EventStore } from '@concord/event-store';
import { KurrentDbEventStore } from '@concord/event-store-kurrentdb';
import { PostgresEventStore } from '@concord/event-store-postgres';
import {
  CheckpointLog,
  loadPlatformKey,
  PlatformKeyError,
  receiptSigner,
  signingAsPlatform,
} from '@concord/evidence';
import { sqlOutcomeLog } from '@concord/ingest';
import { logLeadership, pgDatabase, sqlLeaderElections } from '@concord/sql';
import { tracingFromEnv } from '@concord/telemetry';
import { pino } from 'pino';
import { startIngestService } from './ingest-service.ts';
import { startIngestHttp } from './operations-http.ts';

const logger = pino({ name: 'concord-ingest', level: process.env.LOG_LEVEL ?? 'info' });
// Traces go to an OpenTelemetry collector when OTEL_EXPORTER_OTLP_ENDPOINT names one; off otherwise.
const stopTracing = tracingFromEnv('concord-ingest');

function required(name: string): string {
  const value = process.env[name];
  if (!value) {
    logger.fatal(`${name} is not set`);
    process.exit(2);
  }
  return value;
}
const optionalNumber = (name: string) =>
  process.env[name] ? Number(process.env[name]) : undefined;
const checkpointSeconds = optionalNumber('CONCORD_CHECKPOINT_INTERVAL_SECONDS') ?? 60;
if (!(Number.isFinite(checkpointSeconds) && checkpointSeconds >= 0)) {
  logger.fatal('CONCORD_CHECKPOINT_INTERVAL_SECONDS must be a number of seconds (0: no signing)');
  process.exit(2);
}

const db = pgDatabase({
  connectionString: required('DATABASE_URL'),
  applicationName: 'concord-ingest',
  onConnectionEvent: (event) =>
    event.kind === 'connection-lost'
      ? logger.warn({ err: event.error, where: event.where }, 'a database connection was lost')
      : logger.info({ channel: event.channel }, 'listening to the database again'),
});
// What the platform derives (late reports, OOS investigations, deviation links) is signed with its
// key; without one the process does not start.
const signing = await loadPlatformKey().catch((error: unknown) => {
  if (!(error instanceof PlatformKeyError)) throw error;
  logger.fatal(error.message);
  process.exit(2);
});
const storeUrl = process.env.CONCORD_EVENT_STORE_URL;
if (storeUrl && !KurrentDbEventStore.accepts(storeUrl)) {
  logger.fatal('CONCORD_EVENT_STORE_URL must be a KurrentDB connection string (kurrentdb://…)');
  process.exit(2);
}
const events: EventStore = storeUrl
  ? await KurrentDbEventStore.open({ connectionString: storeUrl, checkpoints: db })
  : await PostgresEventStore.open(db);
const store = signingAsPlatform(events, signing.key);
const service = await startIngestService({
  store,
  outcomes: await sqlOutcomeLog(db),
  receipts: receiptSigner(signing.key),
  brokers: required('KAFKA_BROKERS').split(','),
  logger,
  topicPrefix: process.env.CONCORD_TOPIC_PREFIX,
  groupId: process.env.CONCORD_INGEST_GROUP,
  sessionTimeoutMs: optionalNumber('CONCORD_KAFKA_SESSION_TIMEOUT_MS'),
  topicRefreshMs: optionalNumber('CONCORD_TOPIC_REFRESH_MS'),
  stalledAfterMs: optionalNumber('CONCORD_INGEST_STALLED_AFTER_MS'),
  // Every instance consumes its share of the partitions; one at a time publishes outbound and
  // runs the process manager, another taking over within seconds when it stops.
  elector: sqlLeaderElections(db, { onEvent: logLeadership(logger) }),
  // The whole log, signed where the platform key lives, goes to every partner.
  ...(checkpointSeconds > 0
    ? {
        checkpoints: {
          log: await CheckpointLog.open(db),
          key: signing.key,
          keyring: signing.keyring,
          intervalMs: checkpointSeconds * 1_000,
        },
      }
    : {}),
});
const http = await startIngestHttp({
  metrics: service.metrics,
  db,
  leadership: () => service.leadership,
  port: optionalNumber('CONCORD_INGEST_HTTP_PORT') ?? 4100,
  host: process.env.CONCORD_INGEST_HTTP_HOST ?? '127.0.0.1',
}).catch(async (error: unknown) => {
  logger.fatal({ err: error }, 'the operations endpoint (CONCORD_INGEST_HTTP_PORT) cannot listen');
  await service.stop().catch(() => undefined);
  process.exit(2);
});
logger.info({ operations: http.url }, 'ingest ready');
const report = setInterval(
  () => logger.info(service.metrics.snapshot(), 'ingest counters'),
  optionalNumber('CONCORD_METRICS_INTERVAL_MS') ?? 60_000,
);
report.unref();

let stopping = false;
const shutdown = async (code: number) => {
  if (stopping) return;
  stopping = true;
  // Leaving the consumer group hands this instance's partitions over at once, not after the
  // session timeout; a second signal, or a stop that hangs, ends the process anyway.
  const deadline = setTimeout(() => process.exit(code), 15_000);
  deadline.unref();
  await service.stop().catch((error: unknown) => logger.error({ err: error }, 'stop failed'));
  await http.close();
  await store.close();
  // The PostgreSQL store closes its database; a KurrentDB store leaves it to its owner.
  if (storeUrl) await db.close();
  await stopTracing().catch(() => undefined);
  process.exit(code);
};
process.once('SIGTERM', () => void shutdown(0));
process.once('SIGINT', () => void shutdown(0));
// A defect must not leave a silent member holding partitions: log it, leave the group, exit.
process.on('uncaughtException', (error) => {
  logger.fatal({ err: error }, 'uncaught exception; leaving the group and exiting');
  void shutdown(1);
});
process.on('unhandledRejection', (error) => {
  logger.fatal({ err: error }, 'unhandled rejection; leaving the group and exiting');
  void shutdown(1);
});
