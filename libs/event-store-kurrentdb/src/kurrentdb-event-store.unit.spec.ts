// The adapter's own logic (id claims, redeliveries, chain, retries, position mapping, paging past
// system events, checkpoints) against the in-memory client double, so it is exercised on machines
// without a KurrentDB server. The real proof is kurrentdb-event-store.int.spec.ts.
import { eventStoreContract, newEvent } from '@concord/event-store/contract-suite';
import { pgliteDatabase, type SqlDatabase } from '@concord/sql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeKurrentDbClient } from './test-support/fake-kurrentdb-client.ts';
import { KurrentDbEventStore } from './kurrentdb-event-store.ts';
import { ENVELOPE_KEY } from './mapping.ts';

describe('KurrentDbEventStore on an in-memory double of the KurrentDB client', () => {
  eventStoreContract(
    async () => {
      const fake = new FakeKurrentDbClient();
      const checkpoints = await pgliteDatabase();
      const open = () => KurrentDbEventStore.open({ client: fake.asClient(), checkpoints });
      const store = await open();
      return {
        store,
        tamper: async (streamId, streamVersion) => fake.tamper(streamId, BigInt(streamVersion - 1)),
        reopen: open,
        dispose: async () => {
          await store.close();
          await checkpoints.close();
        },
      };
    },
    { tamper: true, reopen: true, atomicAppendMany: false },
  );
});

describe('KurrentDbEventStore.accepts', () => {
  it('takes KurrentDB and EventStoreDB connection strings, nothing else', () => {
    for (const url of [
      'kurrentdb://127.0.0.1:2113?tls=false',
      'kurrentdb+discover://admin:changeit@cluster.example:2113',
      'kdb://node-1:2113,node-2:2113',
      'esdb://127.0.0.1:2113?tls=false',
    ])
      expect(KurrentDbEventStore.accepts(url), url).toBe(true);
    for (const url of [
      'postgres://postgres@127.0.0.1:5432/postgres',
      'kurrentdb:/127.0.0.1',
      'http://127.0.0.1:2113',
      'kurrentdb://',
      '',
    ])
      expect(KurrentDbEventStore.accepts(url), url).toBe(false);
  });
});

