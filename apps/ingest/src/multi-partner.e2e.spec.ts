import { encodeKafkaRecord, type ConcordEvent } from '@concord/contract';
import type { EventStore, RecordedEvent } from '@concord/event-store';
import { PostgresEventStore } from '@concord/event-store-postgres';
import { sqlOutcomeLog, storedEventId, type OutcomeLog } from '@concord/ingest';
import {
  AGREEMENT,
  CDMO,
  OTHER_AGREEMENT,
  OTHER_CDMO,
  OTHER_PRODUCT,
  OTHER_SPONSOR,
  PAIR_A,
  PAIR_B,
  partnerFeed,
  PRODUCT,
  seedPartnerWorld,
  SPONSOR,
  type PartnerEvent,
  type PartnerWorld,
} from '@concord/ingest/test-support';
import { pgDatabase } from '@concord/sql';
import { uniqueName, waitFor } from '@concord/test-infra';
import { describeWithKafka, describeWithPostgres } from '@concord/test-infra/vitest';
import { Kafka, logLevel, type Admin, type Consumer, type KafkaMessage } from 'kafkajs';
import { pino } from 'pino';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startIngestService, type IngestService } from './ingest-service.ts';

// Two sponsors and two CDMOs on one platform, one broker and one store: each pair under its own
// quality agreement for its own product. The platform's clock is fixed, so which deviation
// reports are late (and by how much) is part of the expected history.
const NOW = '2026-05-01T12:00:00.000Z';
const ORGANIZATIONS = [SPONSOR, CDMO, OTHER_SPONSOR, OTHER_CDMO];

const A = PAIR_A;
const B = PAIR_B;

const A1 = `${CDMO}:b-nb-hlv201-26-0117`;
const A2 = `${CDMO}:b-nb-hlv201-26-0118`;
const A3 = `${CDMO}:b-nb-hlv201-26-0119`;
const DEV_A_MAJOR = `${CDMO}:dev-nb-26-0042`;
const DEV_A_MINOR = `${CDMO}:dev-nb-26-0043`;
const B1 = `${OTHER_CDMO}:b-cal-aur310-26-0001`;
const B2 = `${OTHER_CDMO}:b-cal-aur310-26-0002`;
const B3 = `${OTHER_CDMO}:b-cal-aur310-26-0003`;
const DEV_B_CRITICAL = `${OTHER_CDMO}:dev-cal-26-0007`;

/** Identifiers of one pair that must never appear on the other pair's topics. */
const IDENTIFIERS: Record<'A' | 'B', string[]> = {
  A: [
    SPONSOR,
    CDMO,
    AGREEMENT,
    PRODUCT,
    'northbridge-bio:b-nb-',
    'northbridge-bio:dev-nb-',
    'htx-p-',
    'nb-p-',
  ],
  B: [
    OTHER_SPONSOR,
    OTHER_CDMO,
    OTHER_AGREEMENT,
    OTHER_PRODUCT,
    'caldera-biologics:b-cal-',
    'caldera-biologics:dev-cal-',
    'aur-p-',
  ],
};
const pairOfOrganization = (org: string): 'A' | 'B' =>
  org === SPONSOR || org === CDMO ? 'A' : 'B';

/** Who may see a stream, by this test's own account of the world (not the publisher's). */
function partiesOf(streamId: string): string[] {
  if (streamId.startsWith('organization-')) return [streamId.slice('organization-'.length)];
  if (
    streamId === `agreement-${AGREEMENT}` ||
    streamId.startsWith('batch-northbridge-bio:b-nb-') ||
    streamId.startsWith('deviation-northbridge-bio:dev-nb-')
  )
    return [SPONSOR, CDMO];
  if (
    streamId === `agreement-${OTHER_AGREEMENT}` ||
    streamId.startsWith('batch-caldera-biologics:b-cal-') ||
    streamId.startsWith('deviation-caldera-biologics:dev-cal-')
  )
    return [OTHER_SPONSOR, OTHER_CDMO];
  throw new Error(`unexpected stream ${streamId}`);
}

/** What the store must hold, per stream, in order. */
interface Expected {
  id: string;
  type: string;
}

interface Observed {
  topic: string;
  partition: number;
  message: KafkaMessage;
}

