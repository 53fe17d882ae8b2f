import type { AuditOptions } from '@concord/audit';
import { PostgresEventStore } from '@concord/event-store-postgres';
import { PlatformKeyError, readPlatformKeyring } from '@concord/evidence';
import { pgDatabase, pgliteDatabase } from '@concord/sql';
import { UsageError } from './io.ts';

export interface StoreOptions {
  databaseUrl?: string;
  pglite?: string;
  /** The platform's public keys (--platform-keyring, $CONCORD_PLATFORM_KEYRING_FILE). */
  platformKeyring?: string;
}

/**
 * What the audit checks platform signatures against: the keyring file the auditor names (a copy
 * they trust, not one read from the database). None named: platform signatures are not checked.
 */
export async function auditOptionsOf(options: StoreOptions): Promise<AuditOptions> {
  if (!options.platformKeyring) return {};
  try {
    return { platformKeyring: await readPlatformKeyring(options.platformKeyring) };
  } catch (error) {
    if (error instanceof PlatformKeyError) throw new UsageError(error.message);
    throw error;
  }
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
