import { PostgresEventStore } from '@concord/event-store-postgres';
import { pgDatabase, pgliteDatabase } from '@concord/sql';
import { UsageError } from './io.ts';

export interface StoreOptions {
  databaseUrl?: string;
  pglite?: string;
}

/**
 * The event store an audit reads: a PostgreSQL server, or the embedded data folder. An audit only
 * reads, but opening applies the store's migrations like every other opener (a no-op on a store
 * that has them).
 */
export async function openAuditedStore(options: StoreOptions): Promise<PostgresEventStore> {
  if (options.pglite)
    return PostgresEventStore.open(await pgliteDatabase({ dataDir: options.pglite }));
  if (options.databaseUrl)
    return PostgresEventStore.open(pgDatabase({ connectionString: options.databaseUrl }));
  throw new UsageError('name the event store: --database-url, $DATABASE_URL or --pglite <dir>');
}
