import { decorateStore, InMemoryEventStore, type EventStore } from '@concord/event-store';
import { platformEventTypes } from '@concord/domain';
import { beforeEach, describe, expect, it } from 'vitest';
import { IngestPipeline, storedEventId } from './ingest-pipeline.ts';
import { inMemoryOutcomeLog } from './outcome-log.ts';
import type { Outcome } from './outcome.ts';
import {
  CDMO,
  holdResumePath,
  OTHER_SPONSOR,
  SPONSOR,
  seedPartnerWorld,
  type PartnerWorld,
} from './test-support/partner-world.ts';

const rejectionOf = (outcome: Outcome) => {
  if (outcome.status !== 'rejected')
    throw new Error(`expected a rejection, got ${JSON.stringify(outcome)}`);
  return outcome.rejection;
};

describe('IngestPipeline', () => {
  let store: InMemoryEventStore;
  let world: PartnerWorld;
  let pipeline: IngestPipeline;
  beforeEach(async () => {
    store = new InMemoryEventStore();
    world = await seedPartnerWorld(store);
    pipeline = new IngestPipeline({
      store,
      outcomes: inMemoryOutcomeLog(),
      clock: () => new Date('2026-06-02T08:16:00.000Z'),
    });
  });

  const schedule = () => world.partnerEvent(CDMO, 'batch/scheduled.v1');

  it('records a signed partner event in its batch stream with the partner envelope', async () => {
    const event = schedule();
    const outcome = await pipeline.ingest(world.incoming(event));
    expect(outcome).toMatchObject({
      status: 'accepted',
      id: event.id,
      streamId: `batch-${event.subject}`,
      duplicate: false,
      recordedTypes: ['concord.batch.scheduled.v1'],
    });
    const [stored] = await store.readStream(`batch-${event.subject}`);
    expect(stored!.id).toBe(storedEventId(String(event.source), String(event.id)));
    expect(stored!.metadata).toMatchObject({
      actororg: CDMO,
      actorid: event.actorid,
      signature: event.signature,
    });
    expect((stored!.metadata.envelope as Record<string, unknown>).signature).toBe(event.signature);
  });

  it('answers a redelivery with the original positions and records nothing twice', async () => {
    const event = schedule();
    const first = await pipeline.ingest(world.incoming(event));
    const started = world.partnerEvent(CDMO, 'batch/manufacturing-started.v1');
    await pipeline.ingest(world.incoming(started));
    // Redelivered after the batch moved on: deciding again would refuse it, but it was accepted.
    const again = await pipeline.ingest(world.incoming(structuredClone(event)));
    expect(again).toMatchObject({ status: 'accepted', duplicate: true });
    if (first.status === 'accepted' && again.status === 'accepted')
      expect(again.positions).toEqual(first.positions);
    expect(await store.readStream(`batch-${event.subject}`)).toHaveLength(2);
  });

  describe('a batch over many streams', () => {
    const step = (batchId: string, n: number) =>
      world.incoming(
        world.partnerEvent(CDMO, holdResumePath(n), { subject: batchId }, { batchId }),
      );
    const batchIds = Array.from({ length: 10 }, (_, k) => `${CDMO}:b-many-${k}`);

    /** The store, counting the calls that touch batch streams. */
    function counting(target: EventStore, beforeAppendMany?: () => Promise<unknown>) {
      const calls = { readStream: 0, readStreamsFrom: 0, append: 0, appendMany: 0 };
      const onBatch = (streamId: string) => streamId.startsWith('batch-');
      const counted = decorateStore(target, {
        readStream: (streamId, options) => {
          if (onBatch(streamId)) calls.readStream++;
          return target.readStream(streamId, options);
        },
        readStreamsFrom: (requests) => {
          // The registry catches organizations and agreements up the same way: not counted.
          if (requests.some((request) => onBatch(request.streamId))) calls.readStreamsFrom++;
          return target.readStreamsFrom(requests);
        },
        append: (streamId, events, options) => {
          if (onBatch(streamId)) calls.append++;
          return target.append(streamId, events, options);
        },
        appendMany: async (requests) => {
          calls.appendMany++;
          await beforeAppendMany?.();
          return target.appendMany(requests);
        },
      });
      return { counted, calls };
    }

    it('catches every stream up in one read and appends them all in one call', async () => {
      const { counted, calls } = counting(store);
      const counter = new IngestPipeline({ store: counted, outcomes: inMemoryOutcomeLog() });
      const items = [0, 1, 2].flatMap((n) => batchIds.map((batchId) => step(batchId, n)));
      const outcomes = await counter.ingestMany(items);
      expect(outcomes.map((outcome) => outcome.status)).toEqual(items.map(() => 'accepted'));
      expect(calls).toEqual({ readStream: 0, readStreamsFrom: 1, append: 0, appendMany: 1 });
      for (const batchId of batchIds) {
        const stored = await store.readStream(`batch-${batchId}`);
        expect(stored.map((event) => event.type)).toEqual([
          'concord.batch.scheduled.v1',
          'concord.batch.manufacturing-started.v1',
          'concord.batch.manufacturing-held.v1',
        ]);
      }
    });

    it('reads the facts its events need side by side, not one event after another', async () => {
      await pipeline.ingestMany(batchIds.map((batchId) => step(batchId, 0)));
      // Each read of a batch stream (who the batch belongs to) yields once before answering, so
      // that reads started together are seen together; count how many are in flight at once.
      let inFlight = 0;
      let most = 0;
      const slow = decorateStore(store, {
        readStream: async (streamId, options) => {
          if (!streamId.startsWith('batch-')) return store.readStream(streamId, options);
          most = Math.max(most, ++inFlight);
          await new Promise((resolve) => setImmediate(resolve));
          inFlight -= 1;
          return store.readStream(streamId, options);
        },
      });
      const fresh = new IngestPipeline({ store: slow, outcomes: inMemoryOutcomeLog() });
      const outcomes = await fresh.ingestMany(batchIds.map((batchId) => step(batchId, 1)));
      expect(outcomes.map((outcome) => outcome.status)).toEqual(batchIds.map(() => 'accepted'));
      expect(most).toBe(batchIds.length);
    });

    it('reads who a batch belongs to once, not in every call: its first event never changes', async () => {
      await pipeline.ingestMany(batchIds.map((batchId) => step(batchId, 0)));
      const { counted, calls } = counting(store);
      const fresh = new IngestPipeline({ store: counted, outcomes: inMemoryOutcomeLog() });
      // The first call learns each batch's parties from its stream (the states are caught up in
      // one read of their own); later calls ask the store nothing more about them.
      const first = await fresh.ingestMany(batchIds.map((batchId) => step(batchId, 1)));
      expect(first.map((outcome) => outcome.status)).toEqual(batchIds.map(() => 'accepted'));
      expect(calls.readStream).toBe(batchIds.length);
      for (const n of [2, 3]) {
        const later = await fresh.ingestMany(batchIds.map((batchId) => step(batchId, n)));
        expect(later.map((outcome) => outcome.status)).toEqual(batchIds.map(() => 'accepted'));
      }
      expect(calls.readStream).toBe(batchIds.length);
      // A batch nobody scheduled is not remembered as missing: once scheduled, it is found.
      const late = `${CDMO}:b-many-late`;
      const [early] = await fresh.ingestMany([step(late, 1)]);
      expect(early!.status).toBe('rejected');
      await pipeline.ingestMany([step(late, 0)]);
      const [now] = await fresh.ingestMany([step(late, 1)]);
      expect(now!.status).toBe('accepted');
    });

    it('decides the streams it holds the state of without reading them again', async () => {
      const { counted, calls } = counting(store);
      const counter = new IngestPipeline({ store: counted, outcomes: inMemoryOutcomeLog() });
      await counter.ingestMany(batchIds.map((batchId) => step(batchId, 0)));
      expect(calls).toMatchObject({ readStreamsFrom: 1, appendMany: 1 });
      // Each batch's state was cached as it was appended: the append's expected version checks it.
      const outcomes = await counter.ingestMany(batchIds.map((batchId) => step(batchId, 1)));
      expect(outcomes.map((outcome) => outcome.status)).toEqual(batchIds.map(() => 'accepted'));
      expect(calls).toMatchObject({ readStreamsFrom: 1, appendMany: 2 });
    });

    it('reads a cached stream before refusing on its state, and decides on what it finds', async () => {
      const { counted, calls } = counting(store);
      const mine = new IngestPipeline({ store: counted, outcomes: inMemoryOutcomeLog() });
      await mine.ingestMany(batchIds.map((batchId) => step(batchId, 0)));
      // Another instance starts the first batch; this one still holds it as scheduled.
      const other = new IngestPipeline({ store, outcomes: inMemoryOutcomeLog() });
      expect((await other.ingest(step(batchIds[0]!, 1))).status).toBe('accepted');
      const before = { ...calls };
      // A hold is refused on a scheduled batch, accepted on a started one.
      const [held, scheduledAgain] = await mine.ingestMany([
        step(batchIds[0]!, 2),
        world.incoming(
          world.partnerEvent(
            CDMO,
            'batch/scheduled.v1',
            { subject: batchIds[1] },
            {
              batchId: batchIds[1],
            },
          ),
        ),
      ]);
      expect(held!.status).toBe('accepted');
      // A refusal the stream's own state confirms is answered as such, once read to be sure.
      expect(rejectionOf(scheduledAgain!).code).toBe('batch.already-scheduled');
      expect(calls.readStream).toBeGreaterThan(before.readStream);
      expect((await store.readStream(`batch-${batchIds[0]}`)).map((e) => e.type)).toEqual([
        'concord.batch.scheduled.v1',
        'concord.batch.manufacturing-started.v1',
        'concord.batch.manufacturing-held.v1',
      ]);
    });

    it('decides a stream that another instance moved again on its own, and the rest at once', async () => {
      const other = new IngestPipeline({ store, outcomes: inMemoryOutcomeLog() });
      await other.ingestMany(batchIds.map((batchId) => step(batchId, 0)));
      // Between this instance's read and its append, the other one starts the first batch.
      let raced = false;
      const { counted, calls } = counting(store, async () => {
        if (!raced) await other.ingest(step(batchIds[0]!, 1));
        raced = true;
      });
      const mine = new IngestPipeline({ store: counted, outcomes: inMemoryOutcomeLog() });
      const outcomes = await mine.ingestMany([
        ...batchIds.map((batchId) => step(batchId, 1)),
        step(batchIds[0]!, 2),
      ]);
      // The first batch's own start is refused against the fresh state (it was already started),
      // the hold after it is accepted; every other batch starts.
      expect(outcomes.map((outcome) => outcome.status)).toEqual([
        'rejected',
        ...batchIds.slice(1).map(() => 'accepted'),
        'accepted',
      ]);
      expect(calls).toMatchObject({ appendMany: 1, append: 1 });
      expect((await store.readStream(`batch-${batchIds[0]}`)).map((e) => e.type)).toEqual([
        'concord.batch.scheduled.v1',
        'concord.batch.manufacturing-started.v1',
        'concord.batch.manufacturing-held.v1',
      ]);
      expect((await store.verify('all')).ok).toBe(true);
    });
  });

  it('rejects invalid data with the path of the offending field', async () => {
    const event = world.partnerEvent(
      CDMO,
      'batch/scheduled.v1',
      {},
      { plannedQuantity: { value: 'many', unit: 'vials' } },
    );
    const rejection = rejectionOf(await pipeline.ingest(world.incoming(event)));
    expect(rejection).toMatchObject({
      code: 'event.invalid-data',
      path: '/data/plannedQuantity/value',
    });
    expect(rejection.message).toMatch(/plannedQuantity/);
  });

  it('rejects text holding a lone surrogate, beside an event that goes through, the same each time', async () => {
    // A JSON escape such as "\ud800" alone parses to text no canonical form or jsonb can hold.
    const signed = world.partnerEvent(CDMO, 'batch/scheduled.v1');
    const lone = { ...signed, data: { ...(signed.data as object), batchNumber: 'HLV-\ud800' } };
    const fine = world.partnerEvent(CDMO, 'batch/scheduled.v1');
    const [first, other] = await pipeline.ingestMany([world.incoming(lone), world.incoming(fine)]);
    expect(rejectionOf(first!)).toMatchObject({
      code: 'event.invalid-data',
      path: '/data/batchNumber',
    });
    expect(other!.status).toBe('accepted');
    const [again] = await pipeline.ingestMany([world.incoming(lone)]);
    expect(rejectionOf(again!)).toEqual(rejectionOf(first!));
    // In the id the rejection names the event by: it is refused without being repeated back.
    const loneId = { ...world.partnerEvent(CDMO, 'batch/scheduled.v1'), id: 'ev-\udc00' };
    const [byId] = await pipeline.ingestMany([world.incoming(loneId)]);
    expect(rejectionOf(byId!)).toMatchObject({ code: 'event.invalid-envelope', path: '/id' });
    expect(rejectionOf(byId!).rejectedEventId).toBe('');
  });

  it('rejects an unknown event type', async () => {
    const event = world.partnerEvent(CDMO, 'batch/scheduled.v1', {
      type: 'concord.batch.teleported.v1',
    });
    expect(rejectionOf(await pipeline.ingest(world.incoming(event))).code).toBe(
      'event.unknown-type',
    );
  });

  it('rejects a source that belongs to another organization', async () => {
    const event = world.partnerEvent(CDMO, 'batch/scheduled.v1', {
      source: `urn:concord:${SPONSOR}:mes`,
    });
    expect(rejectionOf(await pipeline.ingest(world.incoming(event, CDMO)))).toMatchObject({
      code: 'sender.forged-source',
      path: '/source',
    });
  });

  it('rejects an event claiming another organization than its channel', async () => {
    const event = world.partnerEvent(CDMO, 'batch/scheduled.v1');
    const rejection = rejectionOf(
      await pipeline.ingest(
        world.incoming({ ...event, source: `urn:concord:${OTHER_SPONSOR}:x` }, OTHER_SPONSOR),
      ),
    );
    expect(rejection.code).toBe('sender.organization-mismatch');
  });

  it('rejects a signature by a key the sender does not own, and a tampered event', async () => {
    const signedBySponsor = world.partnerEvent(SPONSOR, 'batch/scheduled.v1', {
      source: `urn:concord:${CDMO}:mes`,
    });
    expect(rejectionOf(await pipeline.ingest(world.incoming(signedBySponsor, CDMO))).code).toBe(
      'sender.unknown-signing-key',
    );

    const tampered = schedule() as { data: Record<string, unknown> };
    tampered.data.site = 'Somewhere else entirely';
    expect(rejectionOf(await pipeline.ingest(world.incoming(tampered))).code).toBe(
      'sender.invalid-signature',
    );

    const { signature: _s, signaturekeyid: _k, ...unsigned } = schedule();
    expect(rejectionOf(await pipeline.ingest(world.incoming(unsigned))).code).toBe(
      'sender.unsigned',
    );
  });

  it('rejects a person who holds no role at the sender', async () => {
    const event = world.partnerEvent(CDMO, 'batch/scheduled.v1', { actorid: 'nb-p-9999' });
    expect(rejectionOf(await pipeline.ingest(world.incoming(event))).code).toBe(
      'sender.unknown-person',
    );
  });

  it('passes the domain’s refusals on with their codes', async () => {
    const started = world.partnerEvent(CDMO, 'batch/manufacturing-started.v1');
    expect(rejectionOf(await pipeline.ingest(world.incoming(started))).code).toBe(
      'subject.unknown',
    );

    await pipeline.ingest(world.incoming(schedule()));
    const shippedTooEarly = world.partnerEvent(CDMO, 'batch/shipped.v1');
    const rejection = rejectionOf(await pipeline.ingest(world.incoming(shippedTooEarly)));
    expect(rejection.code).toMatch(/^batch\./);
    expect(rejection.rejectedEventId).toBe(shippedTooEarly.id);
  });

  it('refuses a sponsor scheduling a batch, which the agreement assigns to the CDMO', async () => {
    const batchId = `${SPONSOR}:b-htx-0001`;
    const event = world.partnerEvent(
      SPONSOR,
      'batch/scheduled.v1',
      {
        source: `urn:concord:${SPONSOR}:erp`,
        subject: batchId,
        actororg: SPONSOR,
        actorid: 'htx-p-0021',
        actorrole: 'qa',
      },
      { batchId },
    );
    expect(rejectionOf(await pipeline.ingest(world.incoming(event))).code).toMatch(
      /^authorization\./,
    );
  });

  it('refuses partner events that only the platform may emit', async () => {
    const event = world.partnerEvent(CDMO, 'organization/role-granted.v1', {
      source: `urn:concord:${CDMO}:qms`,
      actororg: CDMO,
      actorid: 'nb-p-0147',
    });
    expect(rejectionOf(await pipeline.ingest(world.incoming(event))).code).toBe(
      'routing.platform-only',
    );
  });

  it('refuses every type only the platform records, whoever sends it, and records none of them', async () => {
    // The batch and the deviation the examples are about exist, so a refusal is about the type.
    const reported = world.partnerEvent(CDMO, 'deviation/reported.v1') as {
      data: { deviationId: string };
    };
    for (const event of [world.partnerEvent(CDMO, 'batch/scheduled.v1'), reported])
      expect((await pipeline.ingest(world.incoming(event))).status).toBe('accepted');
    const sent: string[] = [];
    for (const type of platformEventTypes) {
      const [, aggregate, name, version] = type.split('.') as [string, string, string, string];
      // A deviation's platform types about the reported deviation (some examples name another).
      const about = aggregate === 'deviation' ? { subject: reported.data.deviationId } : {};
      const event = world.partnerEvent(
        CDMO,
        `${aggregate}/${name}.${version}`,
        { source: `urn:concord:${CDMO}:qms`, actororg: CDMO, actorid: 'nb-p-0147', ...about },
        aggregate === 'deviation' ? { deviationId: reported.data.deviationId } : {},
      );
      sent.push(storedEventId(String(event.source), String(event.id)));
      const outcome = await pipeline.ingest(world.incoming(event));
      expect(outcome.status, type).toBe('rejected');
      expect(rejectionOf(outcome).code, type).toMatch(/^(routing|authorization)\.platform-only$/);
    }
    const stored = new Set((await store.readAll()).map((recorded) => recorded.id));
    expect(sent.filter((id) => stored.has(id))).toEqual([]);
  });
});

