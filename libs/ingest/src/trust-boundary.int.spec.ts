// The trust boundary through the real pipeline on PostgreSQL: what a partner sends is a claim,
// checked against what the platform knows, with the same rules the domain applies on every path.
import { streams } from '@concord/domain';
import { PostgresEventStore } from '@concord/event-store-postgres';
import { pgDatabase } from '@concord/sql';
import { describeWithPostgres } from '@concord/test-infra/vitest';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Outcome } from './outcome.ts';
import { batchStateOf, partnerExchange, type PartnerExchange } from './test-support/exchange.ts';
import { PAIR_A, PAIR_B, type PartnerEvent } from './test-support/partner-feed.ts';
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
    const steps = batch(PAIR_A, 'northbridge-bio:b-tb-corr');
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

    const recorded = await store.readStream('batch-northbridge-bio:b-tb-corr');
    expect(
      recorded.filter((event) => event.type === 'concord.correction.recorded.v1'),
    ).toHaveLength(1);
    const state = batchStateOf(recorded);
    expect(state).toMatchObject({ status: 'dispositioned', decision: 'rejected' });
  });

  it('takes who acted from the registry: the role must be held, the printed name registered', async () => {
    const { batch, build } = exchange.feed;
    const steps = batch(PAIR_A, 'northbridge-bio:b-tb-actor');
    await send([steps.scheduled(at(1))]);
    // The production operator (nb-p-0212) says they act as the QP.
    const claimsQp = build(
      CDMO,
      'batch/manufacturing-started.v1',
      'northbridge-bio:b-tb-actor',
      at(2),
      {
        startedAt: at(2),
      },
    );
    const forged = exchange.world.partnerEvent(
      CDMO,
      'batch/manufacturing-started.v1',
      {
        subject: 'northbridge-bio:b-tb-actor',
        time: at(2),
        actorid: claimsQp.actorid,
        actorrole: 'qp',
      },
      { batchId: 'northbridge-bio:b-tb-actor', startedAt: at(2) },
    ) as PartnerEvent;
    expect(await send([forged])).toEqual(['actor.role-not-held']);
    expect(await send([claimsQp])).toEqual(['accepted']);
    const [started] = await store.readStream('batch-northbridge-bio:b-tb-actor', {
      fromVersion: 2,
    });
    expect(started?.metadata.actorrole).toBe('production');

    await send([
      steps.completed(at(3)),
      steps.reviewed(at(4)),
      steps.qc(at(5), 98.6),
      steps.coa(at(6)),
      steps.disposition(at(7), 'released'),
    ]);
    // The QP's system signs with a name that is not the one registered for the QP.
    const certified = steps.certified(at(8));
    const misnamed = build(
      PAIR_A.certifier,
      'batch/qp-certified.v1',
      'northbridge-bio:b-tb-actor',
      at(8),
      {
        ...certified.data,
        signature: { ...(certified.data.signature as object), printedName: 'Dr. Declan Ryan' },
      },
      { role: 'qp' },
    );
    expect(await send([misnamed])).toEqual(['signature.printed-name-mismatch']);
    expect(await send([certified])).toEqual(['accepted']);
  });

  it("answers another partnership's batch or deviation exactly like one that does not exist", async () => {
    const { batch, deviation, build } = exchange.feed;
    const theirs = batch(PAIR_A, 'northbridge-bio:b-tb-theirs');
    await send([theirs.scheduled(at(1)), theirs.started(at(2))]);
    await send([
      deviation(PAIR_A, 'northbridge-bio:dev-tb-theirs').reported(
        at(3),
        'minor',
        ['northbridge-bio:b-tb-theirs'],
        at(2),
      ),
    ]);

    const batchPaths = [
      'batch/manufacturing-started.v1',
      'batch/manufacturing-held.v1',
      'batch/manufacturing-completed.v1',
      'batch/record-reviewed.v1',
      'batch/qc-result-recorded.v1',
      'batch/coa-issued.v1',
      'batch/disposition-recorded.v1',
      'batch/qp-certified.v1',
      'batch/shipped.v1',
      'batch/shipped.v2',
    ];
    const deviationPaths = [
      'deviation/classified.v1',
      'deviation/investigation-updated.v1',
      'deviation/capa-proposed.v1',
      'deviation/capa-approved.v1',
      'deviation/closed.v1',
    ];
    const rejectionOf = async (event: PartnerEvent, subject: string) => {
      const [outcome] = await exchange.publish([event], { allowRejections: true });
      if (outcome?.status !== 'rejected') return outcome?.status;
      const { code, message, path } = outcome.rejection;
      return { code, message: message.replaceAll(subject, '<subject>'), path };
    };
    // From the other partnership, and from a sender that is party to nothing at all.
    for (const sender of [PAIR_B.cdmo, PAIR_B.sponsor]) {
      for (const path of [...batchPaths, ...deviationPaths]) {
        const [existing, missing] = path.startsWith('batch/')
          ? ['northbridge-bio:b-tb-theirs', 'northbridge-bio:b-tb-nowhere']
          : ['northbridge-bio:dev-tb-theirs', 'northbridge-bio:dev-tb-nowhere'];
        // Everyone acts as QA here, a role both senders' people hold.
        const as = { role: 'qa' };
        const foreign = await rejectionOf(build(sender, path, existing, at(10), {}, as), existing);
        const unknown = await rejectionOf(build(sender, path, missing, at(10), {}, as), missing);
        expect(foreign, `${sender} ${path}`).toEqual(unknown);
        expect(foreign).toMatchObject({ code: 'subject.unknown' });
      }
      const correctionOf = (subject: string) =>
        exchange.world.partnerEvent(
          sender,
          'correction/recorded.v1',
          { subject, time: at(10) },
          { correctedEventId: 'whatever' },
        ) as PartnerEvent;
      expect(
        await rejectionOf(
          correctionOf('northbridge-bio:b-tb-theirs'),
          'northbridge-bio:b-tb-theirs',
        ),
      ).toEqual(
        await rejectionOf(
          correctionOf('northbridge-bio:b-tb-nowhere'),
          'northbridge-bio:b-tb-nowhere',
        ),
      );
      expect(
        await rejectionOf(
          correctionOf('northbridge-bio:dev-tb-theirs'),
          'northbridge-bio:dev-tb-theirs',
        ),
      ).toEqual(
        await rejectionOf(
          correctionOf('northbridge-bio:b-tb-nowhere'),
          'northbridge-bio:b-tb-nowhere',
        ),
      );
    }

    // A deviation of the other partnership naming this batch as affected.
    const linking = (linked: string) =>
      deviation(PAIR_B, `${PAIR_B.cdmo}:dev-tb-link-${linked.split(':')[1]}`).reported(
        at(11),
        'minor',
        [linked],
        at(10),
      );
    const foreignLink = await rejectionOf(
      linking('northbridge-bio:b-tb-theirs'),
      'northbridge-bio:b-tb-theirs',
    );
    const unknownLink = await rejectionOf(
      linking('northbridge-bio:b-tb-nowhere'),
      'northbridge-bio:b-tb-nowhere',
    );
    expect(foreignLink).toEqual(unknownLink);
    expect(foreignLink).toMatchObject({ code: 'deviation.unknown-batch' });
  });

  it("cannot probe or take another partnership's ids: a new id is in its creator's namespace", async () => {
    const { batch, deviation } = exchange.feed;
    const taken = `${CDMO}:b-tb-taken`;
    await send([batch(PAIR_A, taken).scheduled(at(1))]);
    await send([
      deviation(PAIR_A, `${CDMO}:dev-tb-taken`).reported(at(3), 'minor', [taken], at(2)),
    ]);
    const answer = async (event: PartnerEvent) => {
      const [outcome] = await exchange.publish([event], { allowRejections: true });
      if (outcome?.status !== 'rejected') return outcome?.status;
      const { code, message, path } = outcome.rejection;
      return { code, message: message.replaceAll(event.subject, '<id>'), path };
    };

    // Caldera's own batch, under its own name: the same reference as Northbridge's, no collision.
    const theirOwn = `${PAIR_B.cdmo}:b-tb-taken`;
    expect(await send([batch(PAIR_B, theirOwn).scheduled(at(4))])).toEqual(['accepted']);

    // Caldera naming a new record in Northbridge's namespace, or in none: one answer, whether
    // or not Northbridge has a record with that id.
    const scheduling = (batchId: string) => answer(batch(PAIR_B, batchId).scheduled(at(5)));
    const reporting = (deviationId: string) =>
      answer(deviation(PAIR_B, deviationId).reported(at(6), 'minor', [theirOwn], at(5)));
    const outside = await scheduling(taken);
    expect(outside).toMatchObject({ code: 'id.outside-namespace' });
    expect(await scheduling(`${CDMO}:b-tb-free`)).toEqual(outside);
    expect(await scheduling('b-tb-taken')).toEqual(outside);
    const outsideDeviation = await reporting(`${CDMO}:dev-tb-taken`);
    expect(outsideDeviation).toMatchObject({ code: 'id.outside-namespace' });
    expect(await reporting(`${CDMO}:dev-tb-free`)).toEqual(outsideDeviation);

    // Only the creator ever meets its own ids again.
    expect(await send([batch(PAIR_A, taken).scheduled(at(7))])).toEqual([
      'batch.already-scheduled',
    ]);
    const stateOf = async (batchId: string) =>
      batchStateOf(await store.readStream(streams.batch(batchId)));
    expect(await stateOf(theirOwn)).toMatchObject({ cdmoId: PAIR_B.cdmo });
    expect(await stateOf(taken)).toMatchObject({ cdmoId: CDMO });
  });
});
