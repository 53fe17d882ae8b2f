// One batch's whole story, as an auditor meets it: a lifecycle through QC, a major deviation
// reported late with its CAPA and sponsor approvals, a QC result corrected days after the fact
// (recorded even later), a QA disposition, a QP certification signed through the API, and the
// shipment. Every partner event is signed and goes through the real ingest pipeline; the platform
// clock is stepped so that recorded-at and occurred-at tell different stories where they should.
import { randomUUID } from 'node:crypto';
import { batchDecider, type Role } from '@concord/domain';
import type { EventStore } from '@concord/event-store';
import { PostgresEventStore } from '@concord/event-store-postgres';
import { signingAsPlatform, type PlatformKey } from '@concord/evidence';
import type { SqlDatabase } from '@concord/sql';
import { decideStreamCommands, Registry, storedEventId, streams } from '@concord/ingest';
import {
  CDMO,
  PAIR_A,
  partnerExchange,
  personIn,
  type PartnerEvent,
  type PartnerExchange,
} from '@concord/ingest/test-support';

/** A platform clock a test moves by hand. */
export class SteppedClock {
  #now: number;

  constructor(start: string) {
    this.#now = Date.parse(start);
  }

  set(instant: string): void {
    this.#now = Date.parse(instant);
  }

  readonly now = (): Date => new Date(this.#now);
}

export const STORY_BATCH = `${CDMO}:b-nb-hlv201-26-0301`;
export const STORY_DEVIATION = `${CDMO}:dev-nb-26-0301`;
export const FIRST_QC_VALUE = 98.1;
export const CORRECTED_QC_VALUE = 97.6;
export const CORRECTION_REASON =
  'Integration error: the main peak at 12.4 min was split; reprocessed per SOP-QC-114 (second-person verified).';

/** When things happened (occurred-at) and when the platform recorded them (recorded-at). */
export const STORY_TIMES = {
  seeded: '2026-01-05T09:00:00.000Z',
  qcOccurred: '2026-04-20T10:00:00.000Z',
  qcRecorded: '2026-04-20T10:10:00.000Z',
  /** Detected on the 17th, reported on the 21st: past the 72 h for a major deviation. */
  deviationDetected: '2026-04-17T08:00:00.000Z',
  deviationOccurred: '2026-04-21T12:00:00.000Z',
  deviationRecorded: '2026-04-21T12:05:00.000Z',
  /** The analyst reprocessed on the 22nd; the LIMS interface backlog delivered it on the 26th. */
  correctionOccurred: '2026-04-22T09:00:00.000Z',
  correctionRecorded: '2026-04-26T09:00:00.000Z',
  dispositionOccurred: '2026-04-27T09:00:00.000Z',
  certificationOccurred: '2026-04-28T10:00:00.000Z',
  shippedOccurred: '2026-04-29T08:00:00.000Z',
  /** The shipment is entered two days after the truck left: a late entry. */
  shippedRecorded: '2026-05-01T08:30:00.000Z',
} as const;

export interface BatchStory {
  store: EventStore;
  clock: SteppedClock;
  exchange: PartnerExchange;
  batchId: string;
  deviationId: string;
  /** Stored ids of the events the tests look at. */
  ids: {
    qcResult: string;
    correction: string;
    disposition: string;
    certification: string;
    shipped: string;
    deviationReported: string;
  };
}

const minutesAfter = (instant: string, minutes: number) =>
  new Date(Date.parse(instant) + minutes * 60_000).toISOString();

/**
 * Records the story into a store opened with the stepped clock (`open` gets it: the store's
 * recorded-at is the platform clock), and returns the ids and times to look for.
 */
export async function recordBatchStory(
  open: (clock: () => Date) => Promise<EventStore>,
  options: { batchId?: string; deviationId?: string } = {},
): Promise<BatchStory> {
  const clock = new SteppedClock(STORY_TIMES.seeded);
  const store = await open(clock.now);
  const exchange = await partnerExchange(store, { clock: clock.now });
  const batchId = options.batchId ?? STORY_BATCH;
  const deviationId = options.deviationId ?? STORY_DEVIATION;
  const batch = exchange.feed.batch(PAIR_A, batchId);
  const deviation = exchange.feed.deviation(PAIR_A, deviationId);

  /** Publishes an event, recorded five minutes after it occurred (or at `recordedAt`). */
  const publish = async (event: PartnerEvent, recordedAt?: string): Promise<string> => {
    clock.set(recordedAt ?? minutesAfter(String(event.time), 5));
    const [outcome] = await exchange.publish([event]);
    if (outcome?.status !== 'accepted') throw new Error(`not accepted: ${JSON.stringify(outcome)}`);
    await settle(store, exchange, outcome.positions);
    return outcome.eventId;
  };

  await publish(batch.scheduled('2026-04-10T08:00:00Z'));
  await publish(batch.started('2026-04-12T06:00:00Z'));
  await publish(batch.completed('2026-04-14T18:00:00Z'));
  await publish(batch.reviewed('2026-04-16T09:00:00Z'));
  const qc = batch.qc(STORY_TIMES.qcOccurred, FIRST_QC_VALUE);
  const qcResult = await publish(qc, STORY_TIMES.qcRecorded);

  const deviationReported = await publish(
    deviation.reported(
      STORY_TIMES.deviationOccurred,
      'major',
      [batchId],
      STORY_TIMES.deviationDetected,
    ),
    STORY_TIMES.deviationRecorded,
  );
  await publish(deviation.classified('2026-04-21T15:00:00Z', 'major'));
  await publish(deviation.investigated('2026-04-22T10:00:00Z'));
  await publish(deviation.rootCause('2026-04-23T10:00:00Z'));
  await publish(deviation.assessed('2026-04-23T14:00:00Z', [batchId]));
  await publish(deviation.capaProposed('2026-04-24T09:00:00Z'));
  await publish(deviation.capaApproved('2026-04-24T15:00:00Z'));
  await publish(deviation.closureApproved('2026-04-25T09:00:00Z'));
  await publish(deviation.closed('2026-04-25T11:00:00Z'));

  const analyst = personIn(CDMO, 'qc');
  const correction = await publish(
    exchange.world.partnerEvent(
      CDMO,
      'correction/recorded.v1',
      {
        subject: batchId,
        source: qc.source,
        time: STORY_TIMES.correctionOccurred,
        actorid: analyst.personId,
        actorrole: 'qc',
        correlationid: `wf-${batchId}`,
      },
      {
        correctedEventId: qc.id,
        changes: [{ path: '/value', oldValue: FIRST_QC_VALUE, newValue: CORRECTED_QC_VALUE }],
        reason: CORRECTION_REASON,
      },
    ) as PartnerEvent,
    STORY_TIMES.correctionRecorded,
  );
  await publish(batch.coa('2026-04-26T12:00:00Z'));
  const disposition = await publish(batch.disposition(STORY_TIMES.dispositionOccurred, 'released'));
  clock.set(STORY_TIMES.certificationOccurred);
  const certification = await certifyThroughApi(store, batchId, clock.now());
  const shipped = await publish(
    batch.shipped(STORY_TIMES.shippedOccurred),
    STORY_TIMES.shippedRecorded,
  );
  const streamIds = [streams.batch(batchId), streams.deviation(deviationId)];
  const last = await Promise.all(
    streamIds.map(async (streamId) => (await store.readStream(streamId)).at(-1)!.globalPosition),
  );
  await settle(store, exchange, last);

  return {
    store,
    clock,
    exchange,
    batchId,
    deviationId,
    ids: { qcResult, correction, disposition, certification, shipped, deviationReported },
  };
}

/**
 * The story recorded into `db` by a platform that signs what it records with `platformKey`:
 * `raw` is the store underneath, which an insider's direct appends go to (unsigned).
 */
export async function recordSignedStory(
  db: SqlDatabase,
  platformKey: PlatformKey,
): Promise<{ raw: PostgresEventStore; story: BatchStory }> {
  let raw: PostgresEventStore | undefined;
  const story = await recordBatchStory(async (clock) => {
    raw = await PostgresEventStore.open(db, { clock });
    return signingAsPlatform(raw, platformKey);
  });
  return { raw: raw!, story };
}

/**
 * Waits until readers of the global order see `positions`, then lets the process manager react
 * to them. A PostgreSQL store shows a position only once every older transaction of the whole
 * server has ended (the ordering guard), so another suite's open transaction can hide what was
 * just appended for a while; the exchange's process manager would then miss it until its next
 * publish.
 */
async function settle(
  store: EventStore,
  exchange: PartnerExchange,
  positions: readonly bigint[],
): Promise<void> {
  const wanted = positions.reduce((max, position) => (position > max ? position : max), 0n);
  const deadline = Date.now() + 60_000;
  while ((await store.headPosition()) < wanted) {
    if (Date.now() > deadline) throw new Error(`position ${wanted} never became visible`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  await exchange.publish([]);
}

/**
 * The QP's certification as the GraphQL API records a human act (apps/api human-acts.ts): the
 * same decider and append, a person's e-signature in the data, no partner system's signature.
 */
export async function certifyThroughApi(
  store: EventStore,
  batchId: string,
  at: Date,
): Promise<string> {
  const qp = personIn(CDMO, 'qp');
  const registry = new Registry(store);
  const parties = await registry.batchParties(batchId);
  const now = at.toISOString();
  const source = `urn:concord:${CDMO}:concord-api`;
  const eventId = storedEventId(source, randomUUID());
  const [result] = await decideStreamCommands({
    store,
    streamId: streams.batch(batchId),
    decider: batchDecider,
    commands: [
      {
        eventId,
        command: {
          type: 'concord.batch.qp-certified.v1',
          data: {
            batchId,
            registerEntryId: `QPR-IE-2026-${batchId.slice(-4)}`,
            certifiedAt: now,
            signature: {
              signerId: qp.personId,
              printedName: qp.printedName,
              signedAt: now,
              meaning: 'responsibility',
              reason: 'Certified per EU GMP Annex 16; entered in the QP register.',
            },
          },
          metadata: {
            eventId,
            source,
            actor: { personId: qp.personId, organizationId: CDMO, roles: ['qp'] as Role[] },
            occurredAt: now,
            recordedAt: now,
          },
          context: { agreement: await registry.agreementAt(parties!.agreementId, now) },
        },
      },
    ],
  });
  if (result?.status !== 'recorded')
    throw new Error(`certification refused: ${JSON.stringify(result)}`);
  return eventId;
}
