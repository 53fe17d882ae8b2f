import pg from 'pg';
import { dockerAvailable } from './docker.ts';
import { uniqueName } from './names.ts';

/** Where the PostgreSQL suites run: a real server, or only PGlite when no server can be had. */
export type PostgresTarget =
  | { kind: 'server'; url: string; source: 'DATABASE_URL' | 'local server' | 'testcontainers' }
  | { kind: 'pglite'; reason: string };

export interface ResolvedPostgres {
  target: PostgresTarget;
  stop?: () => Promise<void>;
}

/** The server the project's machines run: trust auth on 127.0.0.1:5432. */
export const LOCAL_POSTGRES_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

/** Whether a PostgreSQL server at `url` accepts a connection and answers a query. */
export async function postgresAnswers(url: string, timeoutMs = 3_000): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: timeoutMs });
  try {
    await client.connect();
    const { rows } = await client.query<{ version: string }>(
      `select current_setting('server_version') as version`,
    );
    return rows[0]?.version;
  } catch {
    return undefined;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * Chooses the PostgreSQL for this test run: `DATABASE_URL` if set; else a server on
 * 127.0.0.1:5432 if one answers; else a testcontainers container if Docker answers; else PGlite.
 */
export async function resolvePostgres(env = process.env): Promise<ResolvedPostgres> {
  const fromEnv = env.DATABASE_URL;
  if (fromEnv) {
    if (await postgresAnswers(fromEnv)) {
      return { target: { kind: 'server', url: fromEnv, source: 'DATABASE_URL' } };
    }
    // An explicit choice that does not answer is reported, never silently replaced.
    return {
      target: { kind: 'pglite', reason: `DATABASE_URL=${redact(fromEnv)} does not answer` },
    };
  }
  if (await postgresAnswers(LOCAL_POSTGRES_URL)) {
    return { target: { kind: 'server', url: LOCAL_POSTGRES_URL, source: 'local server' } };
  }
  if (await dockerAvailable()) {
    const { PostgreSqlContainer } = await import('@testcontainers/postgresql');
    const container = await new PostgreSqlContainer('postgres:17-alpine').start();
    return {
      target: { kind: 'server', url: container.getConnectionUri(), source: 'testcontainers' },
      stop: async () => {
        await container.stop();
      },
    };
  }
  return {
    target: {
      kind: 'pglite',
      reason: 'no DATABASE_URL, nothing answers on 127.0.0.1:5432 and no Docker engine',
    },
  };
}

export interface TestDatabase {
  /** Connection string of a database that exists only for the calling test file. */
  url: string;
  name: string;
  drop(): Promise<void>;
}

/**
 * Creates an empty database on the server for one test file, so files run in parallel without
 * sharing state. `drop()` removes it, disconnecting whatever the test left connected.
 */
export async function createTestDatabase(
  serverUrl: string,
  prefix = 'concord_test',
): Promise<TestDatabase> {
  const name = uniqueName(prefix).replaceAll('-', '_');
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  try {
    await admin.query(`create database "${name}" template template0`);
  } finally {
    await admin.end();
  }
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    name,
    async drop() {
      const client = new pg.Client({ connectionString: serverUrl });
      await client.connect();
      try {
        await client.query(`drop database if exists "${name}" with (force)`);
      } finally {
        await client.end();
      }
    },
  };
}

export function redact(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '<unparseable url>';
  }
}