describe('KurrentDbEventStore specifics', () => {
  let checkpoints: SqlDatabase;
  let store: KurrentDbEventStore;
  beforeAll(async () => {
    checkpoints = await pgliteDatabase();
    store = await KurrentDbEventStore.open({
      client: new FakeKurrentDbClient().asClient(),
      checkpoints,
    });
  });
  afterAll(async () => {
    await store.close();
  });

  it('keeps the envelope out of what readers see and refuses a smuggled one', async () => {
    const event = newEvent();
    await store.append('batch-1', [event]);
    const [read] = await store.readStream('batch-1');
    expect(Object.keys(read!.metadata)).not.toContain(ENVELOPE_KEY);
    await expect(
      store.append('batch-1', [
        { ...newEvent(), metadata: { [ENVELOPE_KEY]: { hash: 'forged' } } as never },
      ]),
    ).rejects.toMatchObject({ name: 'InvalidAppendError' });
    await expect(store.append('$settings', [newEvent()])).rejects.toMatchObject({
      name: 'InvalidAppendError',
    });
  });

  it('stores ids that are not UUIDs (KurrentDB gets a derived one)', async () => {
    const event = { ...newEvent(), id: 'urn:partner:cdmo-7/lot-42/release#3' };
    const first = await store.append('batch-2', [event]);
    expect((await store.readStream('batch-2'))[0]!.id).toBe(event.id);
    expect(await store.append('batch-2', [structuredClone(event)])).toEqual({
      ...first,
      duplicate: true,
    });
  });

  it('retries an `any` append that loses the race for the head, keeping one chain', async () => {
    await Promise.all(
      Array.from({ length: 10 }, () => store.append('batch-3', [newEvent(), newEvent()])),
    );
    expect((await store.readStream('batch-3')).map((e) => e.streamVersion)).toEqual(
      Array.from({ length: 20 }, (_, i) => i + 1),
    );
    expect(await store.verify({ streamId: 'batch-3' })).toMatchObject({ ok: true, events: 20 });
  });

  it('keeps Concord stream metadata apart from KurrentDB settings', async () => {
    await store.setStreamMetadata('batch-4', { maxCount: 1, sponsor: 'a' });
    expect(await store.streamInfo('batch-4')).toEqual({
      streamId: 'batch-4',
      version: 0,
      headHash: null,
      metadata: { maxCount: 1, sponsor: 'a' },
    });
  });

  it('resolves the claim of a writer that died after writing, as a redelivery', async () => {
    const event = newEvent();
    const first = await store.append('batch-5', [event]);
    // As if the process had died between the KurrentDB write and completing its claim.
    await checkpoints.query(
      `update kurrent_event_ids set claim = 'dead', position = null, stream_version = null,
         hash = null, claimed_at = now() - interval '2 minutes' where event_id = $1`,
      [event.id],
    );
    expect(await store.append('batch-5', [structuredClone(event)])).toEqual({
      ...first,
      duplicate: true,
    });
  });

  it('frees the claim of a writer that died before writing', async () => {
    const event = newEvent();
    await checkpoints.query(
      `insert into kurrent_event_ids (event_id, stream_id, content_hash, claim, claimed_at)
       values ($1, 'batch-6', 'whatever', 'dead', now() - interval '2 minutes')`,
      [event.id],
    );
    // The dead claim had other content: once found stale and unwritten it no longer counts.
    const result = await store.append('batch-6', [event]);
    expect(result).toMatchObject({ duplicate: false, nextExpectedVersion: 1 });
  });

  it('leaves system events out of $all reads even when the server does not filter them', async () => {
    const db = await pgliteDatabase();
    const fake = new FakeKurrentDbClient({ serverFilters: false });
    const unfiltered = await KurrentDbEventStore.open({ client: fake.asClient(), checkpoints: db });
    try {
      const written: string[] = [];
      for (let i = 0; i < 7; i++) {
        const result = await unfiltered.append(`batch-u${i % 2}`, [newEvent(), newEvent()]);
        written.push(...result.positions.map(String));
        await unfiltered.setStreamMetadata(`batch-u${i % 2}`, { round: i });
      }
      const pages: string[] = [];
      for (let after = 0n; ; ) {
        const page = await unfiltered.readAll({ after, maxCount: 3 });
        if (page.length === 0) break;
        expect(page.every((e) => !e.streamId.startsWith('$') && !e.type.startsWith('$'))).toBe(
          true,
        );
        pages.push(...page.map((e) => String(e.globalPosition)));
        after = page.at(-1)!.globalPosition;
      }
      expect(pages).toEqual(written);
      expect(String(await unfiltered.headPosition())).toBe(written.at(-1));
    } finally {
      await db.close();
    }
  });

  it('refuses an append larger than the server allows, storing nothing', async () => {
    const db = await pgliteDatabase();
    const small = await KurrentDbEventStore.open({
      client: new FakeKurrentDbClient({ maxAppendSize: 1024 * 1024 }).asClient(),
      checkpoints: db,
    });
    try {
      const big = newEvent('concord.test.large.v1', { payload: 'x'.repeat(1024 * 1024) });
      await expect(small.append('batch-7', [big])).rejects.toMatchObject({
        name: 'InvalidAppendError',
      });
      expect(await small.readStream('batch-7')).toEqual([]);
      // The refused id is free again: nothing was stored under it.
      const fits = { ...big, data: { payload: 'fits' } };
      expect(await small.append('batch-7', [fits])).toMatchObject({ duplicate: false });
    } finally {
      await db.close();
    }
  });

  it('keeps the claim of an append that failed after KurrentDB stored it', async () => {
    const db = await pgliteDatabase();
    const fake = new FakeKurrentDbClient();
    const flaky = await KurrentDbEventStore.open({ client: fake.asClient(), checkpoints: db });
    try {
      const event = newEvent();
      fake.failAfterNextWrite();
      await expect(flaky.append('batch-8', [event])).rejects.toMatchObject({
        type: 'deadline-exceeded',
      });
      const [claim] = (
        await db.query<{ claim: string | null }>(
          'select claim from kurrent_event_ids where event_id = $1',
          [event.id],
        )
      ).rows;
      expect(claim?.claim).toEqual(expect.any(String));
      // Once the claim is stale, the redelivery finds the event stored and is answered as one.
      await db.query(
        `update kurrent_event_ids set claimed_at = now() - interval '2 minutes' where event_id = $1`,
        [event.id],
      );
      const again = await flaky.append('batch-8', [structuredClone(event)]);
      const [stored] = await flaky.readStream('batch-8');
      expect(again).toEqual({
        streamId: 'batch-8',
        nextExpectedVersion: 1,
        positions: [stored!.globalPosition],
        hashes: [stored!.hash],
        recordedAt: stored!.recordedAt,
        duplicate: true,
      });
      expect(await flaky.readStream('batch-8')).toHaveLength(1);
    } finally {
      await db.close();
    }
  });
});
