import { randomUUID } from 'node:crypto';
import { newEvent } from '@concord/event-store/contract-suite';
import { pgDatabase, type SqlDatabase } from '@concord/sql';
import { describeWithPostgres } from '@concord/test-infra/vitest';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { PostgresEventStore } from './postgres-event-store.ts';

// Every stored field of an event, changed with plain SQL behind the store's back, must make
// verify fail and name the stream and the first broken version.
const tamperings: [string, string, number][] = [
  [
    'event type',
    `update es_events set event_type = 'concord.batch.released.v1' where stream_id = $1 and stream_version = 2`,
    2,
  ],
  [
    'one value in the data',
    `update es_events set data = jsonb_set(data, '{index}', '99') where stream_id = $1 and stream_version = 2`,
    2,
  ],
  [
    'the actor in the metadata',
    `update es_events set metadata = jsonb_set(metadata, '{actorid}', '"someone-else"') where stream_id = $1 and stream_version = 2`,
    2,
  ],
  [
    'recorded-at by a millisecond',
    `update es_events set recorded_at = recorded_at + interval '1 millisecond' where stream_id = $1 and stream_version = 2`,
    2,
  ],
  [
    'the event id',
    `update es_events set event_id = 'forged-' || event_id where stream_id = $1 and stream_version = 2`,
    2,
  ],
  [
    'the stored hash',
    `update es_events set hash = repeat('0', 64) where stream_id = $1 and stream_version = 2`,
    2,
  ],
  [
    'the previous hash',
    `update es_events set previous_hash = repeat('0', 64) where stream_id = $1 and stream_version = 3`,
    3,
  ],
  [
    'an event removed from the middle',
    `delete from es_events where stream_id = $1 and stream_version = 2`,
    2,
  ],
  [
    'the last event removed',
    `delete from es_events where stream_id = $1 and stream_version = 3`,
    2,
  ],
  [
    'two events swapped in the global order',
    `update es_events set global_position = -global_position where stream_id = $1 and stream_version = 2`,
    2,
  ],
];

describeWithPostgres('PostgresEventStore verify against tampering', (database) => {
  let db: SqlDatabase;
  let store: PostgresEventStore;
  beforeAll(async () => {
    db = pgDatabase({ connectionString: database().url });
    store = await PostgresEventStore.open(db);
  });
  afterAll(async () => {
    await store.close();
  });

  it.each(tamperings)('detects %s', async (_, sql, brokenVersion) => {
    const streamId = `tamper-${randomUUID()}`;
    await store.append(
      streamId,
      [newEvent(), newEvent(), newEvent()].map((e, index) => ({ ...e, data: { index } })),
    );
    expect((await store.verify({ streamId })).ok).toBe(true);

    // As an insider who can switch the append-only trigger off (a superuser).
    await db.transaction(async (tx) => {
      await tx.query('set local session_replication_role = replica');
      await tx.query(sql, [streamId]);
    });

    const result = await store.verify({ streamId });
    expect(result.ok).toBe(false);
    if (!result.ok)
      expect(result.brokenLink).toMatchObject({ streamId, streamVersion: brokenVersion });
  });
});
