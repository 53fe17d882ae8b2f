import { randomUUID } from 'node:crypto';
import { newEvent } from '@concord/event-store/contract-suite';
import { pgDatabase, pgliteDatabase, type SqlDatabase } from '@concord/sql';
import { describeWithPostgres } from '@concord/test-infra/vitest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresEventStore } from './postgres-event-store.ts';

/** Every way plain SQL could change a recorded event. */
const changes = [
  ['update', `update es_events set data = '{"forged": true}' where stream_id = $1`],
  ['delete', `delete from es_events where stream_id = $1`],
  ['truncate', `truncate es_events`],
] as const;

async function recorded(store: PostgresEventStore) {
  const streamId = `append-only-${randomUUID()}`;
  await store.append(streamId, [newEvent(), newEvent()]);
  return { streamId, before: await store.readStream(streamId) };
}

describeWithPostgres('es_events is append-only on a PostgreSQL server', (database) => {
  let owner: SqlDatabase;
  let store: PostgresEventStore;
  const role = `concord_app_${randomUUID().slice(0, 8)}`;
  beforeAll(async () => {
    owner = pgDatabase({ connectionString: database().url });
    store = await PostgresEventStore.open(owner);
    await owner.exec(`create role ${role} login in role concord_writer`);
  });
  afterAll(async () => {
    await store.close();
    const admin = pgDatabase({ connectionString: database().url });
    await admin.exec(`drop role if exists ${role}`);
    await admin.close();
  });

  it.each(changes)('refuses an %s by the owner itself (the trigger)', async (_, sql) => {
    const { streamId, before } = await recorded(store);
    await expect(owner.query(sql, sql.includes('$1') ? [streamId] : [])).rejects.toThrow(
      /es_events is append-only: (UPDATE|DELETE|TRUNCATE) refused/,
    );
    expect(await store.readStream(streamId)).toEqual(before);
    expect((await store.verify({ streamId })).ok).toBe(true);
  });

  it('lets a concord_writer process append, read and follow, and never change an event (the grants)', async () => {
    const url = new URL(database().url);
    url.username = role;
    url.password = '';
    const app = pgDatabase({ connectionString: url.toString() });
    const writer = await PostgresEventStore.open(app, { migrate: false });
    try {
      const { streamId, before } = await recorded(writer);
      expect(before).toHaveLength(2);
      await writer.saveCheckpoint(`writer-${role}`, before.at(-1)!.globalPosition);
      for (const [, sql] of changes) {
        await expect(app.query(sql, sql.includes('$1') ? [streamId] : [])).rejects.toThrow(
          /permission denied/,
        );
      }
      expect(await writer.readStream(streamId)).toEqual(before);
    } finally {
      await writer.close();
    }
  });
});

describe('es_events is append-only on PGlite', () => {
  it.each(changes)('refuses an %s', async (_, sql) => {
    const db = await pgliteDatabase();
    const store = await PostgresEventStore.open(db);
    try {
      const { streamId, before } = await recorded(store);
      await expect(db.query(sql, sql.includes('$1') ? [streamId] : [])).rejects.toThrow(
        /append-only/,
      );
      expect(await store.readStream(streamId)).toEqual(before);
    } finally {
      await store.close();
    }
  });
});