describeWithKafka('two sponsors and two CDMOs on one ingest process', ({ brokers }) => {
  describeWithPostgres('with the event store on PostgreSQL', (database) => {
    const prefix = uniqueName('mp').replace('-', '');
    const ingestGroup = uniqueName('ingest');
    const kafka = new Kafka({
      brokers,
      clientId: 'multi-partner-test',
      logLevel: logLevel.NOTHING,
    });
    const producer = kafka.producer({ idempotent: true });
    const observed: Observed[] = [];
    /** Next offset to read, per topic and partition, as the observer consumed them. */
    const consumedUpTo = new Map<string, bigint>();
    let observer: Consumer | undefined;
    let admin: Admin | undefined;
    let store: EventStore;
    let outcomes: OutcomeLog;
    let world: PartnerWorld;
    let service: IngestService | undefined;

    const inbound = (org: string) => `${prefix}.in.${org}`;
    const outbound = (org: string) => `${prefix}.out.${org}`;
    const rejections = (org: string) => `${prefix}.rejections.${org}`;

    beforeAll(async () => {
      const db = pgDatabase({ connectionString: database().url });
      store = await PostgresEventStore.open(db);
      outcomes = await sqlOutcomeLog(db);
      world = await seedPartnerWorld(store, { secondPair: true });
      admin = kafka.admin();
      await admin.connect();
      await admin.createTopics({
        waitForLeaders: true,
        topics: ORGANIZATIONS.flatMap((org) =>
          [inbound(org), outbound(org), rejections(org)].map((topic) => ({
            topic,
            numPartitions: 3,
          })),
        ),
      });
      await producer.connect();
      observer = kafka.consumer({ groupId: uniqueName('observer') });
      await observer.connect();
      await observer.subscribe({
        topics: ORGANIZATIONS.flatMap((org) => [outbound(org), rejections(org)]),
        fromBeginning: true,
      });
      await observer.run({
        eachMessage: async ({ topic, partition, message }) => {
          observed.push({ topic, partition, message });
          consumedUpTo.set(`${topic}:${partition}`, BigInt(message.offset) + 1n);
        },
      });
      service = await startIngestService({
        store,
        outcomes,
        brokers,
        logger: pino({ level: 'warn' }),
        topicPrefix: prefix,
        groupId: ingestGroup,
        outboundSubscriberId: uniqueName('outbound'),
        processManagerSubscriberId: uniqueName('linker'),
        clock: () => new Date(NOW),
      });
    });

    afterAll(async () => {
      await service?.stop();
      await observer?.disconnect();
      await producer.disconnect();
      await admin?.disconnect();
      await store?.close();
    });

    // ---- the feed -------------------------------------------------------------------------------

    const { build, batch, deviation } = partnerFeed(() => world);

    const expected = new Map<string, Expected[]>();
    const expectedRejections = new Map<string, { code: string; rejectedEventId: string }[]>(
      ORGANIZATIONS.map((org) => [org, []]),
    );
    let acceptedFromPartners = 0;

    const streamOf = (event: PartnerEvent) =>
      `${event.type.startsWith('concord.batch.') ? 'batch' : 'deviation'}-${event.subject}`;
    const storedId = (event: PartnerEvent) => storedEventId(event.source, event.id);
    const note = (streamId: string, id: string, type: string) =>
      expected.set(streamId, [...(expected.get(streamId) ?? []), { id, type }]);

    interface Refused {
      event: PartnerEvent;
      rejected: string;
    }
    type Item = PartnerEvent | Refused;
    const isRefused = (item: Item): item is Refused => 'rejected' in item && 'event' in item;
    /**
     * Produces events on the partner's inbound topic (one send: each subject's events stay in
     * order on their partition) and notes what each must lead to.
     */
    async function send(org: string, items: Item[]): Promise<void> {
      for (const item of items) {
        if (isRefused(item)) {
          expectedRejections
            .get(org)!
            .push({ code: item.rejected, rejectedEventId: item.event.id });
          continue;
        }
        acceptedFromPartners++;
        note(streamOf(item), storedId(item), item.type);
        if (item.type === 'concord.deviation.reported.v1' && isLate(item)) {
          note(streamOf(item), `${storedId(item)}:late`, 'concord.deviation.reported-late.v1');
        }
      }
      await producer.send({
        topic: inbound(org),
        messages: items.map((item) =>
          encodeKafkaRecord((isRefused(item) ? item.event : item) as unknown as ConcordEvent),
        ),
      });
    }
    const reject = (event: PartnerEvent, code: string): Refused => ({ event, rejected: code });

    const deadlineHours: Record<string, Record<string, number>> = {
      [AGREEMENT]: { critical: 24, major: 72, minor: 720 },
      [OTHER_AGREEMENT]: { critical: 24, major: 48, minor: 720 },
    };
    function isLate(report: PartnerEvent): boolean {
      const { agreementId, severity, detectedAt } = report.data as Record<string, string>;
      const hours = deadlineHours[agreementId!]![severity!]!;
      return Date.parse(NOW) > Date.parse(detectedAt!) + hours * 3_600_000;
    }

    /** What the deviation ↔ batch process manager must record in a batch, caused by `cause`. */
    const link = (cause: PartnerEvent, batchId: string, type: 'linked' | 'link-closed') =>
      note(
        `batch-${batchId}`,
        `${storedId(cause)}:link:${batchId}`,
        `concord.batch.deviation-${type}.v1`,
      );

    /** Waits until each stream holds what is expected of it so far, and checks it exactly. */
    async function settle(...streamIds: string[]): Promise<void> {
      for (const streamId of streamIds) {
        const want = expected.get(streamId) ?? [];
        const events = await waitFor(
          async () => {
            const events = await store.readStream(streamId);
            return events.length >= want.length && events;
          },
          { timeoutMs: 30_000, description: `${want.length} events in ${streamId}` },
        );
        expect(
          events.map((e) => ({ id: e.id, type: e.type })),
          streamId,
        ).toEqual(want);
      }
    }

    const rejectionsOn = (org: string) =>
      observed
        .filter((o) => o.topic === rejections(org))
        .map((o) => JSON.parse(o.message.value!.toString()) as Record<string, unknown>);

    /** Waits for a partner's rejection of one event (what the partner's system would wait on). */
    const rejectionOf = (org: string, event: PartnerEvent) =>
      waitFor(() => rejectionsOn(org).find((r) => r.rejectedEventId === event.id), {
        timeoutMs: 30_000,
        description: `the rejection of ${event.type} on ${rejections(org)}`,
      });

    // Days in April 2026, then the morning of 1 May (the platform's "now" is noon on 1 May).
    const t = (day: number, time: string) =>
      `2026-${day > 30 ? '05' : '04'}-${String(day > 30 ? day - 30 : day).padStart(2, '0')}T${time}:00Z`;

    // ---- pair A: helvion-tx ↔ northbridge-bio ----------------------------------------------------

    const a1 = batch(A, A1);
    const a2 = batch(A, A2);
    const a3 = batch(A, A3);
    const major = deviation(A, DEV_A_MAJOR);
    const minor = deviation(A, DEV_A_MINOR);

    async function pairAManufactures() {
      await send(CDMO, [
        a1.scheduled(t(1, '08:15')),
        a1.started(t(6, '06:04')),
        a1.completed(t(9, '21:40')),
        a1.reviewed(t(14, '11:02')),
        a1.qc(t(17, '15:18'), 98.9),
        a1.coa(t(28, '14:00')),
        a2.scheduled(t(2, '08:30')),
        a2.started(t(7, '06:10')),
        a2.held(t(7, '13:20')),
        a2.resumed(t(7, '16:45')),
        // A shipment of a batch still in manufacture: out of its lifecycle order.
        reject(a2.shipped(t(8, '09:00')), 'batch.out-of-order'),
        a2.completed(t(10, '20:00')),
        a2.reviewed(t(15, '10:00')),
        a2.qc(t(18, '12:00'), 99.4),
        a2.coa(t(28, '15:00')),
        a3.scheduled(t(20, '08:00')),
        a3.started(t(29, '06:00')),
      ]);
      await settle(`batch-${A1}`, `batch-${A2}`, `batch-${A3}`);
    }

    async function pairADeviatesAndReleases() {
      // A major deviation on A1; on A2 one reported as major and reclassified minor.
      const majorReported = major.reported(
        t(29, '15:02'),
        'major',
        [A1],
        '2026-04-29T13:20:00Z', // 46 h before NOW: within the 72 h for a major deviation
      );
      const minorReported = minor.reported(t(29, '09:30'), 'major', [A2], '2026-04-29T06:00:00Z');
      const minorClassified = minor.classified(t(29, '11:00'), 'minor');
      await send(CDMO, [majorReported, minorReported, minorClassified]);
      link(majorReported, A1, 'linked');
      link(minorReported, A2, 'linked');
      link(minorClassified, A2, 'linked'); // the new severity
      // Wait for the links before anything else about those batches: they decide the release.
      await settle(
        `deviation-${DEV_A_MAJOR}`,
        `deviation-${DEV_A_MINOR}`,
        `batch-${A1}`,
        `batch-${A2}`,
      );

      // The sponsor tries an act the agreement gives the CDMO's QP.
      await send(SPONSOR, [
        reject(
          build(SPONSOR, 'batch/qp-certified.v1', A1, t(30, '08:00'), {}, { role: 'qa' }),
          'authorization.not-responsible-party',
        ),
      ]);

      // A1 is blocked by its open major deviation; A2's minor one does not block.
      const blocked = a1.disposition(t(30, '09:12'), 'released');
      await send(CDMO, [
        reject(blocked, 'batch.release-blocked.open-deviation'),
        a2.disposition(t(30, '09:30'), 'released'),
        a2.certified(t(30, '14:20')),
        a2.shipped(t(30, '17:30')),
      ]);
      await rejectionOf(CDMO, blocked);
      await settle(`batch-${A1}`, `batch-${A2}`);

      // The major deviation is investigated; the sponsor approves CAPA and closure; the CDMO closes.
      await send(CDMO, [
        major.classified(t(29, '16:15'), 'major'), // same severity: no new link
        major.investigated(t(29, '18:00')),
        major.rootCause(t(30, '10:20')),
        major.assessed(t(30, '11:05'), [A1]),
        major.capaProposed(t(30, '12:00')),
      ]);
      await settle(`deviation-${DEV_A_MAJOR}`);
      await send(SPONSOR, [
        major.capaApproved(t(30, '15:30')),
        major.closureApproved(t(30, '16:05')),
      ]);
      await settle(`deviation-${DEV_A_MAJOR}`);
      const majorClosed = major.closed(t(30, '16:30'));
      await send(CDMO, [majorClosed]);
      link(majorClosed, A1, 'link-closed');
      await settle(`deviation-${DEV_A_MAJOR}`, `batch-${A1}`);

      // Now nothing blocks A1.
      await send(CDMO, [
        a1.disposition(t(31, '07:12'), 'released'),
        a1.certified(t(31, '08:20')),
        a1.shipped(t(31, '10:31')),
      ]);
      await settle(`batch-${A1}`);

      // The minor deviation is closed by the CDMO alone, after A2 has shipped.
      const minorClosed = minor.closed(t(31, '11:30'));
      await send(CDMO, [
        minor.investigated(t(30, '09:00')),
        minor.rootCause(t(30, '13:00')),
        minor.assessed(t(30, '15:00'), [A2]),
        minorClosed,
      ]);
      link(minorClosed, A2, 'link-closed');
      await settle(`deviation-${DEV_A_MINOR}`, `batch-${A2}`);
    }

    // ---- pair B: aurora-bio ↔ caldera-biologics --------------------------------------------------

    const b1 = batch(B, B1);
    const b2 = batch(B, B2);
    const b3 = batch(B, B3);
    const critical = deviation(B, DEV_B_CRITICAL);

    async function pairBManufactures() {
      await send(OTHER_CDMO, [
        b1.scheduled(t(3, '07:00')),
        b1.started(t(8, '06:00')),
        b1.completed(t(9, '18:00')),
        b1.reviewed(t(13, '10:00')),
        b1.qc(t(16, '14:00'), 99.1),
        b1.coa(t(22, '11:00')),
        b1.disposition(t(24, '09:00'), 'released'),
        b2.scheduled(t(4, '07:00')),
        b2.started(t(10, '06:00')),
        b2.completed(t(11, '18:00')),
        b2.reviewed(t(17, '10:00')),
        b2.qc(t(21, '14:00'), 98.2),
        b3.scheduled(t(18, '07:00')),
        b3.started(t(27, '06:00')),
        b3.held(t(27, '12:00')),
        // On its own channel, but claiming another company's system as its source.
        reject(
          build(
            OTHER_CDMO,
            'batch/manufacturing-resumed.v1',
            B3,
            t(27, '15:00'),
            {},
            {
              source: `urn:concord:${CDMO}:mes`,
            },
          ),
          'sender.forged-source',
        ),
      ]);
      await settle(`batch-${B1}`, `batch-${B2}`, `batch-${B3}`);
    }

    async function pairBCertifiesAndDeviates() {
      // Under this agreement the sponsor's QP certifies; the sponsor may not issue the CoA.
      await send(OTHER_SPONSOR, [
        b1.certified(t(25, '16:00')),
        reject(
          build(OTHER_SPONSOR, 'batch/coa-issued.v1', B1, t(25, '16:30'), {
            coaId: 'coa-sponsor-copy',
          }),
          'authorization.not-responsible-party',
        ),
      ]);
      await settle(`batch-${B1}`);
      await send(OTHER_CDMO, [b1.shipped(t(26, '08:00'))]);
      await settle(`batch-${B1}`);

      // A critical deviation on B2, reported days after its 24 h deadline: recorded and flagged.
      const detectedAt = '2026-04-25T22:10:00Z';
      const reported = critical.reported(t(29, '09:40'), 'critical', [B2], detectedAt);
      await send(OTHER_CDMO, [reported]);
      link(reported, B2, 'linked');
      await settle(`deviation-${DEV_B_CRITICAL}`, `batch-${B2}`);
      const [, late] = await store.readStream(`deviation-${DEV_B_CRITICAL}`);
      expect(late?.data).toEqual({
        deviationId: DEV_B_CRITICAL,
        detectedAt,
        reportedAt: NOW,
        deadline: '2026-04-26T22:10:00.000Z',
        lateByMinutes: (Date.parse(NOW) - Date.parse('2026-04-26T22:10:00Z')) / 60_000,
      });

      // Rejecting a batch is never blocked, even by an open critical deviation.
      await send(OTHER_CDMO, [b2.disposition(t(29, '12:00'), 'rejected')]);
      await settle(`batch-${B2}`);

      await send(OTHER_CDMO, [
        critical.classified(t(29, '10:15'), 'critical'),
        critical.investigated(t(29, '16:00')),
        critical.rootCause(t(30, '09:20')),
        critical.assessed(t(30, '10:05'), [B2]),
        critical.capaProposed(t(30, '11:00')),
      ]);
      await settle(`deviation-${DEV_B_CRITICAL}`);
      await send(OTHER_SPONSOR, [
        critical.capaApproved(t(30, '14:30')),
        critical.closureApproved(t(31, '08:05')),
      ]);
      await settle(`deviation-${DEV_B_CRITICAL}`);
      const closed = critical.closed(t(31, '09:30'));
      await send(OTHER_CDMO, [closed]);
      link(closed, B2, 'link-closed');
      await settle(`deviation-${DEV_B_CRITICAL}`, `batch-${B2}`);
    }

    // ---- the test -------------------------------------------------------------------------------

    it('records each pair’s history, blocks and then allows a release, and never crosses pairs', async () => {
      await Promise.all([pairAManufactures(), pairBManufactures()]);
      // The second CDMO writes about the first pair's batch on its own channel with its own key:
      // answered as if there were no such batch.
      await send(OTHER_CDMO, [
        reject(
          build(OTHER_CDMO, 'batch/manufacturing-held.v1', A3, t(29, '07:00'), {
            heldAt: t(29, '07:00'),
          }),
          'subject.unknown',
        ),
      ]);
      await Promise.all([pairADeviatesAndReleases(), pairBCertifiesAndDeviates()]);

      // Everything offered has been decided: the ingest group committed every inbound record.
      await waitFor(
        async () => {
          for (const org of ORGANIZATIONS) {
            const ends = await admin!.fetchTopicOffsets(inbound(org));
            const [committed] = await admin!.fetchOffsets({
              groupId: ingestGroup,
              topics: [inbound(org)],
            });
            for (const { partition, high } of ends) {
              const offset = committed?.partitions.find((p) => p.partition === partition)?.offset;
              if (BigInt(high) > 0n && (offset === undefined || BigInt(offset) < BigInt(high)))
                return false;
            }
          }
          return true;
        },
        { timeoutMs: 30_000, description: 'every inbound record committed by ingest' },
      );
      // Everything recorded has been published, and the observer has read all the broker holds.
      const all: RecordedEvent[] = await store.readAll({ maxCount: 100_000 });
      await waitFor(() => service!.metrics.published >= all.length, {
        timeoutMs: 30_000,
        description: `all ${all.length} recorded events published`,
      });
      await waitFor(
        async () => {
          for (const org of ORGANIZATIONS) {
            for (const topic of [outbound(org), rejections(org)]) {
              for (const { partition, high } of await admin!.fetchTopicOffsets(topic)) {
                if ((consumedUpTo.get(`${topic}:${partition}`) ?? 0n) < BigInt(high)) return false;
              }
            }
          }
          return true;
        },
        {
          timeoutMs: 30_000,
          description: 'the observer to read every outbound and rejection record',
        },
      );

      // The store: exactly the accepted events (and what the domain and the process manager
      // derived from them), per stream, in order; nothing else about batches and deviations.
      const partnerStreams = [...new Set(all.map((e) => e.streamId))].filter(
        (s) => s.startsWith('batch-') || s.startsWith('deviation-'),
      );
      expect(partnerStreams.sort()).toEqual([...expected.keys()].sort());
      for (const [streamId, want] of expected) {
        expect(
          all.filter((e) => e.streamId === streamId).map((e) => ({ id: e.id, type: e.type })),
          streamId,
        ).toEqual(want);
      }
      const types = (streamId: string) =>
        all.filter((e) => e.streamId === streamId).map((e) => e.type.split('.')[2]);
      expect(types(`batch-${A1}`)).toEqual([
        'scheduled',
        'manufacturing-started',
        'manufacturing-completed',
        'record-reviewed',
        'qc-result-recorded',
        'coa-issued',
        'deviation-linked',
        'deviation-link-closed',
        'disposition-recorded',
        'qp-certified',
        'shipped',
      ]);
      expect(types(`deviation-${DEV_B_CRITICAL}`).slice(0, 2)).toEqual([
        'reported',
        'reported-late',
      ]);

      // Outbound: each organization gets exactly the events of its own streams, each subject's in
      // store order, and nothing that names the other pair.
      for (const org of ORGANIZATIONS) {
        const wanted = all.filter((e) => partiesOf(e.streamId).includes(org));
        const messages = observed.filter((o) => o.topic === outbound(org)).map((o) => o.message);
        const header = (m: KafkaMessage, name: string) => m.headers?.[name]?.toString();
        const bySubject = (rows: { subject: string; id: string; type: string }[]) => {
          const grouped = new Map<string, string[]>();
          for (const row of rows)
            grouped.set(row.subject, [
              ...(grouped.get(row.subject) ?? []),
              `${row.id} ${row.type}`,
            ]);
          return Object.fromEntries([...grouped].sort(([x], [y]) => x.localeCompare(y)));
        };
        expect(messages.length, outbound(org)).toBe(wanted.length);
        expect(
          bySubject(
            messages.map((m) => ({
              subject: header(m, 'ce_subject')!,
              id: header(m, 'ce_id')!,
              type: header(m, 'ce_type')!,
            })),
          ),
          outbound(org),
        ).toEqual(
          bySubject(
            wanted.map((e) => {
              const envelope = e.metadata.envelope as Record<string, string> | undefined;
              return {
                subject: envelope?.subject ?? e.streamId.slice(e.streamId.indexOf('-') + 1),
                id: envelope?.id ?? e.id,
                type: e.type,
              };
            }),
          ),
        );
        for (const m of messages) expect(m.key?.toString()).toBe(header(m, 'ce_subject'));
        const other = pairOfOrganization(org) === 'A' ? IDENTIFIERS.B : IDENTIFIERS.A;
        for (const m of messages) {
          const text = [
            m.key?.toString(),
            m.value?.toString(),
            ...Object.values(m.headers ?? {}).map(String),
          ]
            .join('\n')
            .toLowerCase();
          for (const identifier of other)
            expect(text, `${outbound(org)} names ${identifier}`).not.toContain(identifier);
        }
      }

      // Rejections: on the sender's own rejection topic only, with the expected codes and ids.
      const byId = (rows: { code: string; rejectedEventId: string }[]) =>
        [...rows].sort((x, y) => x.rejectedEventId.localeCompare(y.rejectedEventId));
      for (const org of ORGANIZATIONS) {
        expect(
          byId(
            rejectionsOn(org).map((r) => ({
              code: String(r.code),
              rejectedEventId: String(r.rejectedEventId),
            })),
          ),
          rejections(org),
        ).toEqual(byId(expectedRejections.get(org)!));
      }
      expect(expectedRejections.get(CDMO)).toHaveLength(2);
      expect(expectedRejections.get(OTHER_CDMO)).toHaveLength(2);

      const rejectedCodes: Record<string, number> = {};
      for (const { code } of [...expectedRejections.values()].flat())
        rejectedCodes[code] = (rejectedCodes[code] ?? 0) + 1;
      const metrics = service!.metrics.snapshot();
      expect(metrics.rejected).toEqual(rejectedCodes);
      expect(metrics).toMatchObject({
        accepted: acceptedFromPartners,
        duplicates: 0,
        deadLettered: 0,
      });
      expect(await store.verify('all')).toMatchObject({ ok: true });
    });
  });
});
