import { fileURLToPath } from 'node:url';
import { migrate, pendingMigrations, type SqlDatabase, type SqlExecutor } from '@concord/sql';

const directory = fileURLToPath(new URL('../migrations/', import.meta.url));

/**
 * Applies the read model's SQL migrations (kept in the repo and applied by umzug, because the
 * Prisma migrate engine cannot be installed here); `prisma/schema.prisma` describes the result
 * and a test keeps the two in agreement.
 */
export function migrateReadModel(db: SqlDatabase): Promise<string[]> {
  return migrate(db, { directory, table: 'rm_migrations' });
}

/** The read model's migrations this code knows and the database has not applied. */
export function pendingReadModelMigrations(db: SqlExecutor): Promise<string[]> {
  return pendingMigrations(db, { directory, table: 'rm_migrations' });
}
