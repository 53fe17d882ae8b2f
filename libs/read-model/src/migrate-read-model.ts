import { fileURLToPath } from 'node:url';
import { migrate, type SqlDatabase } from '@concord/sql';

const directory = fileURLToPath(new URL('../migrations/', import.meta.url));

/**
 * Applies the read model's SQL migrations (kept in the repo and applied by umzug, because the
 * Prisma migrate engine cannot be installed here); `prisma/schema.prisma` describes the result
 * and a test keeps the two in agreement.
 */
export function migrateReadModel(db: SqlDatabase): Promise<string[]> {
  return migrate(db, { directory, table: 'rm_migrations' });
}
