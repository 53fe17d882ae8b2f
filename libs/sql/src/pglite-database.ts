import { PGlite, type Transaction } from '@electric-sql/pglite';
import type { SqlDatabase, SqlExecutor } from './database.ts';

const executorOf = (db: PGlite | Transaction): SqlExecutor => ({
  query: async <Row>(sql: string, params?: unknown[]) => {
    const result = await db.query<Row>(sql, params);
    return { rows: result.rows };
  },
  exec: async (sql: string) => {
    await db.exec(sql);
  },
});

/**
 * PGlite (PostgreSQL compiled to WebAssembly) in this process, persisted to `dataDir`, or in
 * memory when it is left out. It has one connection: transactions run one at a time.
 */
export async function pgliteDatabase(options: { dataDir?: string } = {}): Promise<SqlDatabase> {
  const db = await PGlite.create(options.dataDir);
  return {
    kind: 'pglite',
    ...executorOf(db),
    transaction: (work) => db.transaction((tx) => work(executorOf(tx))),
    async listen(channel, onNotify) {
      const unlisten = await db.listen(channel, onNotify);
      return () => unlisten();
    },
    async close() {
      await db.close();
    },
  };
}
