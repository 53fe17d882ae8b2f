import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { copyStatement, copyChunks } from './copy-text.ts';
import type { SqlDatabase, SqlExecutor, SqlSession, SqlTransaction } from './database.ts';

export interface PgDatabaseOptions {
  connectionString: string;
  /** Connections in the pool. @default 10 */
  maxConnections?: number;
  /** Names this process in pg_stat_activity. @default 'concord' */
  applicationName?: string;
  /** Told about connections lost and listeners re-established (logging). */
  onConnectionEvent?: (event: PgConnectionEvent) => void;
  /** First pause before a lost LISTEN connection is opened again (doubling, capped). @default 250 */
  reconnectDelayMs?: number;
  /** @default 10000 */
  maxReconnectDelayMs?: number;
}

export type PgConnectionEvent =
  | { kind: 'connection-lost'; where: 'pool' | 'transaction' | 'listener'; error: unknown }
  | { kind: 'listener-reconnected'; channel: string; attempts: number };

/**
 * The rows of a simple-protocol message's last statement (pg answers one statement with its
 * result, several with an array of them).
 */
const lastRows = <Row>(answer: unknown): { rows: Row[] } => {
  const result = answer as pg.QueryResult | pg.QueryResult[];
  return { rows: ((Array.isArray(result) ? result.at(-1)?.rows : result.rows) ?? []) as Row[] };
};

const executorOf = (client: pg.ClientBase): SqlExecutor => ({
  query: async <Row>(sql: string, params?: unknown[]) => {
    const result = await client.query(sql, params);
    return { rows: result.rows as Row[] };
  },
  exec: async <Row>(sql: string) => lastRows<Row>(await client.query(sql)),
});

/**
 * A transaction on `client` whose BEGIN waits for its first statement: sent with it in one
 * message when that is an `exec` (a subscriber's lock and checkpoint, one round trip), alone
 * before it otherwise (a statement with parameters goes in a message of its own). A transaction
 * that sent nothing has nothing to commit.
 */
class PgTransaction implements SqlTransaction {
  readonly #client: pg.ClientBase;
  #begun: Promise<unknown> | undefined;
  readonly #atCommit: string[] = [];

  constructor(client: pg.ClientBase) {
    this.#client = client;
  }

