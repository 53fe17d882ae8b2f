import pg from 'pg';
import type { SqlDatabase, SqlExecutor } from './database.ts';

export interface PgDatabaseOptions {
  connectionString: string;
  /** Connections in the pool. @default 10 */
  maxConnections?: number;
  /** Names this process in pg_stat_activity. @default 'concord' */
  applicationName?: string;
}

const executorOf = (client: pg.PoolClient | pg.Pool): SqlExecutor => ({
  query: async <Row>(sql: string, params?: unknown[]) => {
    const result = await client.query(sql, params);
    return { rows: result.rows as Row[] };
  },
  exec: async (sql: string) => {
    await client.query(sql);
  },
});

/** A PostgreSQL server through a `pg` pool. */
export function pgDatabase(options: PgDatabaseOptions): SqlDatabase {
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    max: options.maxConnections ?? 10,
    application_name: options.applicationName ?? 'concord',
  });
  // An idle client that loses its connection emits here; without a listener it would crash the process.
  pool.on('error', () => undefined);
  const listeners = new Set<pg.Client>();
  return {
    kind: 'postgres',
    ...executorOf(pool),
    async transaction(work) {
      const client = await pool.connect();
      try {
        await client.query('begin');
        const result = await work(executorOf(client));
        await client.query('commit');
        return result;
      } catch (error) {
        await client.query('rollback').catch(() => undefined);
        throw error;
      } finally {
        client.release();
      }
    },
    async listen(channel, onNotify) {
      // LISTEN needs a connection of its own for as long as it listens: never a pooled one.
      const client = new pg.Client({ connectionString: options.connectionString });
      client.on('error', () => undefined);
      await client.connect();
      client.on('notification', (message) => {
        if (message.channel === channel) onNotify(message.payload ?? '');
      });
      await client.query(`listen ${pg.escapeIdentifier(channel)}`);
      listeners.add(client);
      return async () => {
        listeners.delete(client);
        await client.end().catch(() => undefined);
      };
    },
    async close() {
      await Promise.all([...listeners].map((client) => client.end().catch(() => undefined)));
      await pool.end();
    },
  };
}
