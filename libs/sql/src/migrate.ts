import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Umzug, type UmzugStorage } from 'umzug';
import type { SqlDatabase, SqlExecutor } from './database.ts';

export interface MigrateOptions {
  /** Folder of `NNNN_name.sql` files, applied in file-name order. */
  directory: string;
  /** Table recording which migrations ran; one per migration set (event store, read model). */
  table: string;
}

const lockKey = (table: string) => {
  let hash = 0;
  for (const char of table) hash = (hash * 31 + char.charCodeAt(0)) | 0;
  return hash;
};

/**
 * Applies the SQL migrations not applied yet, all in one transaction under an advisory lock, so
 * processes starting together never run one twice and a failing migration leaves nothing half
 * done. Published migration files are never edited: a change is a new file.
 * Resolves to the names it applied.
 */
export async function migrate(db: SqlDatabase, options: MigrateOptions): Promise<string[]> {
  if (!/^[a-z_][a-z0-9_]*$/.test(options.table))
    throw new Error(`bad migration table name ${options.table}`);
  const files = (await readdir(options.directory)).filter((name) => name.endsWith('.sql')).sort();
  const migrations = await Promise.all(
    files.map(async (name) => ({
      name,
      sql: await readFile(join(options.directory, name), 'utf8'),
    })),
  );
  return db.transaction(async (tx) => {
    await tx.query('select pg_advisory_xact_lock($1)', [lockKey(options.table)]);
    await tx.exec(
      `create table if not exists ${options.table} (name text primary key, applied_at timestamptz not null default now())`,
    );
    const umzug = new Umzug<SqlExecutor>({
      context: tx,
      storage: tableStorage(tx, options.table),
      logger: undefined,
      migrations: migrations.map(({ name, sql }) => ({
        name,
        up: async ({ context }) => context.exec(sql),
      })),
    });
    const applied = await umzug.up();
    return applied.map((m) => m.name);
  });
}

/**
 * The migrations of `directory` not recorded as applied (all of them when nothing was ever
 * applied): what a readiness probe asks, without applying anything.
 */
export async function pendingMigrations(
  db: SqlExecutor,
  options: MigrateOptions,
): Promise<string[]> {
  if (!/^[a-z_][a-z0-9_]*$/.test(options.table))
    throw new Error(`bad migration table name ${options.table}`);
  const files = (await readdir(options.directory)).filter((name) => name.endsWith('.sql')).sort();
  const { rows: exists } = await db.query<{ table: string | null }>(
    'select to_regclass($1)::text as table',
    [options.table],
  );
  const { rows } = exists[0]?.table
    ? await db.query<{ name: string }>(`select name from ${options.table}`)
    : { rows: [] };
  const applied = new Set(rows.map((row) => row.name));
  return files.filter((name) => !applied.has(name));
}

function tableStorage(tx: SqlExecutor, table: string): UmzugStorage<SqlExecutor> {
  return {
    async executed() {
      const { rows } = await tx.query<{ name: string }>(`select name from ${table} order by name`);
      return rows.map((row) => row.name);
    },
    async logMigration({ name }) {
      await tx.query(`insert into ${table} (name) values ($1)`, [name]);
    },
    async unlogMigration({ name }) {
      await tx.query(`delete from ${table} where name = $1`, [name]);
    },
  };
}
