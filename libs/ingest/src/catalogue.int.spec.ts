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
    const publish = async (events: PartnerEvent[], allowRejections = false) => {
      const outcomes = await exchange.publish(events, { allowRejections });
      for (const [index, outcome] of outcomes.entries())
        if (outcome.status === 'accepted')
          accepted.set(events[index]!.type, String(events[index]!.actororg));
    };

    // Aborting and every deviation type are left to the sweep below, which so runs every time.
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
    // A correction of a recorded value (the sweep below aborts a batch of its own).
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
    await publish([correction]);
    const platform = new Set<string>(platformEventTypes);
    const partnerTypes = eventTypes.filter((type) => !platform.has(type));

    // A type the lifecycles above do not send (a new one, say): its published example, sent by
    // either party about a fresh batch or deviation at each step of the way until one accepts it
    // (a major deviation, so that the sponsor's closure approval is asked for). The lifecycle
    // decides where it fits; a type accepted nowhere stays missing below.
    for (const [index, type] of partnerTypes.filter((t) => !accepted.has(t)).entries()) {
      const [, aggregate, name] = type.split('.') as [string, string, string];
      const path = `${aggregate}/${name}.${type.split('.')[3]}`;
      const subject = `northbridge-bio:${aggregate === 'batch' ? 'b' : 'dev'}-sweep-${index}`;
      const record = batch(PAIR_A, subject);
      const report = deviation(PAIR_A, subject);
      let minute = 30;
      const next = () => at(minute++);
      const steps =
        aggregate === 'batch'
          ? [
              () => record.scheduled(next()),
              () => record.started(next()),
              () => record.completed(next()),
              () => record.reviewed(next()),
              () => record.qc(next(), 98.6),
              () => record.coa(next()),
              () => record.disposition(next(), 'released'),
              () => record.certified(next()),
              () => record.shipped(next()),
            ]
          : [
              () => report.reported(next(), 'major', ['northbridge-bio:b-cat-3'], at(29)),
              () => report.classified(next(), 'major'),
              () => report.investigated(next()),
              () => report.rootCause(next()),
              () => report.assessed(next(), ['northbridge-bio:b-cat-3']),
              () => report.capaProposed(next()),
              () => report.capaApproved(next()),
              () => report.closureApproved(next()),
            ];
      for (const step of [undefined, ...steps]) {
        if (step) await publish([step()]);
        const time = next();
        // Sent by each party that has a person in the example's role.
        const senders = [CDMO, SPONSOR].flatMap((org) => {
          try {
            return [build(org, path, subject, time)];
          } catch {
            return [];
          }
        });
        await publish(senders, true);
        if (accepted.has(type)) break;
      }
    }
    expect(partnerTypes.filter((type) => !accepted.has(type))).toEqual([]);
    // The sponsor approves; the CDMO does the rest (this agreement's assignments).
    expect(accepted.get('concord.deviation.capa-approved.v1')).toBe(SPONSOR);
    expect(accepted.get('concord.batch.shipped.v2')).toBe(CDMO);
  });
});
