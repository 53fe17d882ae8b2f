import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventStoreContract } from '@concord/event-store/contract-suite';
import { pgDatabase, pgliteDatabase, type SqlDatabase } from '@concord/sql';
import { describeWithPostgres } from '@concord/test-infra/vitest';
import { describe, expect, it } from 'vitest';
import { PostgresEventStore } from './postgres-event-store.ts';

/**
 * Changes a stored event's data with plain SQL, behind the store's back, as an insider who can
 * switch the append-only trigger off (a superuser).
 */
const tamperWith = (sql: SqlDatabase) => async (streamId: string, streamVersion: number) => {
  await sql.transaction(async (tx) => {
    await tx.query('set local session_replication_role = replica');
    await tx.query(
      `update es_events set data = jsonb_set(data, '{note}', '"edited by hand"')
       where stream_id = $1 and stream_version = $2`,
      [streamId, streamVersion],
    );
  });
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
    { tamper: true, reopen: true, atomicAppendMany: true },
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
    { tamper: true, reopen: true, atomicAppendMany: true },
  );
});

describe('subscriptions on PGlite (one connection)', () => {
  it('let a handler read and append through the store without waiting for itself', async () => {
    const store = await PostgresEventStore.open(await pgliteDatabase());
    try {
      await store.append('deviation-d1', [{ id: 'e1', type: 'reported', data: { n: 1 } }]);
      const seen: string[] = [];
      const subscription = store.subscribe('reactor', async (events) => {
        for (const event of events) {
          seen.push(event.id);
          if (!event.streamId.startsWith('deviation-')) continue;
          // What the deviation ↔ batch process manager does: read a stream, append to another.
          await store.readStream(event.streamId);
          await store.append('batch-b1', [
            { id: `${event.id}:link`, type: 'linked', data: { from: event.id } },
          ]);
        }
      });
      await subscription.waitFor(2n);
      await subscription.stop();
      expect(seen).toEqual(['e1', 'e1:link']);
      expect(await store.loadCheckpoint('reactor')).toBe(2n);
    } finally {
      await store.close();
    }
  });
});
