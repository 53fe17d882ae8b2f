import { randomUUID } from 'node:crypto';
import { eventStoreContract, newEvent } from '@concord/event-store/contract-suite';
import { pgliteDatabase, type SqlDatabase } from '@concord/sql';
import { describeWithKurrentDb } from '@concord/test-infra/vitest';
import { KurrentDBClient } from '@kurrent/kurrentdb-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KurrentDbEventStore } from './kurrentdb-event-store.ts';
import { ENVELOPE_KEY, kurrentEventId } from './mapping.ts';

// KurrentDB events cannot be changed once written, so the suite runs without `tamper`. The
// checkpoints and the id index live in an in-memory PGlite that both stores of the restart test
// share, as two processes would share Concord's SQL database. The contract's 1 MiB event needs
// the server's MaxAppendSize raised above its 1 MiB default (KURRENTDB_MAX_APPEND_SIZE).
describeWithKurrentDb('KurrentDbEventStore', ({ connectionString }) => {
  eventStoreContract(
    async () => {
      const checkpoints = await pgliteDatabase();
      const open = () => KurrentDbEventStore.open({ connectionString, checkpoints });
      const store = await open();
      return {
        store,
        reopen: open,
        dispose: async () => {
          await store.close();
          await checkpoints.close();
        },
      };
    },
    { tamper: false, reopen: true, atomicAppendMany: false },
  );

  describe('on KurrentDB itself', () => {
    let checkpoints: SqlDatabase;
    let store: KurrentDbEventStore;
    let client: KurrentDBClient;
    beforeAll(async () => {
      checkpoints = await pgliteDatabase();
      store = await KurrentDbEventStore.open({ connectionString, checkpoints });
      client = KurrentDBClient.connectionString(connectionString);
    });
    afterAll(async () => {
      await client?.dispose();
      await store?.close();
      await checkpoints?.close();
    });

    it('stores the chain in $concord metadata under a UUID derived from the Concord id', async () => {
      const streamId = `batch-${randomUUID()}`;
      const event = { ...newEvent(), id: `urn:partner:lot-${randomUUID()}#1` };
      const result = await store.append(streamId, [event]);
      const raw = [];
      for await (const resolved of client.readStream(streamId)) raw.push(resolved.event!);
      expect(raw[0]!.id).toBe(kurrentEventId(event.id));
      expect(raw[0]!.position).toEqual({
        commit: result.positions[0],
        prepare: result.positions[0],
      });
      expect((raw[0]!.metadata as Record<string, unknown>)[ENVELOPE_KEY]).toMatchObject({
        id: event.id,
        previousHash: null,
      });
      const [read] = await store.readStream(streamId);
      expect(read!.id).toBe(event.id);
      expect(Object.keys(read!.metadata)).not.toContain(ENVELOPE_KEY);
    });

    it('reports the same positions from append, stream reads and $all reads', async () => {
      const before = await store.headPosition();
      const streamId = `batch-${randomUUID()}`;
      const result = await store.append(streamId, [newEvent(), newEvent(), newEvent()]);
      const all = await store.readAll({ after: before });
      expect(all.filter((e) => e.streamId === streamId).map((e) => e.globalPosition)).toEqual(
        result.positions,
      );
      expect(await store.headPosition()).toBe(all.at(-1)!.globalPosition);
    });

    it("keeps Concord's stream metadata beside KurrentDB's own settings", async () => {
      const streamId = `batch-${randomUUID()}`;
      await store.append(streamId, [newEvent()]);
      await client.setStreamMetadata(streamId, { maxAge: 86_400 });
      await store.setStreamMetadata(streamId, { maxCount: 1, sponsorId: 'sponsor-a' });
      await store.append(streamId, [newEvent()]);
      expect((await client.getStreamMetadata(streamId)).metadata).toMatchObject({
        maxAge: 86_400,
      });
      // Concord's `maxCount` is Concord's: KurrentDB does not truncate the stream to one event.
      expect(await store.streamInfo(streamId)).toMatchObject({
        version: 2,
        metadata: { maxCount: 1, sponsorId: 'sponsor-a' },
      });
      expect(await store.readStream(streamId)).toHaveLength(2);
    });
  });
});
