import { pgDatabase, pgliteDatabase, type SqlDatabase } from '@concord/sql';
import { waitFor } from '@concord/test-infra';
import { describeWithPostgres } from '@concord/test-infra/vitest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { announceChanges, listenToChanges } from './change-announcements.ts';
import { migrateReadModel } from './migrate-read-model.ts';
import type { ReadModelChange } from './projections/project-chunk.ts';

const changes = (count: number, tag: string): ReadModelChange[] =>
  Array.from({ length: count }, (_, n) => ({
    kind: (['batch', 'deviation', 'readiness'] as const)[n % 3]!,
    id: `northbridge-bio:b-${tag}-${String(n).padStart(5, '0')}`,
    sponsorId: 'helvetia-pharma',
    cdmoId: 'northbridge-bio',
    position: BigInt(1_000_000_000_000 + n),
  }));

function announcementBehaviour(open: () => Promise<SqlDatabase>) {
  let db: SqlDatabase;
  const heard: ReadModelChange[][] = [];
  const errors: unknown[] = [];
  let stop: () => Promise<void>;

  beforeAll(async () => {
    db = await open();
    await migrateReadModel(db);
    // Chunks committed before a listener starts are not its business.
    await db.transaction((tx) => announceChanges(tx, changes(2, 'before')));
    stop = await listenToChanges(db, (chunk) => heard.push(chunk), {
      onError: (error) => errors.push(error),
    });
  });
  afterAll(async () => {
    await stop();
    await db.close();
  });

  it('hands each chunk on whole and in commit order, however large', async () => {
    const big = changes(500, 'big'); // ~45 kB: beyond what one notification may carry
    const small = changes(3, 'small');
    // A traced event's change carries its trace context on to the replicas.
    small[0] = {
      ...small[0]!,
      traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
    };
    await db.transaction((tx) => announceChanges(tx, big));
    await db.transaction((tx) => announceChanges(tx, small));
    await waitFor(() => heard.length === 2, { description: 'both chunks heard' });
    expect(heard).toEqual([big, small]);
  });

  it('announces nothing for a transaction that rolls back', async () => {
    heard.length = 0;
    await expect(
      db.transaction(async (tx) => {
        await announceChanges(tx, changes(3, 'rolled-back'));
        throw new Error('the chunk failed');
      }),
    ).rejects.toThrow('the chunk failed');
    const after = changes(2, 'after');
    await db.transaction((tx) => announceChanges(tx, after));
    await waitFor(() => heard.length === 1, { description: 'the next chunk heard' });
    expect(heard).toEqual([after]);
  });

  it('reports a chunk it cannot read and goes on', async () => {
    heard.length = 0;
    errors.length = 0;
    await db.query(`insert into rm_change_log (changes) values ('not json')`);
    const next = changes(1, 'next');
    await db.transaction((tx) => announceChanges(tx, next));
    await waitFor(() => heard.length === 1, { description: 'the chunk after the garbage' });
    expect(heard).toEqual([next]);
    expect(errors).toHaveLength(1);
  });
}

describe('read-model changes announced through the database (PGlite)', () => {
  announcementBehaviour(() => pgliteDatabase());
});

describeWithPostgres(
  'read-model changes announced through the database (PostgreSQL)',
  (database) => {
    announcementBehaviour(async () =>
      pgDatabase({ connectionString: database().url, reconnectDelayMs: 50 }),
    );

    it('reads what was committed while its connection was lost', async () => {
      const url = database().url;
      const listening = pgDatabase({
        connectionString: url,
        applicationName: 'concord-listener',
        reconnectDelayMs: 300,
      });
      const writer = pgDatabase({ connectionString: url });
      const heard: ReadModelChange[][] = [];
      const stop = await listenToChanges(listening, (chunk) => heard.push(chunk));
      try {
        const first = changes(1, 'first');
        await writer.transaction((tx) => announceChanges(tx, first));
        await waitFor(() => heard.length === 1, { description: 'the first chunk heard' });
        // The listener's connection is cut; chunks commit before it is back (300 ms later).
        await writer.query(
          `select pg_terminate_backend(pid) from pg_stat_activity
          where application_name = 'concord-listener' and query like 'listen%'`,
        );
        const missed = [changes(2, 'missed-1'), changes(3, 'missed-2')];
        for (const chunk of missed) await writer.transaction((tx) => announceChanges(tx, chunk));
        await waitFor(() => heard.length === 3, {
          description: 'the chunks committed meanwhile heard',
        });
        expect(heard).toEqual([first, ...missed]);
      } finally {
        await stop();
        await listening.close();
        await writer.close();
      }
    });
  },
);
