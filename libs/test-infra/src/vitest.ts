import { afterAll, beforeAll, describe, inject, it } from 'vitest';
import type { KafkaTarget } from './kafka.ts';
import type { KurrentDbTarget } from './kurrentdb.ts';
import { createTestDatabase, type TestDatabase } from './postgres.ts';
import type { ServiceTargets } from './services.ts';
import type {} from './provided-context.ts';

type Available<T> = Extract<T, { available: true }>;

export function serviceTargets(): ServiceTargets {
  return inject('concordServices');
}

/**
 * Stands in for a suite whose service is missing. Loud on purpose: it warns, and it holds one
 * skipped test named after the reason, so the run's summary counts it as skipped, never as passed.
 */
function skippedSuite(name: string, service: string, reason: string): void {
  console.warn(`\n⚠ SKIPPED "${name}": ${service} unavailable: ${reason}\n`);
  describe(name, () => {
    it.skip(`SKIPPED: ${service} unavailable: ${reason}`, () => undefined);
  });
}

/** A suite that needs the real Kafka broker; skipped, with the reason in its name, without one. */
export function describeWithKafka(
  name: string,
  body: (kafka: Available<KafkaTarget>) => void,
): void {
  const kafka = serviceTargets().kafka;
  if (kafka.available) describe(name, () => body(kafka));
  else skippedSuite(name, 'Kafka', kafka.reason);
}

/**
 * A suite that needs a real PostgreSQL server. It gets a database of its own, created before its
 * tests and dropped after them, so suites can run in parallel.
 */
export function describeWithPostgres(
  name: string,
  body: (database: () => TestDatabase) => void,
): void {
  const postgres = serviceTargets().postgres;
  if (postgres.kind !== 'server') {
    skippedSuite(name, 'PostgreSQL server', postgres.reason);
    return;
  }
  describe(name, () => {
    let database: TestDatabase | undefined;
    beforeAll(async () => {
      database = await createTestDatabase(postgres.url);
    });
    afterAll(async () => {
      await database?.drop();
    });
    body(() => {
      if (!database) throw new Error('the test database is created in beforeAll');
      return database;
    });
  });
}

/** A suite that needs a KurrentDB server; skipped, with the reason, without one. */
export function describeWithKurrentDb(
  name: string,
  body: (kurrentdb: Available<KurrentDbTarget>) => void,
): void {
  const kurrentdb = serviceTargets().kurrentdb;
  if (kurrentdb.available) describe(name, () => body(kurrentdb));
  else skippedSuite(name, 'KurrentDB', kurrentdb.reason);
}