describe('IngestPipeline in batches', () => {
  it('decides a stream’s events in order within one batch, including a repeat and a refusal', async () => {
    const store = new InMemoryEventStore();
    const world = await seedPartnerWorld(store);
    const pipeline = new IngestPipeline({ store, outcomes: inMemoryOutcomeLog() });
    const scheduled = world.partnerEvent(CDMO, 'batch/scheduled.v1');
    const started = world.partnerEvent(CDMO, 'batch/manufacturing-started.v1');
    const shipped = world.partnerEvent(CDMO, 'batch/shipped.v1');
    const held = world.partnerEvent(CDMO, 'batch/manufacturing-held.v1');
    const outcomes = await pipeline.ingestMany(
      [scheduled, started, structuredClone(started), shipped, held].map((event) =>
        world.incoming(event),
      ),
    );
    expect(
      outcomes.map((o) =>
        o.status === 'accepted' ? (o.duplicate ? 'duplicate' : 'accepted') : o.rejection.code,
      ),
    ).toEqual(['accepted', 'accepted', 'duplicate', expect.stringMatching(/^batch\./), 'accepted']);
    expect((await store.readStream(`batch-${scheduled.subject}`)).map((e) => e.type)).toEqual([
      'concord.batch.scheduled.v1',
      'concord.batch.manufacturing-started.v1',
      'concord.batch.manufacturing-held.v1',
    ]);
    const [, second, third] = outcomes;
    if (second?.status === 'accepted' && third?.status === 'accepted')
      expect(third.positions).toEqual(second.positions);
  });
});

