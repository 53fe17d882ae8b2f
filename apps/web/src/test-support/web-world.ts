// A running API server with a believable exchange between two sponsor/CDMO pairs, the
// development sign-in routes and the built dashboard: what the browser tests drive (and what
// `pnpm --filter @concord/web run dev:api` serves to develop against). Everything goes through
// the real ingest pipeline, the real projector and the real HTTP server.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startApiServer, type ApiServer } from '@concord/api';
import { Authenticator, DEV_AUDIENCE, DEV_ISSUER, DevIssuer } from '@concord/auth';
import { PostgresEventStore } from '@concord/event-store-postgres';
import {
  PAIR_A,
  PAIR_B,
  partnerExchange,
  type PartnerEvent,
  type PartnerExchange,
} from '@concord/ingest/test-support';
import { readModelPrisma } from '@concord/read-model';
import { pgliteDatabase } from '@concord/sql';
import { waitFor } from '@concord/test-infra';
import { pino, type Logger } from 'pino';

export const SPONSOR_A = PAIR_A.sponsor;
export const CDMO_A = PAIR_A.cdmo;
export const SPONSOR_B = PAIR_B.sponsor;
export const CDMO_B = PAIR_B.cdmo;

/** Pair A's batches (Helvion ↔ Northbridge). */
export const A = {
  shipped: `${PAIR_A.cdmo}:b-nb-hlv201-26-0290`,
  released: `${PAIR_A.cdmo}:b-nb-hlv201-26-0295`,
  ready: `${PAIR_A.cdmo}:b-nb-hlv201-26-0301`,
  blocked: `${PAIR_A.cdmo}:b-nb-hlv201-26-0302`,
  oos: `${PAIR_A.cdmo}:b-nb-hlv201-26-0303`,
  held: `${PAIR_A.cdmo}:b-nb-hlv201-26-0304`,
  live: `${PAIR_A.cdmo}:b-nb-hlv201-26-0305`,
  scheduled: `${PAIR_A.cdmo}:b-nb-hlv201-26-0306`,
} as const;
/** Pair A's deviations: a late major one awaiting the sponsor's CAPA approval, a closed minor. */
export const A_DEVIATIONS = {
  capa: `${PAIR_A.cdmo}:dev-nb-26-0301`,
  closed: `${PAIR_A.cdmo}:dev-nb-26-0288`,
} as const;
/** Pair B's batches and deviation (Aurora ↔ Caldera). */
export const B = {
  certified: `${PAIR_B.cdmo}:b-cal-aur310-26-0280`,
  running: `${PAIR_B.cdmo}:b-cal-aur310-26-0301`,
  scheduled: `${PAIR_B.cdmo}:b-cal-aur310-26-0302`,
} as const;
export const B_DEVIATIONS = { minor: `${PAIR_B.cdmo}:dev-cal-26-0301` } as const;

export interface WebWorld {
  server: ApiServer;
  url: string;
  exchange: PartnerExchange;
  /** Publishes partner events through ingest and waits until the read model has them. */
  publish(events: PartnerEvent[]): Promise<void>;
  /** Pair A's live batch goes one lifecycle step further each call (false: nothing left). */
  advanceLiveBatch(): Promise<string | false>;
  close(): Promise<void>;
}

export interface WebWorldOptions {
  /** The built dashboard to serve at /. */
  webRoot?: string;
  /** @default 0 (any free port) */
  port?: number;
  logger?: Logger;
}

const day = 24 * 3_600_000;

