import { resolveKafka, type KafkaTarget } from './kafka.ts';
import { resolveKurrentDb, type KurrentDbTarget } from './kurrentdb.ts';
import { redact, resolvePostgres, type PostgresTarget } from './postgres.ts';

/** What the test run got; handed to every test file (vitest `provide`/`inject`). */
export interface ServiceTargets {
  postgres: PostgresTarget;
  kafka: KafkaTarget;
  kurrentdb: KurrentDbTarget;
}

export interface RunningServices {
  targets: ServiceTargets;
  /** Stops only what this call started; services found already running are left alone. */
  stop(): Promise<void>;
}

export class MissingServiceError extends Error {
  override readonly name = 'MissingServiceError';
}

/**
 * Brings up (or finds) PostgreSQL, Kafka and KurrentDB for a test run and prints the choice.
 * With `required` (CI), a missing Kafka or PostgreSQL server is an error, never a skip.
 */
export async function bringUpServices(
  options: { required: boolean; log?: (line: string) => void },
  env = process.env,
): Promise<RunningServices> {
  const log = options.log ?? ((line: string) => console.error(line));
  const [postgres, kafka, kurrentdb] = await Promise.all([
    resolvePostgres(env),
    resolveKafka(env),
    resolveKurrentDb(env),
  ]);
  const targets: ServiceTargets = {
    postgres: postgres.target,
    kafka: kafka.target,
    kurrentdb: kurrentdb.target,
  };
  const stop = async () => {
    await Promise.allSettled([postgres.stop?.(), kafka.stop?.(), kurrentdb.stop?.()]);
  };
  for (const line of describeTargets(targets)) log(line);

  const missing: string[] = [];
  if (targets.postgres.kind !== 'server') missing.push(`PostgreSQL (${targets.postgres.reason})`);
  if (!targets.kafka.available) missing.push(`Kafka (${targets.kafka.reason})`);
  if (options.required && missing.length > 0) {
    await stop();
    throw new MissingServiceError(
      `CI=true requires a real Kafka and PostgreSQL, but these are missing: ${missing.join('; ')}`,
    );
  }
  return { targets, stop };
}

export function describeTargets(targets: ServiceTargets): string[] {
  const { postgres, kafka, kurrentdb } = targets;
  return [
    postgres.kind === 'server'
      ? `[services] PostgreSQL: ${redact(postgres.url)} (${postgres.source})`
      : `[services] PostgreSQL: PGlite only, server suites SKIPPED: ${postgres.reason}`,
    kafka.available
      ? `[services] Kafka: ${kafka.brokers.join(',')} (${kafka.source})`
      : `[services] Kafka: SKIPPED: ${kafka.reason}`,
    kurrentdb.available
      ? `[services] KurrentDB: ${kurrentdb.connectionString} (${kurrentdb.source})`
      : `[services] KurrentDB: SKIPPED: ${kurrentdb.reason}`,
  ];
}

/**
 * The environment that makes a later resolve (another vitest project, another process) reuse
 * these services instead of starting its own.
 */
export function targetsToEnv(targets: ServiceTargets): Record<string, string> {
  const env: Record<string, string> = {};
  if (targets.postgres.kind === 'server') env.DATABASE_URL = targets.postgres.url;
  if (targets.kafka.available) env.KAFKA_BROKERS = targets.kafka.brokers.join(',');
  else env.CONCORD_KAFKA_UNAVAILABLE = targets.kafka.reason;
  if (targets.kurrentdb.available) env.KURRENTDB_URL = targets.kurrentdb.connectionString;
  return env;
}
