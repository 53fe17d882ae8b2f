import { pgliteDatabase, type SqlDatabase } from '@concord/sql';
import { waitFor } from '@concord/test-infra';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { announceChanges, listenToChanges, READ_MODEL_CHANNEL } from './change-announcements.ts';
import type { ReadModelChange } from './projections/project-chunk.ts';

describe('read-model changes announced through the database (PGlite)', () => {
  let db: SqlDatabase;
  const heard: ReadModelChange[][] = [];
  const errors: unknown[] = [];
  let stop: () => Promise<void>;

  beforeAll(async () => {
    db = await pgliteDatabase();
    stop = await listenToChanges(db, (changes) => heard.push(changes), {
      onError: (error) => errors.push(error),
    });
  });
  afterAll(async () => {
    await stop();
    await db.close();
  });

  const changes = (count: number, tag: string): ReadModelChange[] =>
    Array.from({ length: count }, (_, n) => ({
      kind: (['batch', 'deviation', 'readiness'] as const)[n % 3]!,
      id: `northbridge-bio:b-${tag}-${String(n).padStart(5, '0')}`,
      sponsorId: 'helvetia-pharma',
      cdmoId: 'northbridge-bio',
      position: BigInt(1_000_000_000_000 + n),
    }));

  it('hands a chunk on whole, in order, however many notifications it takes', async () => {
    const big = changes(500, 'big'); // ~45 kB: several notifications of under 8,000 bytes
    await db.transaction((tx) => announceChanges(tx, big));
    await waitFor(() => heard.length === 1, { description: 'the chunk heard' });
    expect(heard[0]).toEqual(big);
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

  it('reports what it cannot read and goes on', async () => {
    heard.length = 0;
    await db.query('select pg_notify($1, $2)', [READ_MODEL_CHANNEL, 'not an announcement']);
    await db.query('select pg_notify($1, $2)', [READ_MODEL_CHANNEL, 'x:1|1|2|[]']); // no part 0
    const next = changes(1, 'next');
    await db.transaction((tx) => announceChanges(tx, next));
    await waitFor(() => heard.length === 1, { description: 'the chunk after the garbage' });
    expect(heard).toEqual([next]);
    expect(errors).toHaveLength(2);
  });
});
