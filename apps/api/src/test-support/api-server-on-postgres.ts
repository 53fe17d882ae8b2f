import {
  Authenticator,
  DEV_AUDIENCE,
  DEV_ISSUER,
  DevIssuer,
  type ApiKeyRecord,
} from '@concord/auth';
import type { EventStore } from '@concord/event-store';
import { PostgresEventStore } from '@concord/event-store-postgres';
import { readModelPrisma, type ReadModelPrisma } from '@concord/read-model';
import { pgDatabase, type SqlDatabase } from '@concord/sql';
import { createHash } from 'node:crypto';
import pino from 'pino';
import { startApiServer, type ApiServer, type ApiServerOptions } from '../api-server.ts';

/** A partner system's API key as the server keeps it: its digest, never the key itself. */
export function apiKeyRecord(key: string, organizationId: string, systemId: string): ApiKeyRecord {
  return { sha256: createHash('sha256').update(key).digest('hex'), organizationId, systemId };
}

export interface ApiServerOnPostgres {
  server: ApiServer;
  db: SqlDatabase;
  /** The store itself (the server may be given a wrapper of it, see `serve`). */
  store: PostgresEventStore;
  prisma: ReadModelPrisma;
  /** Signs the people's tokens the server takes. */
  issuer: DevIssuer;
  close(): Promise<void>;
}

/**
 * The API server (`startApiServer`) on a PostgreSQL database, with the development issuer's
 * tokens, silent logs and a free port; `options` add to or replace what a test needs, `serve`
 * wraps the store the server is given (e.g. signing as the platform).
 */
export async function apiServerOnPostgres(
  url: string,
  options: Partial<Omit<ApiServerOptions, 'store' | 'db' | 'prisma'>> & {
    serve?: (store: PostgresEventStore) => EventStore;
    /** Partner systems' API keys the server takes, beside the issuer's tokens. */
    apiKeys?: ApiKeyRecord[];
  } = {},
): Promise<ApiServerOnPostgres> {
  const { serve, apiKeys, ...overrides } = options;
  const db = pgDatabase({ connectionString: url });
  const store = await PostgresEventStore.open(db);
  const prisma = readModelPrisma({ connectionString: url });
  const issuer = await DevIssuer.open();
  const server = await startApiServer({
    store: serve ? serve(store) : store,
    db,
    prisma,
    authenticator: new Authenticator({
      issuer: DEV_ISSUER,
      audience: DEV_AUDIENCE,
      keys: issuer.jwks(),
      ...(apiKeys ? { apiKeys } : {}),
    }),
    logger: pino({ level: 'silent' }),
    port: 0,
    ...overrides,
  });
  return {
    server,
    db,
    store,
    prisma,
    issuer,
    async close() {
      await server.close();
      await prisma.$disconnect();
      await store.close();
    },
  };
}