export async function openWebWorld(options: WebWorldOptions = {}): Promise<WebWorld> {
  const dataDir = await mkdtemp(join(tmpdir(), 'concord-web-'));
  const db = await pgliteDatabase({ dataDir: join(dataDir, 'pglite') });
  const store = await PostgresEventStore.open(db);
  const prisma = readModelPrisma({ pglite: db.pglite });
  const issuer = await DevIssuer.open();
  const authenticator = new Authenticator({
    issuer: DEV_ISSUER,
    audience: DEV_AUDIENCE,
    keys: issuer.jwks(),
  });
  const logger = options.logger ?? pino({ level: 'warn' });
  const server = await startApiServer({
    store,
    db,
    prisma,
    authenticator,
    logger,
    port: options.port ?? 0,
    devIssuer: issuer,
    ...(options.webRoot ? { webRoot: options.webRoot } : {}),
    deadlines: { intervalMs: 250 },
  });
  // Pair A's agreement sets deviation due days, so its deviations have due dates to warn of.
  const exchange = await partnerExchange(store, {
    secondPair: true,
    deviationDueDays: {
      critical: { investigation: 3, capa: 10, closure: 20 },
      major: { investigation: 7, capa: 14, closure: 30 },
      minor: { investigation: 14, capa: 30, closure: 30 },
    },
  });
  const publish = async (events: PartnerEvent[]) => {
    await exchange.publish(events);
    await server.projector.catchUp();
  };

  const now = Date.now();
  const at = (daysAgo: number, hours = 0) =>
    new Date(now - daysAgo * day + hours * 3_600_000).toISOString();
  const { batch, deviation } = exchange.feed;

  // Pair A: one batch at every interesting stage.
  const shipped = batch(PAIR_A, A.shipped);
  const released = batch(PAIR_A, A.released);
  const ready = batch(PAIR_A, A.ready);
  const blocked = batch(PAIR_A, A.blocked);
  const oos = batch(PAIR_A, A.oos);
  const held = batch(PAIR_A, A.held);
  const live = batch(PAIR_A, A.live);
  const scheduled = batch(PAIR_A, A.scheduled);
  const capaDeviation = deviation(PAIR_A, A_DEVIATIONS.capa);
  const closedDeviation = deviation(PAIR_A, A_DEVIATIONS.closed);
  const shippedCompleted = shipped.completed(at(40));
  await publish([
    shipped.scheduled(at(48)),
    shipped.started(at(46)),
    shippedCompleted,
    shipped.reviewed(at(38)),
    shipped.qc(at(35), 98.4),
    shipped.coa(at(33)),
    shipped.disposition(at(31), 'released'),
    shipped.certified(at(30)),
    shipped.shipped(at(28)),
    released.scheduled(at(40)),
    released.started(at(38)),
    released.completed(at(34)),
    released.reviewed(at(31)),
    released.qc(at(27), 98.9),
    released.coa(at(25)),
    released.disposition(at(23), 'released'),
    ready.scheduled(at(30)),
    ready.started(at(28)),
    ready.completed(at(24)),
    ready.reviewed(at(21)),
    ready.qc(at(17), 98.1),
    ready.coa(at(15)),
    blocked.scheduled(at(26)),
    blocked.started(at(24)),
    blocked.completed(at(20)),
    closedDeviation.reported(at(22), 'minor', [A.blocked], at(22, -3)),
    closedDeviation.classified(at(21), 'minor'),
    closedDeviation.investigated(at(20)),
    closedDeviation.rootCause(at(19)),
    closedDeviation.assessed(at(18), [A.blocked]),
    closedDeviation.closed(at(17)),
    // Reported four days after detection: later than the 72 h the agreement allows a major one.
    capaDeviation.reported(at(12), 'major', [A.blocked], at(16)),
    capaDeviation.classified(at(11), 'major'),
    capaDeviation.investigated(at(10)),
    capaDeviation.rootCause(at(8)),
    capaDeviation.assessed(at(7), [A.blocked]),
    capaDeviation.capaProposed(at(6)),
    oos.scheduled(at(22)),
    oos.started(at(20)),
    oos.completed(at(16)),
    oos.reviewed(at(13)),
    oos.qc(at(9), 96.4),
    held.scheduled(at(14)),
    held.started(at(12)),
    held.held(at(10)),
    live.scheduled(at(9)),
    live.started(at(7)),
    scheduled.scheduled(at(2)),
  ]);
  // The CDMO corrects a transposed yield on the shipped batch (old → new on its timeline).
  await publish([
    exchange.world.partnerEvent(
      CDMO_A,
      'correction/recorded.v1',
      {
        source: shippedCompleted.source,
        subject: A.shipped,
        time: at(39),
        correlationid: `wf-${A.shipped}`,
      },
      { correctedEventId: shippedCompleted.id },
    ) as PartnerEvent,
  ]);

  // Pair B: a certified batch, one in manufacture with a minor deviation, one scheduled.
  const certified = batch(PAIR_B, B.certified);
  const running = batch(PAIR_B, B.running);
  const bScheduled = batch(PAIR_B, B.scheduled);
  const minor = deviation(PAIR_B, B_DEVIATIONS.minor);
  await publish([
    certified.scheduled(at(45)),
    certified.started(at(44)),
    certified.completed(at(41)),
    certified.reviewed(at(39)),
    certified.qc(at(36), 99.2),
    certified.coa(at(34)),
    certified.disposition(at(33), 'released'),
    certified.certified(at(32)),
    running.scheduled(at(10)),
    running.started(at(8)),
    minor.reported(at(5), 'minor', [B.running], at(5, -2)),
    bScheduled.scheduled(at(3)),
  ]);

  // The CAPA of pair A's major deviation was due 14 days after its detection (16 days ago): the
  // deadline process warns of it; the world is ready once the warning is in the read model.
  await waitFor(
    async () =>
      (await prisma.deviation.findUnique({ where: { id: A_DEVIATIONS.capa } }))?.deadlineStatus ===
      'overdue'
        ? true
        : undefined,
    { description: "the overdue warning of pair A's CAPA" },
  );

  const liveSteps = [
    () => live.completed(new Date().toISOString()),
    () => live.reviewed(new Date().toISOString()),
    () => live.qc(new Date().toISOString(), 98.6),
    () => live.coa(new Date().toISOString()),
  ];
  return {
    server,
    url: server.url,
    exchange,
    publish,
    async advanceLiveBatch() {
      const step = liveSteps.shift();
      if (!step) return false;
      const event = step();
      await publish([event]);
      return event.type;
    },
    async close() {
      await server.close();
      await prisma.$disconnect();
      await store.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
