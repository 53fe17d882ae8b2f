// The behaviour every EventStore adapter must have. Each adapter's spec calls
// `eventStoreContract(...)` inside its own describe block with a factory for a fresh store.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConcurrencyError, EventIdConflictError, InvalidAppendError } from './errors.ts';
import type { EventStore, NewEvent, RecordedEvent } from './types.ts';

export interface ContractSubject {
  store: EventStore;
  /**
   * Changes one stored field of an event behind the store's back (plain SQL, say), so the suite
   * can check that verify notices. Adapters that cannot be tampered with leave it out.
   */
  tamper?: (streamId: string, streamVersion: number) => Promise<void>;
  /** Opens a second store on the same storage (a restarted process). */
  reopen?: () => Promise<EventStore>;
  dispose(): Promise<void>;
}

const stream = (prefix = 'batch') => `${prefix}-${randomUUID()}`;

export function newEvent(type = 'concord.test.happened.v1', data: NewEvent['data'] = {}): NewEvent {
  return {
    id: randomUUID(),
    type,
    data: { note: 'a test event', ...data },
    metadata: {
      source: 'urn:concord:test',
      actorid: 'person-1',
      actororg: 'org-1',
      time: '2026-03-01T08:00:00.000Z',
      correlationid: randomUUID(),
    },
  };
}

const events = (count: number, type?: string) =>
  Array.from({ length: count }, (_, i) => newEvent(type, { index: i }));