  async query<Row>(sql: string, params?: unknown[]): Promise<{ rows: Row[] }> {
    await (this.#begun ??= this.#client.query('begin'));
    const result = await this.#client.query(sql, params);
    return { rows: result.rows as Row[] };
  }

  async exec<Row>(sql: string): Promise<{ rows: Row[] }> {
    if (this.#begun) {
      await this.#begun;
      return lastRows<Row>(await this.#client.query(sql));
    }
    const sent: Promise<unknown> = this.#client.query(`begin; ${sql}`);
    this.#begun = sent;
    return lastRows<Row>(await sent);
  }

  commitWith(sql: string): void {
    this.#atCommit.push(sql);
  }

  /** Whether a statement was sent (a ROLLBACK has something to end). */
  get begun(): boolean {
    return this.#begun !== undefined;
  }

  async commit(): Promise<void> {
    if (this.#atCommit.length === 0) {
      if (this.#begun) await this.#client.query('commit');
      return;
    }
    const last = this.#atCommit.join(';\n');
    if (this.#begun) await this.#client.query(`${last}; commit`);
    else await (this.#begun = this.#client.query(`begin; ${last}; commit`));
  }
}

/**
 * Whether a failed statement leaves its connection fit for the next one: the server answered
 * with an error (a conflict, a constraint, a division by zero) and did not end the session.
 */
function connectionSurvives(error: unknown): boolean {
  const code = error instanceof pg.DatabaseError ? error.code : undefined;
  // 08: connection exception; 57P: operator intervention (terminated, shutting down).
  return code !== undefined && !code.startsWith('08') && !code.startsWith('57P');
}

/**
 * Statements on a pooled connection. pg-pool's own `pool.query` destroys the connection after any
 * failed statement, so every refused append (a version conflict) would cost a new server process
 * with cold caches; here a connection is destroyed only when it is broken.
 */
const pooledExecutor = (pool: pg.Pool): SqlExecutor => {
  const run = async (sql: string, params?: unknown[]) => {
    const client = await pool.connect();
    let broken: Error | undefined;
    try {
      return await client.query(sql, params);
    } catch (error) {
      if (!connectionSurvives(error)) broken = error as Error;
      throw error;
    } finally {
      client.release(broken);
    }
  };
  return {
    query: async <Row>(sql: string, params?: unknown[]) => ({
      rows: (await run(sql, params)).rows as Row[],
    }),
    exec: async <Row>(sql: string) => lastRows<Row>(await run(sql)),
  };
};

/**
 * A PostgreSQL server through a `pg` pool. Connections are lost sometimes (a restart, a failover,
 * `pg_terminate_backend`): a lost connection never ends the process, the pool opens new ones as
 * needed, a transaction cut mid-way fails with its error (its caller retries), and a listener
 * reconnects by itself and then wakes its callback, since notifications sent while it was away are
 * lost.
 */
export function pgDatabase(options: PgDatabaseOptions): SqlDatabase {
  const report = options.onConnectionEvent ?? (() => undefined);
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    max: options.maxConnections ?? 10,
    application_name: options.applicationName ?? 'concord',
  });
  // An idle client that loses its connection emits here; without a listener it would crash the process.
  pool.on('error', (error) => report({ kind: 'connection-lost', where: 'pool', error }));
  // pg-pool listens to a client only while it is idle; a connection lost
  // in any other moment (checked out between statements, handed over between callers) would emit
  // 'error' unheard and end the process. Every client is heard for its whole life; the failing
  // statement, or the next one, reports the loss to its caller.
  pool.on('connect', (client) => {
    client.on('error', () => undefined);
  });
  const listeners = new Set<{ close(): Promise<void> }>();
  const sessions = new Set<SqlSession>();
  return {
    kind: 'postgres',
    ...pooledExecutor(pool),
    async transaction(work) {
      const client = await pool.connect();
      // A checked-out client has no listener of the pool's: a connection lost between two
      // statements would emit 'error' unheard and end the process. The next statement fails.
      let lost: unknown;
      const onError = (error: unknown) => {
        lost ??= error;
        report({ kind: 'connection-lost', where: 'transaction', error });
      };
      client.on('error', onError);
      const tx = new PgTransaction(client);
      try {
        const result = await work(tx);
        await tx.commit();
        return result;
      } catch (error) {
        if (tx.begun)
          lost ??= await client.query('rollback').then(
            () => undefined,
            (rollbackError: unknown) => rollbackError,
          );
        throw error;
      } finally {
        client.off('error', onError);
        // A client whose connection failed is destroyed, not handed to the next caller.
        client.release(lost === undefined ? undefined : (lost as Error));
      }
    },
    async listen(channel, onNotify) {
      const listener = await keepListening(options, channel, onNotify, report);
      listeners.add(listener);
      return async () => {
        listeners.delete(listener);
        await listener.close();
      };
    },
    async session() {
      const session = await openSession(options);
      sessions.add(session);
      void session.lost.then(() => sessions.delete(session));
      return session;
    },
    async copyRows(table, columns, rows) {
      const client = await pool.connect();
      let broken: Error | undefined;
      try {
        const copy = client.query(copyFrom(copyStatement(table, columns, 'stdin')));
        await pipeline(Readable.from(copyChunks(rows)), copy);
        return Number(copy.rowCount);
      } catch (error) {
        if (!connectionSurvives(error)) broken = error as Error;
        throw error;
      } finally {
        client.release(broken);
      }
    },
    poolStats: () => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount }),
    async close() {
      await Promise.all([...listeners, ...sessions].map((held) => held.close()));
      await pool.end();
    },
  };
}

/**
 * A connection of its own. The server is asked to probe it with TCP keepalives every few seconds,
 * so a session whose process vanished without closing it (a host lost, a network cut) ends on the
 * server within about 15 s, and what it held (a leader's lock) is released for another.
 */
async function openSession(options: PgDatabaseOptions): Promise<SqlSession> {
  const client = new pg.Client({
    connectionString: options.connectionString,
    application_name: options.applicationName ?? 'concord',
    keepAlive: true,
    keepAliveInitialDelayMillis: 5_000,
    connectionTimeoutMillis: 10_000,
  });
  let markLost: (error: unknown) => void = () => undefined;
  const lost = new Promise<unknown>((resolve) => {
    markLost = resolve;
  });
  client.on('error', (error) => markLost(error));
  client.on('end', () => markLost(new Error('the session ended')));
  try {
    await client.connect();
    // Ignored on a Unix socket (nothing to probe there); settable by any user over TCP.
    await client.query(
      'set tcp_keepalives_idle = 5; set tcp_keepalives_interval = 2; set tcp_keepalives_count = 4',
    );
  } catch (error) {
    await client.end().catch(() => undefined);
    throw error;
  }
  return {
    ...executorOf(client),
    lost,
    async close() {
      markLost(new Error('the session was closed'));
      await client.end().catch(() => undefined);
    },
  };
}

/**
 * LISTEN needs a connection of its own for as long as it listens: never a pooled one. When that
 * connection is lost it is opened again (backoff, capped) and `onNotify('')` is called once it
 * listens again, so the caller looks for what it may have missed.
 */
async function keepListening(
  options: PgDatabaseOptions,
  channel: string,
  onNotify: (payload: string) => void,
  report: (event: PgConnectionEvent) => void,
): Promise<{ close(): Promise<void> }> {
  const initialDelay = options.reconnectDelayMs ?? 250;
  const maxDelay = options.maxReconnectDelayMs ?? 10_000;
  let closed = false;
  let current: pg.Client | undefined;
  let timer: NodeJS.Timeout | undefined;

  const connect = async (): Promise<pg.Client> => {
    const client = new pg.Client({
      connectionString: options.connectionString,
      application_name: options.applicationName ?? 'concord',
    });
    let lost = false;
    const onLost = (error?: unknown) => {
      if (lost) return;
      lost = true;
      void client.end().catch(() => undefined);
      if (closed || current !== client) return;
      current = undefined;
      report({ kind: 'connection-lost', where: 'listener', error });
      reconnect(1);
    };
    client.on('error', onLost);
    client.on('end', () => onLost(new Error('the LISTEN connection ended')));
    client.on('notification', (message) => {
      if (message.channel === channel) onNotify(message.payload ?? '');
    });
    try {
      await client.connect();
      await client.query(`listen ${pg.escapeIdentifier(channel)}`);
    } catch (error) {
      lost = true;
      await client.end().catch(() => undefined);
      throw error;
    }
    return client;
  };

  const reconnect = (attempt: number) => {
    const wait = Math.min(maxDelay, initialDelay * 2 ** Math.min(attempt - 1, 16));
    timer = setTimeout(() => {
      if (closed) return;
      connect().then(
        async (client) => {
          if (closed) return void (await client.end().catch(() => undefined));
          current = client;
          report({ kind: 'listener-reconnected', channel, attempts: attempt });
          onNotify('');
        },
        () => reconnect(attempt + 1),
      );
    }, wait);
  };

  current = await connect();
  return {
    async close() {
      closed = true;
      clearTimeout(timer);
      const client = current;
      current = undefined;
      await client?.end().catch(() => undefined);
    },
  };
}
