// The ingest process. Configuration from the environment:
//   KAFKA_BROKERS (required), DATABASE_URL (the event store's PostgreSQL; required),
//   CONCORD_TOPIC_PREFIX (default concord), CONCORD_INGEST_GROUP (default concord-ingest),
//   CONCORD_KAFKA_SESSION_TIMEOUT_MS (default 30000: how long a dead instance holds its partitions),
//   LOG_LEVEL (default info).
import { PostgresEventStore } from '@concord/event-store-postgres';
import { pgDatabase } from '@concord/sql';
import { pino } from 'pino';
import { startIngestService } from './ingest-service.ts';

const logger = pino({ name: 'concord-ingest', level: process.env.LOG_LEVEL ?? 'info' });

function required(name: string): string {
  const value = process.env[name];
  if (!value) {
    logger.fatal(`${name} is not set`);
    process.exit(2);
  }
  return value;
}

const store = await PostgresEventStore.open(
  pgDatabase({ connectionString: required('DATABASE_URL') }),
);
const service = await startIngestService({
  store,
  brokers: required('KAFKA_BROKERS').split(','),
  logger,
  topicPrefix: process.env.CONCORD_TOPIC_PREFIX,
  groupId: process.env.CONCORD_INGEST_GROUP,
  sessionTimeoutMs: process.env.CONCORD_KAFKA_SESSION_TIMEOUT_MS
    ? Number(process.env.CONCORD_KAFKA_SESSION_TIMEOUT_MS)
    : undefined,
});
logger.info('ingest ready');
const report = setInterval(
  () => logger.info(service.metrics.snapshot(), 'ingest counters'),
  60_000,
);
report.unref();

const shutdown = async (code: number) => {
  await service.stop().catch((error: unknown) => logger.error({ err: error }, 'stop failed'));
  await store.close();
  process.exit(code);
};
process.once('SIGTERM', () => void shutdown(0));
process.once('SIGINT', () => void shutdown(0));
void service.failed.then(() => shutdown(1));
