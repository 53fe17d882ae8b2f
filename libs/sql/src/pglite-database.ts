import { PGlite, type Transaction } from '@electric-sql/pglite';
import { copyChunks, copyStatement } from './copy-text.ts';
import type { SqlDatabase, SqlExecutor, SqlTransaction } from './database.ts';

const executorOf = (db: PGlite | Transaction): SqlExecutor => ({
  query: async <Row>(sql: string, params?: unknown[]) => {
    const result = await db.query<Row>(sql, params);
    return { rows: result.rows };
  },
  exec: async <Row>(sql: string) => {
    const results = await db.exec(sql);
    return { rows: (results.at(-1)?.rows ?? []) as Row[] };
  },
});

/** `work` in PGlite's transaction; what it leaves for the COMMIT runs last (in this process). */
async function inTransaction<T>(tx: Transaction, work: (tx: SqlTransaction) => Promise<T>) {
  const atCommit: string[] = [];
  const result = await work({ ...executorOf(tx), commitWith: (sql) => void atCommit.push(sql) });
  for (const sql of atCommit) await tx.exec(sql);
  return result;
}

/** A PGlite database, with the instance itself for other clients of it (Prisma's adapter). */
export interface PgliteDatabase extends SqlDatabase {
  readonly kind: 'pglite';
  readonly pglite: PGlite;
}

/**
 * PostgreSQL's buffer cache inside PGlite, unless told otherwise. PGlite's `initdb` writes 128 MB
 * into a new folder's postgresql.conf, and PostgreSQL fills and keeps those buffers in this
 * process's memory: most of what the embedded platform holds beyond Node itself. The embedded
 * mode is the small one (demo, one site, tests); the operating system's file cache still keeps
 * what falls out of this one.
 */
export const PGLITE_SHARED_BUFFERS = '16MB';

export interface PgliteDatabaseOptions {
  /** Where the database persists; in memory when left out. */
  dataDir?: string;
  /** PostgreSQL's `shared_buffers` (its start parameter). @default PGLITE_SHARED_BUFFERS */
  sharedBuffers?: string;
}

/**
 * PGlite (PostgreSQL compiled to WebAssembly) in this process, persisted to `dataDir`, or in
 * memory when it is left out. It has one connection: transactions run one at a time.
 */
export async function pgliteDatabase(options: PgliteDatabaseOptions = {}): Promise<PgliteDatabase> {
  const sharedBuffers = options.sharedBuffers ?? PGLITE_SHARED_BUFFERS;
  if (!/^\d+(kB|MB|GB)$/.test(sharedBuffers))
    throw new Error(`shared_buffers must be a size such as 16MB, not "${sharedBuffers}"`);
  const db = await PGlite.create(options.dataDir, {
    // A start parameter outranks the folder's postgresql.conf, whichever initdb wrote it.
    startParams: [...PGlite.defaultStartParams, '-c', `shared_buffers=${sharedBuffers}`],
  });
  return {
    kind: 'pglite',
    pglite: db,
    ...executorOf(db),
    transaction: (work) => db.transaction((tx) => inTransaction(tx, work)),
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
