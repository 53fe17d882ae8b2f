// The trust boundary through the real pipeline on PostgreSQL: what a partner sends is a claim,
// checked against what the platform knows, with the same rules the domain applies on every path.
import { evolveBatch, initialBatchState, type BatchEvent } from '@concord/domain';
import { PostgresEventStore } from '@concord/event-store-postgres';
import { pgDatabase } from '@concord/sql';
import { describeWithPostgres } from '@concord/test-infra/vitest';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Outcome } from './outcome.ts';
import { partnerExchange, type PartnerExchange } from './test-support/exchange.ts';
import { PAIR_A, type PartnerEvent } from './test-support/partner-feed.ts';
import { CDMO } from './test-support/partner-world.ts';

const codeOf = (outcome: Outcome) =>
  outcome.status === 'accepted'
    ? outcome.duplicate
      ? 'duplicate'
      : 'accepted'
    : outcome.rejection.code;

const at = (minute: number) =>
  new Date(Date.parse('2026-03-02T08:00:00Z') + minute * 60_000).toISOString();

describeWithPostgres('the trust boundary at ingest', (database) => {
  let store: PostgresEventStore;
  let exchange: PartnerExchange;
  beforeAll(async () => {
    store = await PostgresEventStore.open(pgDatabase({ connectionString: database().url }));
    exchange = await partnerExchange(store, { secondPair: true });
  });
  afterAll(async () => {
    await store?.close();
  });
  const send = async (events: PartnerEvent[]) =>
    (await exchange.publish(events, { allowRejections: true })).map(codeOf);
  /** A correction from the system that sent the corrected event (ids are unique per source). */
  const correction = (
    corrected: PartnerEvent,
    changes: { path: string; oldValue: unknown; newValue: unknown }[],
  ) =>
    exchange.world.partnerEvent(
      CDMO,
      'correction/recorded.v1',
      { subject: corrected.subject, source: corrected.source, time: at(30) },
      {
        correctedEventId: corrected.id,
        changes,
        reason: 'Transcription error found at batch record review.',
      },
    ) as PartnerEvent;

  it('lets a correction restate a recorded value truly, never change a signed decision', async () => {
    const { batch } = exchange.feed;
    const steps = batch(PAIR_A, 'b-tb-corr');
    const completed = steps.completed(at(3));
    const disposition = steps.disposition(at(9), 'rejected');
    expect(
      await send([
        steps.scheduled(at(1)),
        steps.started(at(2)),
        completed,
        steps.reviewed(at(4)),
        steps.qc(at(5), 98.6),
        steps.coa(at(6)),
        disposition,
      ]),
    ).toEqual(Array(7).fill('accepted'));

    const quantity = (completed.data.actualQuantity as { value: number }).value;
    const signature = disposition.data.signature as { printedName: string };
    const refusals = [
      correction(disposition, [{ path: '/decision', oldValue: 'rejected', newValue: 'released' }]),
      correction(disposition, [
        { path: '/signature/printedName', oldValue: signature.printedName, newValue: 'QA' },
      ]),
      correction(completed, [
        { path: '/actualQuantity/value', oldValue: quantity + 1, newValue: quantity - 3 },
      ]),
    ];
    const expected = [
      'correction.field-not-correctable',
      'correction.field-not-correctable',
      'correction.old-value-mismatch',
    ];
    expect(await send(refusals)).toEqual(expected);
    // Redelivered, the same answers; nothing was stored.
    expect(await send(refusals.map((event) => structuredClone(event)))).toEqual(expected);

    const truthful = correction(completed, [
      { path: '/actualQuantity/value', oldValue: quantity, newValue: quantity - 3 },
    ]);
    // After it, the record holds the corrected value: stating the first one again is false.
    const stale = correction(completed, [
      { path: '/actualQuantity/value', oldValue: quantity, newValue: quantity - 4 },
    ]);
    expect(await send([truthful, stale])).toEqual(['accepted', 'correction.old-value-mismatch']);

    const recorded = await store.readStream('batch-b-tb-corr');
    expect(
      recorded.filter((event) => event.type === 'concord.correction.recorded.v1'),
    ).toHaveLength(1);
    const state = recorded.reduce(
      (folded, event) =>
        evolveBatch(folded, {
          type: event.type,
          data: event.data,
          metadata: { ...event.metadata, id: event.id },
        } as unknown as BatchEvent),
      initialBatchState(),
    );
    expect(state).toMatchObject({ status: 'dispositioned', decision: 'rejected' });
  });
});
