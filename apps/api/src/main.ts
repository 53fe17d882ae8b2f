// The API process (server mode). Configuration from the environment:
//   DATABASE_URL (required): the event store's PostgreSQL, which also holds the read model;
//   CONCORD_API_PORT (default 4000), CONCORD_API_HOST (default 127.0.0.1);
//   identity: CONCORD_JWT_ISSUER + CONCORD_JWT_AUDIENCE + CONCORD_JWKS_URL (your identity
//     provider), or CONCORD_DEV_ISSUER_KEY=<file> for the development issuer (tokens from
//     `concord tokens mint --key-file <file>`); CONCORD_API_KEYS_FILE: JSON array of
//     { sha256, organizationId, systemId, roles? } for partner systems;
//   CONCORD_PLATFORM_KEY_FILE (required): the platform's signing key (`concord keys platform
//     generate`), CONCORD_PLATFORM_KEYRING_FILE: the public keys it took over from;
//   LOG_LEVEL (default info); CONCORD_EVENT_STORE_URL (optional): a KurrentDB (kurrentdb://…) to
//   keep the events in instead of DATABASE_URL, which then keeps the read model and the rest.
import { readFileSync } from 'node:fs';
import {
  Authenticator,
  DEV_AUDIENCE,
  DEV_ISSUER,
  DevIssuer,
  type ApiKeyRecord,
} from '@concord/auth';
import type { EventStore } from '@concord/event-store';
import { KurrentDbEventStore } from '@concord/event-store-kurrentdb';
import { PostgresEventStore } from '@concord/event-store-postgres';
import { loadPlatformKey, PlatformKeyError, signingAsPlatform } from '@concord/evidence';
import { readModelPrisma } from '@concord/read-model';
import { pgDatabase } from '@concord/sql';
import { tracingFromEnv } from '@concord/telemetry';
import { pino } from 'pino';
import { startApiServer } from './api-server.ts';

const logger = pino({ name: 'concord-api', level: process.env.LOG_LEVEL ?? 'info' });
// Traces go to an OpenTelemetry collector when OTEL_EXPORTER_OTLP_ENDPOINT names one; off otherwise.
const stopTracing = tracingFromEnv('concord-api');
const env = process.env;

function fail(message: string): never {
  logger.fatal(message);
  process.exit(2);
}

const databaseUrl = env.DATABASE_URL ?? fail('DATABASE_URL is not set');
const storeUrl = env.CONCORD_EVENT_STORE_URL;
if (storeUrl && !KurrentDbEventStore.accepts(storeUrl))
  fail('CONCORD_EVENT_STORE_URL must be a KurrentDB connection string (kurrentdb://…)');
const apiKeys = env.CONCORD_API_KEYS_FILE
  ? (JSON.parse(readFileSync(env.CONCORD_API_KEYS_FILE, 'utf8')) as ApiKeyRecord[])
  : [];
let authenticator: Authenticator;
if (env.CONCORD_JWKS_URL) {
  authenticator = new Authenticator({
    issuer: env.CONCORD_JWT_ISSUER ?? fail('CONCORD_JWT_ISSUER is not set'),
    audience: env.CONCORD_JWT_AUDIENCE ?? fail('CONCORD_JWT_AUDIENCE is not set'),
    keys: new URL(env.CONCORD_JWKS_URL),
    apiKeys,
  });
} else if (env.CONCORD_DEV_ISSUER_KEY) {
  logger.warn('using the development token issuer: not for production');
  const issuer = await DevIssuer.open(env.CONCORD_DEV_ISSUER_KEY);
  authenticator = new Authenticator({
    issuer: DEV_ISSUER,
    audience: DEV_AUDIENCE,
    keys: issuer.jwks(),
    apiKeys,
  });
} else fail('set CONCORD_JWKS_URL (with issuer and audience) or CONCORD_DEV_ISSUER_KEY');

// People's acts through the API are recorded signed with the platform's key; never without one.
const signing = await loadPlatformKey(env).catch((error: unknown) =>
  error instanceof PlatformKeyError ? fail(error.message) : Promise.reject(error),
);
const db = pgDatabase({ connectionString: databaseUrl });
const events: EventStore = storeUrl
  ? await KurrentDbEventStore.open({ connectionString: storeUrl, checkpoints: db })
  : await PostgresEventStore.open(db);
const store = signingAsPlatform(events, signing.key);
const prisma = readModelPrisma({ connectionString: databaseUrl });
const server = await startApiServer({
  store,
  db,
  prisma,
  authenticator,
  logger,
  platformKeyring: signing.keyring,
  platformKey: signing.key,
  port: Number(env.CONCORD_API_PORT ?? 4000),
  host: env.CONCORD_API_HOST ?? '127.0.0.1',
});
logger.info({ url: `${server.url}/graphql` }, 'api ready');

const shutdown = async (code: number) => {
  await server.close().catch((error: unknown) => logger.error({ err: error }, 'stop failed'));
  await prisma.$disconnect();
  await store.close();
  // The PostgreSQL store closes its database; a KurrentDB store leaves it to its owner.
  if (storeUrl) await db.close();
  await stopTracing().catch(() => undefined);
  process.exit(code);
};
process.once('SIGTERM', () => void shutdown(0));
process.once('SIGINT', () => void shutdown(0));