/** Resolves once `position` is visible to readers (bounded: 30 s). */
async function visible(store: EventStore, position: bigint): Promise<void> {
  const deadline = Date.now() + 30_000;
  while ((await store.headPosition()) < position) {
    if (Date.now() > deadline) throw new Error(`position ${position} not visible within 30 s`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function readEverything(store: EventStore, after = 0n): Promise<RecordedEvent[]> {
  const all: RecordedEvent[] = [];
  for (;;) {
    const page = await store.readAll({ after, maxCount: 250 });
    if (page.length === 0) return all;
    all.push(...page);
    after = page[page.length - 1]!.globalPosition;
  }
}

/**
 * Registers the suite. Tests of a capability the adapter lacks (changing a stored event, reopening
 * its storage) are left out rather than skipped: they say nothing about such an adapter.
 */
export function eventStoreContract(
  createSubject: () => Promise<ContractSubject>,
  capabilities: {
    tamper: boolean;
    reopen: boolean;
    /** `appendMany` is one transaction: a failing call writes nothing of any stream. */
    atomicAppendMany: boolean;
  },
): void {
  let subject: ContractSubject;
  let store: EventStore;
  beforeAll(async () => {
    subject = await createSubject();
    store = subject.store;
  });
  afterAll(async () => {
    await subject?.dispose();
  });

  describe('append and read a stream', () => {
    it('stores events with versions from 1, increasing positions, and everything the caller gave', async () => {
      const id = stream();
      const written = events(3);
      const result = await store.append(id, written, { expectedVersion: 'no-stream' });
      expect(result).toMatchObject({ streamId: id, nextExpectedVersion: 3, duplicate: false });
      expect(result.positions).toHaveLength(3);
      expect(
        result.positions[0]! < result.positions[1]! && result.positions[1]! < result.positions[2]!,
      ).toBe(true);

      const read = await store.readStream(id);
      expect(read.map((e) => e.streamVersion)).toEqual([1, 2, 3]);
      expect(read.map((e) => e.id)).toEqual(written.map((e) => e.id));
      expect(read.map((e) => e.globalPosition)).toEqual(result.positions);
      expect(read[0]).toMatchObject({
        type: written[0]!.type,
        data: written[0]!.data,
        metadata: written[0]!.metadata,
      });
      expect(Date.parse(read[0]!.recordedAt)).not.toBeNaN();
      expect(read[0]!.previousHash).toBeNull();
      expect(read[1]!.previousHash).toBe(read[0]!.hash);
      expect(read[0]!.hash).toMatch(/^[0-9a-f]{64}$/);
    });

    it('reads backwards, from a version, and a limited count', async () => {
      const id = stream();
      await store.append(id, events(5));
      expect(
        (await store.readStream(id, { direction: 'backwards' })).map((e) => e.streamVersion),
      ).toEqual([5, 4, 3, 2, 1]);
      expect((await store.readStream(id, { fromVersion: 3 })).map((e) => e.streamVersion)).toEqual([
        3, 4, 5,
      ]);
      expect(
        (await store.readStream(id, { direction: 'backwards', fromVersion: 2 })).map(
          (e) => e.streamVersion,
        ),
      ).toEqual([2, 1]);
      expect(
        (await store.readStream(id, { fromVersion: 2, maxCount: 2 })).map((e) => e.streamVersion),
      ).toEqual([2, 3]);
      expect(await store.readStream(stream('missing'))).toEqual([]);
    });

    it('keeps stream metadata and reports the stream head', async () => {
      const id = stream();
      expect(await store.streamInfo(id)).toBeUndefined();
      await store.append(id, events(2));
      await store.setStreamMetadata(id, { sponsorId: 'sponsor-a', retention: { years: 15 } });
      const info = await store.streamInfo(id);
      const last = (await store.readStream(id, { direction: 'backwards', maxCount: 1 }))[0];
      expect(info).toEqual({
        streamId: id,
        version: 2,
        headHash: last!.hash,
        metadata: { sponsorId: 'sponsor-a', retention: { years: 15 } },
      });
    });

    it('refuses an empty append, duplicate ids in one append and non-object data', async () => {
      await expect(store.append(stream(), [])).rejects.toBeInstanceOf(InvalidAppendError);
      const event = newEvent();
      await expect(store.append(stream(), [event, event])).rejects.toBeInstanceOf(
        InvalidAppendError,
      );
      await expect(
        store.append(stream(), [{ ...newEvent(), data: [] as never }]),
      ).rejects.toBeInstanceOf(InvalidAppendError);
    });

    it('round-trips a large event (1 MiB of data) unchanged', async () => {
      const id = stream();
      const big = newEvent('concord.test.large.v1', {
        payload: 'x'.repeat(1024 * 1024),
        nested: { list: [1, 2.5, 'three', null, true] },
      });
      await store.append(id, [big]);
      const [read] = await store.readStream(id);
      expect(read!.data).toEqual(big.data);
      expect((await store.verify({ streamId: id })).ok).toBe(true);
    });

    it('round-trips data and metadata whatever characters their texts hold, on every stream of one call', async () => {
      // Texts that break naive quoting: of SQL, of array literals, of JSON spliced into JSON.
      const awkward = [
        '"',
        '\\',
        '\\"',
        '"]],[["',
        "'); drop table x; --",
        '{"not":"an object"}',
        'line\nbreak\ttab\r',
        '\u0001\u001f\u007f',
        // The record separator: the PostgreSQL store sends many JSON texts as one, split on it.
        'record\u001eseparator\u001e',
        '\u2028\u2029',
        'é ü ß 中文 🧪',
        '$1 ?',
        'NULL',
      ];
      const data = (n: number) => ({
        text: awkward[n % awkward.length]!,
        all: awkward,
        [awkward[(n + 3) % awkward.length]!]: { nested: [awkward[n % 5]!, 1e21, 0.1 + 0.2, null] },
        numbers: [2 ** 53 + 1, -1.5e-7, 0],
      });
      const streams = [stream(), stream(), stream()];
      const requests = streams.map((streamId, s) => ({
        streamId,
        events: [0, 1, 2, 3].map((k) => ({
          ...newEvent('concord.test.awkward.v1', data(s * 4 + k)),
          metadata: { note: awkward[(s + k) % awkward.length]!, keys: awkward },
        })),
      }));
      await store.appendMany(requests);
      // And one stream alone (a store may append one stream its own way).
      const alone = stream();
      requests.push({
        streamId: alone,
        events: [
          {
            ...newEvent('concord.test.awkward.v1', data(7)),
            metadata: { note: '\u001e', keys: awkward },
          },
        ],
      });
      await store.append(alone, requests.at(-1)!.events);
      for (const { streamId, events: written } of requests) {
        const read = await store.readStream(streamId);
        expect(read.map(({ data, metadata }) => ({ data, metadata }))).toEqual(
          written.map(({ data, metadata }) => ({ data, metadata })),
        );
        expect((await store.verify({ streamId })).ok).toBe(true);
      }
    });
  });

  describe('optimistic concurrency', () => {
    it('refuses an append whose expected version is not the stream version, with the actual version', async () => {
      const id = stream();
      await store.append(id, events(2), { expectedVersion: 'no-stream' });
      const refused = store.append(id, events(1), { expectedVersion: 1 });
      await expect(refused).rejects.toBeInstanceOf(ConcurrencyError);
      await expect(refused).rejects.toMatchObject({
        actualVersion: 2,
        expectedVersion: 1,
        retriable: true,
      });
      await expect(
        store.append(id, events(1), { expectedVersion: 'no-stream' }),
      ).rejects.toMatchObject({ actualVersion: 2 });
      await expect(
        store.append(stream(), events(1), { expectedVersion: 'stream-exists' }),
      ).rejects.toMatchObject({ actualVersion: 0 });
      await expect(
        store.append(stream(), events(1), { expectedVersion: 3 }),
      ).rejects.toBeInstanceOf(ConcurrencyError);
      const ok = await store.append(id, events(1), { expectedVersion: 2 });
      expect(ok.nextExpectedVersion).toBe(3);
      expect(
        (await store.append(id, events(1), { expectedVersion: 'stream-exists' }))
          .nextExpectedVersion,
      ).toBe(4);
    });

    it('lets exactly one of many concurrent writers at the same expected version succeed', async () => {
      const id = stream();
      await store.append(id, events(1));
      const attempts = await Promise.allSettled(
        Array.from({ length: 8 }, () => store.append(id, events(2), { expectedVersion: 1 })),
      );
      const succeeded = attempts.filter((a) => a.status === 'fulfilled');
      expect(succeeded).toHaveLength(1);
      for (const attempt of attempts) {
        if (attempt.status === 'rejected') expect(attempt.reason).toBeInstanceOf(ConcurrencyError);
      }
      expect((await store.readStream(id)).map((e) => e.streamVersion)).toEqual([1, 2, 3]);
    });

    it('never loses or duplicates events under many writers on one stream and on many streams', async () => {
      const hot = stream('hot');
      const cold = Array.from({ length: 10 }, () => stream('cold'));
      const written: string[] = [];
      const writer = async (target: string, rounds: number) => {
        for (let round = 0; round < rounds; round++) {
          const batch = events(1 + (round % 3));
          // Retry on conflict as a real command handler would: reload, decide, append.
          for (;;) {
            const version = (await store.streamInfo(target))?.version ?? 0;
            try {
              await store.append(target, batch, { expectedVersion: version });
              written.push(...batch.map((e) => e.id));
              break;
            } catch (error) {
              if (!(error instanceof ConcurrencyError)) throw error;
            }
          }
        }
      };
      const before = await store.headPosition();
      await Promise.all([
        ...Array.from({ length: 6 }, () => writer(hot, 5)),
        ...cold.map((target) => writer(target, 4)),
      ]);
      const heads = await Promise.all(
        [hot, ...cold].map(async (id) => (await store.readStream(id)).at(-1)?.globalPosition ?? 0n),
      );
      await visible(
        store,
        heads.reduce((m, p) => (p > m ? p : m), 0n),
      );
      const stored = await readEverything(store, before);
      const ours = stored.filter((e) => e.streamId === hot || cold.includes(e.streamId));
      expect(ours.map((e) => e.id).sort()).toEqual([...written].sort());
      expect(new Set(ours.map((e) => e.id)).size).toBe(ours.length);
      for (const target of [hot, ...cold]) {
        const versions = (await store.readStream(target)).map((e) => e.streamVersion);
        expect(versions).toEqual(versions.map((_, i) => i + 1));
      }
      expect((await store.verify({ streamId: hot })).ok).toBe(true);
    });
  });

  describe('idempotent append', () => {
    it('recognizes a redelivery: nothing is written and the original positions come back', async () => {
      const id = stream();
      const written = events(2);
      const first = await store.append(id, written, { expectedVersion: 'no-stream' });
      const head = await store.headPosition();
      // A redelivery carries the writer's stale expected version; it still succeeds.
      const again = await store.append(id, structuredClone(written), {
        expectedVersion: 'no-stream',
      });
      expect(again).toEqual({ ...first, duplicate: true });
      expect(await store.readStream(id)).toHaveLength(2);
      expect(await store.headPosition()).toBe(head);
    });

    it('refuses a known id with other content, in another stream, or mixed with new events', async () => {
      const id = stream();
      const [event] = events(1);
      await store.append(id, [event!]);
      await expect(
        store.append(id, [{ ...event!, data: { changed: true } }]),
      ).rejects.toBeInstanceOf(EventIdConflictError);
      await expect(store.append(stream(), [event!])).rejects.toBeInstanceOf(EventIdConflictError);
      await expect(store.append(id, [event!, newEvent()])).rejects.toBeInstanceOf(
        EventIdConflictError,
      );
      expect(await store.readStream(id)).toHaveLength(1);
    });

    it('lets concurrent redeliveries of one event store it once', async () => {
      const id = stream();
      const event = newEvent();
      const results = await Promise.all(
        Array.from({ length: 6 }, () => store.append(id, [structuredClone(event)])),
      );
      expect(new Set(results.map((r) => r.positions[0])).size).toBe(1);
      expect(results.filter((r) => !r.duplicate)).toHaveLength(1);
      expect(await store.readStream(id)).toHaveLength(1);
    });
  });

  describe('appending to many streams at once', () => {
    it('appends to new and existing streams in one call and answers in the order asked', async () => {
      const [existing, fresh, other] = [stream(), stream(), stream()];
      await store.append(existing, events(2));
      const asked = [
        { streamId: existing, events: events(2), expectedVersion: 2 },
        { streamId: fresh, events: events(1), expectedVersion: 'no-stream' as const },
        { streamId: other, events: events(3) },
      ];
      const answers = await store.appendMany(asked);
      expect(answers.map((a) => a.streamId)).toEqual([existing, fresh, other]);
      expect(answers.map((a) => a.status === 'appended' && a.nextExpectedVersion)).toEqual([
        4, 1, 3,
      ]);
      const read = await store.readStreamsFrom([
        { streamId: existing, fromVersion: 3 },
        { streamId: fresh, fromVersion: 1 },
        { streamId: other, fromVersion: 2 },
        { streamId: stream(), fromVersion: 1 },
      ]);
      expect([...read.values()].map((found) => found.length)).toEqual([2, 1, 2, 0]);
      for (const [index, answer] of answers.entries()) {
        if (answer.status !== 'appended') throw new Error(`${answer.streamId} not appended`);
        const stored = await store.readStream(answer.streamId, {
          fromVersion: answer.nextExpectedVersion - asked[index]!.events.length + 1,
        });
        // The answer states what was stored: a receipt can be made from it without reading back.
        expect(stored.map((e) => e.id)).toEqual(asked[index]!.events.map((e) => e.id));
        expect(answer.positions).toEqual(stored.map((e) => e.globalPosition));
        expect(answer.hashes).toEqual(stored.map((e) => e.hash));
        expect(answer.recordedAt).toBe(stored[0]!.recordedAt);
        expect(answer.duplicate).toBe(false);
      }
      expect((await store.verify({ streamId: existing })).ok).toBe(true);
    });

    it('answers a stream that moved as a conflict, writes the others, and goes on working', async () => {
      const [moved, fine] = [stream(), stream()];
      await store.append(moved, events(3));
      const answers = await store.appendMany([
        { streamId: moved, events: events(1), expectedVersion: 1 },
        { streamId: fine, events: events(2), expectedVersion: 'no-stream' },
      ]);
      expect(answers[0]).toEqual({ status: 'conflict', streamId: moved, actualVersion: 3 });
      expect(answers[1]).toMatchObject({ status: 'appended', nextExpectedVersion: 2 });
      expect(await store.readStream(moved)).toHaveLength(3);
      expect(await store.readStream(fine)).toHaveLength(2);
      const retried = await store.appendMany([
        { streamId: moved, events: events(1), expectedVersion: 3 },
      ]);
      expect(retried[0]).toMatchObject({ status: 'appended', nextExpectedVersion: 4 });
    });

    it('answers a redelivery with the original places, beside new streams', async () => {
      const [once, fresh] = [stream(), stream()];
      const written = events(2);
      const [first] = await store.appendMany([
        { streamId: once, events: written, expectedVersion: 'no-stream' },
      ]);
      const answers = await store.appendMany([
        { streamId: once, events: structuredClone(written), expectedVersion: 'no-stream' },
        { streamId: fresh, events: events(1), expectedVersion: 'no-stream' },
      ]);
      expect(answers[0]).toEqual({ ...first, duplicate: true });
      expect(answers[1]).toMatchObject({ status: 'appended', duplicate: false });
      // A writer that does not name a version redelivers too.
      const [loose] = await store.appendMany([
        { streamId: once, events: structuredClone(written) },
      ]);
      expect(loose).toEqual({ ...first, duplicate: true });
      expect(await store.readStream(once)).toHaveLength(2);
    });

    it('refuses a clashing id with the store error, and malformed calls before writing', async () => {
      const [owner, fresh] = [stream(), stream()];
      const [event] = events(1);
      await store.append(owner, [event!]);
      const clash = store.appendMany([
        { streamId: fresh, events: events(1) },
        { streamId: owner, events: [{ ...event!, data: { changed: true } }] },
      ]);
      await expect(clash).rejects.toBeInstanceOf(EventIdConflictError);
      if (capabilities.atomicAppendMany) expect(await store.readStream(fresh)).toHaveLength(0);
      await expect(
        store.appendMany([
          { streamId: fresh, events: events(1) },
          { streamId: fresh, events: events(1) },
        ]),
      ).rejects.toBeInstanceOf(InvalidAppendError);
      const shared = newEvent();
      await expect(
        store.appendMany([
          { streamId: stream(), events: [shared] },
          { streamId: stream(), events: [structuredClone(shared)] },
        ]),
      ).rejects.toBeInstanceOf(InvalidAppendError);
      await expect(store.appendMany([{ streamId: stream(), events: [] }])).rejects.toBeInstanceOf(
        InvalidAppendError,
      );
      expect(await store.appendMany([])).toEqual([]);
    });

    it('never loses, duplicates or deadlocks under writers of overlapping streams in any order', async () => {
      const streams = Array.from({ length: 5 }, () => stream('shared'));
      const written: string[] = [];
      const writer = async (seed: number) => {
        for (let round = 0; round < 4; round++) {
          // Each writer names the streams in its own order, and knows their versions exactly.
          const order = [...streams].sort((x, y) => (x + seed).localeCompare(y + round));
          let todo = order.map((streamId) => ({ streamId, events: events(1 + (seed % 2)) }));
          while (todo.length > 0) {
            const read = await store.readStreamsFrom(
              todo.map(({ streamId }) => ({ streamId, fromVersion: 1 })),
            );
            const answers = await store.appendMany(
              todo.map((part) => ({ ...part, expectedVersion: read.get(part.streamId)!.length })),
            );
            for (const [index, answer] of answers.entries())
              if (answer.status === 'appended')
                written.push(...todo[index]!.events.map((e) => e.id));
            todo = todo.filter((_, index) => answers[index]!.status === 'conflict');
          }
        }
      };
      await Promise.all(Array.from({ length: 6 }, (_, seed) => writer(seed)));
      const stored = await store.readStreamsFrom(
        streams.map((streamId) => ({ streamId, fromVersion: 1 })),
      );
      const ids = [...stored.values()].flat().map((e) => e.id);
      expect(ids.sort()).toEqual([...written].sort());
      for (const events of stored.values())
        expect(events.map((e) => e.streamVersion)).toEqual(events.map((_, i) => i + 1));
      const last = [...stored.values()].flat().map((e) => e.globalPosition);
      await visible(
        store,
        last.reduce((m, p) => (p > m ? p : m), 0n),
      );
      const all = await readEverything(store);
      const ours = all.filter((e) => streams.includes(e.streamId));
      expect(ours).toHaveLength(ids.length);
      expect((await store.verify('all')).ok).toBe(true);
    });
  });

  describe('global order', () => {
    it('reads all events in one increasing order, in pages, without repeats', async () => {
      const before = await store.headPosition();
      const ids = Array.from({ length: 25 }, () => stream('many'));
      const appended = await Promise.all(ids.map((id) => store.append(id, events(4))));
      // Readers see an event once every older transaction on the server has ended: on a busy
      // server (other suites' transactions) that is a moment after the appends return.
      const last = appended.flatMap((a) => a.positions).reduce((m, p) => (p > m ? p : m), 0n);
      await visible(store, last);
      const read = await readEverything(store, before);
      const ours = read.filter((e) => ids.includes(e.streamId));
      expect(ours).toHaveLength(100);
      const positions = read.map((e) => e.globalPosition);
      expect(positions).toEqual([...positions].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
      expect(new Set(positions).size).toBe(positions.length);
      for (const id of ids) {
        expect(ours.filter((e) => e.streamId === id).map((e) => e.streamVersion)).toEqual([
          1, 2, 3, 4,
        ]);
      }
      expect(await store.headPosition()).toBe(read.at(-1)!.globalPosition);
    });
  });

  describe('subscriptions', () => {
    it('delivers every event once, in order, and resumes from its checkpoint after a restart', async () => {
      const subscriber = `subscriber-${randomUUID()}`;
      const id = stream();
      const seen: RecordedEvent[] = [];
      const start = await store.headPosition();
      await store.saveCheckpoint(subscriber, start);
      await store.append(id, events(3));

      const first = store.subscribe(
        subscriber,
        async (batch) => {
          seen.push(...batch);
        },
        { pollIntervalMs: 200 },
      );
      const live = await store.append(id, events(2));
      await first.waitFor(live.positions.at(-1)!);
      await first.stop();
      expect(await store.loadCheckpoint(subscriber)).toBe(live.positions.at(-1));

      const later = await store.append(id, events(2));
      const second = store.subscribe(
        subscriber,
        async (batch) => {
          seen.push(...batch);
        },
        { pollIntervalMs: 200 },
      );
      await second.waitFor(later.positions.at(-1)!);
      await second.stop();

      const ours = seen.filter((e) => e.streamId === id);
      expect(ours.map((e) => e.streamVersion)).toEqual([1, 2, 3, 4, 5, 6, 7]);
      expect(new Set(seen.map((e) => e.id)).size).toBe(seen.length);
    });

    it('stops on a failing handler without advancing past the failed batch', async () => {
      const subscriber = `subscriber-${randomUUID()}`;
      await store.saveCheckpoint(subscriber, await store.headPosition());
      await store.append(stream(), events(1));
      const errors: unknown[] = [];
      const failing = store.subscribe(
        subscriber,
        async () => {
          throw new Error('projection bug');
        },
        { onError: (error) => errors.push(error) },
      );
      await failing.done;
      expect(errors).toHaveLength(1);
      const checkpoint = await store.loadCheckpoint(subscriber);
      const after = await store.readAll({ after: checkpoint, maxCount: 1 });
      expect(after).toHaveLength(1);
    });
  });

  describe('tamper evidence', () => {
    it('verifies an untouched stream and the whole store', async () => {
      const id = stream();
      await store.append(id, events(3));
      await store.append(id, events(2));
      expect(await store.verify({ streamId: id })).toMatchObject({
        ok: true,
        streams: 1,
        events: 5,
      });
      expect((await store.verify('all')).ok).toBe(true);
    });

    if (capabilities.tamper)
      it('names the first broken link when a stored event was changed', async () => {
        const id = stream();
        await store.append(id, events(4));
        await subject.tamper!(id, 2);
        const result = await store.verify({ streamId: id });
        expect(result.ok).toBe(false);
        if (!result.ok) expect(result.brokenLink).toMatchObject({ streamId: id, streamVersion: 2 });
        const all = await store.verify('all');
        expect(all.ok).toBe(false);
      });
  });

  if (capabilities.reopen)
    describe('restart', () => {
      it('finds everything after the store is reopened', async () => {
        const id = stream();
        await store.append(id, events(3));
        const reopened = await subject.reopen!();
        try {
          expect((await reopened.readStream(id)).map((e) => e.streamVersion)).toEqual([1, 2, 3]);
          await reopened.append(id, events(1), { expectedVersion: 3 });
          expect((await reopened.verify({ streamId: id })).ok).toBe(true);
        } finally {
          await reopened.close();
        }
      });
    });
}
