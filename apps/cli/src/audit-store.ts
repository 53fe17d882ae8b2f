import type { AuditOptions } from '@concord/audit';
import type { SignedCheckpoint } from '@concord/verifier';
import { PostgresEventStore } from '@concord/event-store-postgres';
import {
  CheckpointLog,
  loadPlatformKey,
  PlatformKeyError,
  readPlatformKeyring,
  type PlatformKey,
  type PlatformKeyring,
} from '@concord/evidence';
import { pgDatabase, pgliteDatabase, type SqlDatabase } from '@concord/sql';
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
  return (await openAudited(options)).store;
}

/** The event store and the platform's checkpoint log beside it, in the same database. */
export async function openAudited(
  options: StoreOptions,
): Promise<{ store: PostgresEventStore; checkpoints: CheckpointLog }> {
  const db = await databaseOf(options);
  const store = await PostgresEventStore.open(db);
  return { store, checkpoints: await CheckpointLog.open(db) };
}

/** The database the options name: a PostgreSQL server, or the embedded data folder. */
export async function databaseOf(options: StoreOptions): Promise<SqlDatabase> {
  if (options.pglite) return pgliteDatabase({ dataDir: options.pglite });
  if (options.databaseUrl) return pgDatabase({ connectionString: options.databaseUrl });
  throw new UsageError('name the event store: --database-url, $DATABASE_URL or --pglite <dir>');
}

/**
 * The checkpoint to hold the store to: the one the auditor kept (--checkpoint), else, with the
 * keyring, the latest the platform recorded in its checkpoint log (a signed copy: the signature is
 * checked; an insider who deletes the newest rows only makes the check weaker, never pass a
 * rewrite of what an older one covers).
 */
export async function checkpointToHold(
  audit: AuditOptions,
  kept: SignedCheckpoint | undefined,
  checkpoints: CheckpointLog,
): Promise<AuditOptions> {
  if (!audit.platformKeyring) return audit;
  const checkpoint = kept ?? (await checkpoints.latest());
  return checkpoint ? { ...audit, checkpoint } : audit;
}

/** The platform's private key (--platform-key) and its keyring (--platform-keyring adds the older keys). */
export async function platformSigningKey(
  options: StoreOptions & { platformKey: string },
): Promise<{ key: PlatformKey; keyring: PlatformKeyring }> {
  return loadPlatformKey({
    CONCORD_PLATFORM_KEY_FILE: options.platformKey,
    ...(options.platformKeyring ? { CONCORD_PLATFORM_KEYRING_FILE: options.platformKeyring } : {}),
  }).catch((error: unknown) => {
    throw error instanceof PlatformKeyError ? new UsageError(error.message) : error;
  });
}