describe('IngestPipeline instances sharing one store', () => {
  it('see each other’s events: a cached stream state catches up before deciding', async () => {
    const store = new InMemoryEventStore();
    const world = await seedPartnerWorld(store);
    const first = new IngestPipeline({ store, outcomes: inMemoryOutcomeLog() });
    const second = new IngestPipeline({ store, outcomes: inMemoryOutcomeLog() });
    const scheduled = world.partnerEvent(CDMO, 'batch/scheduled.v1');
    expect((await first.ingest(world.incoming(scheduled))).status).toBe('accepted');
    expect(
      (
        await second.ingest(
          world.incoming(world.partnerEvent(CDMO, 'batch/manufacturing-started.v1')),
        )
      ).status,
    ).toBe('accepted');
    // The first instance cached the batch as scheduled; it must know manufacturing has started.
    const held = await first.ingest(
      world.incoming(world.partnerEvent(CDMO, 'batch/manufacturing-held.v1')),
    );
    expect(held.status).toBe('accepted');
    const again = await first.ingest(world.incoming(structuredClone(scheduled)));
    expect(again).toMatchObject({ status: 'accepted', duplicate: true });
    expect(await store.readStream(`batch-${scheduled.subject}`)).toHaveLength(3);
  });
});

describe('IngestPipeline corrections', () => {
  it('lets a partner correct its own event by the id it sent, keeping the signed data as sent', async () => {
    const store = new InMemoryEventStore();
    const world = await seedPartnerWorld(store);
    const pipeline = new IngestPipeline({ store, outcomes: inMemoryOutcomeLog() });
    const send = (event: Record<string, unknown>) => pipeline.ingest(world.incoming(event));
    await send(world.partnerEvent(CDMO, 'batch/scheduled.v1'));
    await send(world.partnerEvent(CDMO, 'batch/manufacturing-started.v1'));
    const completed = world.partnerEvent(CDMO, 'batch/manufacturing-completed.v1');
    await send(completed);

    const correction = world.partnerEvent(
      CDMO,
      'correction/recorded.v1',
      { source: completed.source },
      {
        correctedEventId: completed.id,
      },
    );
    expect(await send(correction)).toMatchObject({ status: 'accepted' });
    const unknown = world.partnerEvent(
      CDMO,
      'correction/recorded.v1',
      {},
      { correctedEventId: 'no-such-event' },
    );
    expect(rejectionOf(await send(unknown)).code).toBe('correction.unknown-event');

    const stored = (await store.readStream(`batch-${completed.subject}`)).at(-1)!;
    expect(stored.type).toBe('concord.correction.recorded.v1');
    expect(stored.data.correctedEventId).toBe(completed.id);
    expect(stored.metadata.correctedStoredEventId).toBe(
      storedEventId(String(completed.source), String(completed.id)),
    );
    // A later event on the same stream is decided against the state rebuilt from the store.
    const reviewed = await new IngestPipeline({ store, outcomes: inMemoryOutcomeLog() }).ingest(
      world.incoming(world.partnerEvent(CDMO, 'batch/record-reviewed.v1')),
    );
    expect(reviewed.status).toBe('accepted');
  });
});
