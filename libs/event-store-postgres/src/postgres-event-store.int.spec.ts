import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventStoreContract } from '@concord/event-store/contract-suite';
import { pgDatabase, pgliteDatabase, type SqlExecutor } from '@concord/sql';
import { describeWithPostgres } from '@concord/test-infra/vitest';
import { describe } from 'vitest';
import { PostgresEventStore } from './postgres-event-store.ts';

/** Changes a stored event's data with plain SQL, behind the store's back. */
const tamperWith = (sql: SqlExecutor) => async (streamId: string, streamVersion: number) => {
  await sql.query(
    `update es_events set data = jsonb_set(data, '{note}', '"edited by hand"')
     where stream_id = $1 and stream_version = $2`,
    [streamId, streamVersion],
  );
};

describeWithPostgres('PostgresEventStore on a PostgreSQL server', (database) => {
  eventStoreContract(
    async () => {
      const open = () => PostgresEventStore.open(pgDatabase({ connectionString: database().url }));
      const store = await open();
      const admin = pgDatabase({ connectionString: database().url, maxConnections: 1 });
      return {
        store,
        tamper: tamperWith(admin),
        reopen: open,
        dispose: async () => {
          await admin.close();
          await store.close();
        },
      };
    },
    { tamper: true, reopen: true },
  );
});

describe('PostgresEventStore on PGlite (embedded)', () => {
  eventStoreContract(
    async () => {
      const dir = await mkdtemp(join(tmpdir(), 'concord-pglite-store-'));
      const db = await pgliteDatabase({ dataDir: dir });
      const store = await PostgresEventStore.open(db);
      return {
        store,
        tamper: tamperWith(db),
        // PGlite allows one process per folder: the restart closes the first store.
        reopen: async () => {
          await store.close();
          return PostgresEventStore.open(await pgliteDatabase({ dataDir: dir }));
        },
        dispose: async () => {
          await store.close().catch(() => undefined);
          await rm(dir, { recursive: true, force: true });
        },
      };
    },
    { tamper: true, reopen: true },
  );
});
