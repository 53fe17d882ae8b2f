import { PGlite, type Transaction } from '@electric-sql/pglite';
import { copyChunks, copyStatement } from './copy-text.ts';
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

/** A PGlite database, with the instance itself for other clients of it (Prisma's adapter). */
export interface PgliteDatabase extends SqlDatabase {
  readonly kind: 'pglite';
  readonly pglite: PGlite;
}

/**
 * PGlite (PostgreSQL compiled to WebAssembly) in this process, persisted to `dataDir`, or in
 * memory when it is left out. It has one connection: transactions run one at a time.
 */
export async function pgliteDatabase(options: { dataDir?: string } = {}): Promise<PgliteDatabase> {
  const db = await PGlite.create(options.dataDir);
  return {
    kind: 'pglite',
    pglite: db,
    ...executorOf(db),
    transaction: (work) => db.transaction((tx) => work(executorOf(tx))),
    async copyRows(table, columns, rows) {
      // PGlite reads COPY's input from a blob it is handed as /dev/blob.
      const blob = new Blob([...copyChunks(rows)]);
      const result = await db.query(copyStatement(table, columns, "'/dev/blob'"), [], { blob });
      return result.affectedRows ?? 0;
    },
    async listen(channel, onNotify) {
      const unlisten = await db.listen(channel, onNotify);
      return () => unlisten();
    },
    async close() {
      await db.close();
    },
  };
}
