// Every event type a partner may send (the published catalogue less the platform's own) has an
// authorization rule and is accepted, through the real pipeline on PostgreSQL, from the party the
// quality agreement names: no published type is refused for everyone.
import { eventTypes } from '@concord/contract';
import { oosInvestigationId, platformEventTypes } from '@concord/domain';
import { PostgresEventStore } from '@concord/event-store-postgres';
import { pgDatabase } from '@concord/sql';
import { describeWithPostgres } from '@concord/test-infra/vitest';
import { afterAll, expect, it } from 'vitest';
import { partnerExchange } from './test-support/exchange.ts';
import { PAIR_A, type PartnerEvent } from './test-support/partner-feed.ts';
import { CDMO, SPONSOR } from './test-support/partner-world.ts';

describeWithPostgres('the published catalogue through ingest', (database) => {
  let store: PostgresEventStore | undefined;
  afterAll(async () => {
    await store?.close();
  });

  it('accepts every partner event type, and version, from the party the agreement names', async () => {
    store = await PostgresEventStore.open(pgDatabase({ connectionString: database().url }));
    const exchange = await partnerExchange(store);
    const { build, batch, deviation } = exchange.feed;
    const at = (minute: number) =>
      new Date(Date.parse('2026-03-02T08:00:00Z') + minute * 60_000).toISOString();
    const accepted = new Map<string, string>();
    const publish = async (events: PartnerEvent[]) => {
      const outcomes = await exchange.publish(events);
      for (const [index, outcome] of outcomes.entries())
        if (outcome.status === 'accepted')
          accepted.set(events[index]!.type, String(events[index]!.actororg));
    };

    // A whole lifecycle with an OOS result invalidated, shipped under v1; another shipped under v2.
    const first = batch(PAIR_A, 'northbridge-bio:b-cat-1');
    await publish([
      first.scheduled(at(1)),
      first.started(at(2)),
      first.held(at(3)),
      first.resumed(at(4)),
      first.completed(at(5)),
      first.reviewed(at(6)),
      first.qc(at(7), 96.4), // below the 97 % specification: an OOS investigation opens
    ]);
    await publish([
      build(CDMO, 'batch/oos-resolved.v1', 'northbridge-bio:b-cat-1', at(8), {
        investigationId: oosInvestigationId('qc-b-cat-1-014'),
        outcome: 'invalidated',
      }),
      build(CDMO, 'batch/qc-result-recorded.v1', 'northbridge-bio:b-cat-1', at(9), {
        resultId: 'qc-b-cat-1-015',
        value: 98.6,
        testedAt: at(9),
      }),
      first.coa(at(10)),
      first.disposition(at(11), 'released'),
      first.certified(at(12)),
      first.shipped(at(13)),
    ]);
    const second = batch(PAIR_A, 'northbridge-bio:b-cat-2');
    await publish([
      second.scheduled(at(1)),
      second.started(at(2)),
      second.completed(at(5)),
      second.reviewed(at(6)),
      second.qc(at(7), 98.6),
      second.coa(at(10)),
      second.disposition(at(11), 'released'),
      second.certified(at(12)),
      build(CDMO, 'batch/shipped.v2', 'northbridge-bio:b-cat-2', at(13), {
        shipmentId: 'shp-CAT-2',
        shippedAt: at(13),
        destination: { siteName: 'Helvion Therapeutics central depot Basel', country: 'CH' },
      }),
    ]);
    // Aborted, with a correction of a recorded value on the way.
    const third = batch(PAIR_A, 'northbridge-bio:b-cat-3');
    const started = third.started(at(2));
    await publish([third.scheduled(at(1)), started]);
    const correction = exchange.world.partnerEvent(
      CDMO,
      'correction/recorded.v1',
      { subject: 'northbridge-bio:b-cat-3' },
      {
        correctedEventId: started.id,
        changes: [{ path: '/startedAt', oldValue: started.data.startedAt, newValue: at(1) }],
        reason: 'The MES clock was an hour fast; start time corrected from the line logbook.',
      },
    ) as PartnerEvent;
    await publish([
      correction,
      build(CDMO, 'batch/manufacturing-aborted.v1', 'northbridge-bio:b-cat-3', at(4)),
    ]);
    // A major deviation through to its closure, approved by the sponsor.
    const major = deviation(PAIR_A, 'northbridge-bio:dev-cat-1');
    await publish([
      major.reported(at(20), 'major', ['northbridge-bio:b-cat-3'], at(19)),
      major.classified(at(21), 'major'),
      major.investigated(at(22)),
      major.rootCause(at(23)),
      major.assessed(at(24), ['northbridge-bio:b-cat-3']),
      major.capaProposed(at(25)),
      major.capaApproved(at(26)),
      major.closureApproved(at(27)),
      major.closed(at(28)),
    ]);

    const platform = new Set<string>(platformEventTypes);
    const partnerTypes = eventTypes.filter((type) => !platform.has(type));
    expect(partnerTypes.filter((type) => !accepted.has(type))).toEqual([]);
    // The sponsor approves; the CDMO does the rest (this agreement's assignments).
    expect(accepted.get('concord.deviation.capa-approved.v1')).toBe(SPONSOR);
    expect(accepted.get('concord.batch.shipped.v2')).toBe(CDMO);
  });
});
