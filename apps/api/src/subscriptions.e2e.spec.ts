import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { encodeKafkaRecord, type ConcordEvent } from '@concord/contract';
import type { Subscription } from '@concord/event-store';
import { inMemoryOutcomeLog } from '@concord/ingest';
import { startIngestService, type IngestService } from '@concord/ingest-app';
import {
  CDMO,
  OTHER_CDMO,
  OTHER_SPONSOR,
  PAIR_A,
  PAIR_B,
  partnerFeed,
  personIn,
  SPONSOR,
  type PartnerEvent,
} from '@concord/ingest/test-support';
import { scopedReadModel } from '@concord/read-model';
import { uniqueName, waitFor } from '@concord/test-infra';
import { describeWithKafka, describeWithPostgres } from '@concord/test-infra/vitest';
import {
  createClient,
  type Client,
  type ClientOptions,
  type FormattedExecutionResult,
} from 'graphql-ws';
import { Kafka, logLevel, type Admin, type Producer } from 'kafkajs';
import { pino } from 'pino';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { batchStatuses, deviationStatuses } from './schema/shared.ts';
import {
  A1,
  A2,
  B1,
  DEV_A,
  DEV_B,
  NOW,
  openApiWorld,
  type ApiWorld,
} from './test-support/api-world.ts';

// The whole path of a live change: a partner's signed event on Kafka → the ingest service →
// the event store → the projector (committed chunk) → the change feed → a subscriber over
// graphql-ws or server-sent events on a real HTTP server.

const ORGANIZATIONS = [SPONSOR, CDMO, OTHER_SPONSOR, OTHER_CDMO];
/** Batches and deviations only this suite creates (the world already holds A1, A2, B1...). */
const A_NEW = 'northbridge-bio:b-nb-hlv201-26-0401';
const DEV_A_NEW = 'northbridge-bio:dev-nb-26-0401';
const B_NEW = 'caldera-biologics:b-cal-aur310-26-0401';
const DEV_B_NEW = 'caldera-biologics:dev-cal-26-0401';

const BATCH_CHANGED = `subscription { batchChanged { batchId status } }`;
const READINESS_CHANGED = `subscription { readinessChanged { batchId blockers { kind } } }`;
const DEVIATION_CHANGED = `subscription { deviationChanged { deviationId status } }`;

type BatchPayload = { batchChanged: { batchId: string; status: string } | null };
type ReadinessPayload = {
  readinessChanged: { batchId: string; blockers: { kind: string }[] } | null;
};
type DeviationPayload = { deviationChanged: { deviationId: string; status: string } | null };

/** `IN_MANUFACTURE` → its place in the lifecycle (`in-manufacture` in the domain's order). */
const rank = (statuses: readonly string[], value: string) =>
  statuses.indexOf(value.toLowerCase().replaceAll('_', '-'));

interface Collected<T> {
  results: { payload: T; receivedAt: number }[];
  errors: unknown[];
  stop(): void;
}

const batchOf = (c: Collected<BatchPayload>, id: string) =>
  c.results.map((r) => r.payload.batchChanged).filter((b) => b?.batchId === id);

/** Subscribes over graphql-ws and keeps every result, in order, with when it arrived. */
function collectWs<T>(client: Client, query: string, onNext?: (payload: T) => void): Collected<T> {
  const collected: Collected<T> = { results: [], errors: [], stop: () => undefined };
  collected.stop = client.subscribe<T>(
    { query },
    {
      next: (result: FormattedExecutionResult<T>) => {
        if (result.errors) collected.errors.push(...result.errors);
        if (result.data) {
          collected.results.push({ payload: result.data, receivedAt: Date.now() });
          onNext?.(result.data);
        }
      },
      error: (error) => collected.errors.push(error),
      complete: () => undefined,
    },
  );
  return collected;
}

/** Subscribes over server-sent events (graphql-yoga's own transport) with a plain fetch. */
function collectSse<T>(url: string, token: string | null, query: string): Collected<T> {
  const abort = new AbortController();
  const collected: Collected<T> = { results: [], errors: [], stop: () => abort.abort() };
  void (async () => {
    const response = await fetch(url, {
      method: 'POST',
      signal: abort.signal,
      headers: {
        accept: 'text/event-stream',
        'content-type': 'application/json',
        ...(token === null ? {} : { authorization: `Bearer ${token}` }),
      },
      body: JSON.stringify({ query }),
    });
    if (response.status !== 200 || !response.body) {
      collected.errors.push({ status: response.status, body: await response.text() });
      return;
    }
    const decoder = new TextDecoder();
    let buffer = '';
    const reader = response.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      buffer += decoder.decode(value, { stream: true });
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const message = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const lines = message.split('\n');
        const event = lines
          .find((l) => l.startsWith('event:'))
          ?.slice(6)
          .trim();
        const data = lines
          .filter((l) => l.startsWith('data:'))
          .map((l) => l.slice(5).trim())
          .join('\n');
        if (event !== 'next' || !data) continue;
        const result = JSON.parse(data) as FormattedExecutionResult<T>;
        if (result.errors) collected.errors.push(...result.errors);
        if (result.data) collected.results.push({ payload: result.data, receivedAt: Date.now() });
      }
    }
  })().catch((error: unknown) => {
    if ((error as Error).name !== 'AbortError') collected.errors.push(error);
  });
  return collected;
}

describeWithKafka(
  'live subscriptions, from a partner’s Kafka record to a subscriber',
  ({ brokers }) => {
    describeWithPostgres('on PostgreSQL, over graphql-ws and SSE', (database) => {
      const prefix = uniqueName('subs').replace('-', '');
      const kafka = new Kafka({
        brokers,
        clientId: 'subscriptions-e2e',
        logLevel: logLevel.NOTHING,
      });
      let admin: Admin | undefined;
      let producer: Producer | undefined;
      let world: ApiWorld;
      let service: IngestService | undefined;
      let projecting: Subscription | undefined;
      const projectorErrors: unknown[] = [];
      let server: Server | undefined;
      let closeSockets: (() => Promise<void>) | undefined;
      let url = '';
      const clients: Client[] = [];
      const streams: Collected<unknown>[] = [];

      beforeAll(async () => {
        world = await openApiWorld({ url: database().url });
        admin = kafka.admin();
        await admin.connect();
        await admin.createTopics({
          waitForLeaders: true,
          topics: ORGANIZATIONS.flatMap((org) =>
            ['in', 'out', 'rejections'].map((kind) => ({
              topic: `${prefix}.${kind}.${org}`,
              numPartitions: 2,
            })),
          ),
        });
        producer = kafka.producer({ idempotent: true });
        await producer.connect();
        service = await startIngestService({
          store: world.store,
          outcomes: inMemoryOutcomeLog(),
          brokers,
          logger: pino({ level: 'warn' }),
          topicPrefix: prefix,
          groupId: uniqueName('ingest'),
          outboundSubscriberId: uniqueName('outbound'),
          processManagerSubscriberId: uniqueName('linker'),
          clock: () => new Date(NOW),
        });
        // openApiWorld's projector feeds api.changes; here it follows the store as in production.
        projecting = world.projector.start((error) => projectorErrors.push(error));
        server = createServer(world.api.yoga);
        closeSockets = world.api.attachWebSockets(server);
        await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
        url = `http://127.0.0.1:${(server.address() as AddressInfo).port}${world.api.yoga.graphqlEndpoint}`;
      });

      afterAll(async () => {
        for (const stream of streams) stream.stop();
        await Promise.all(clients.map((client) => client.dispose()));
        await closeSockets?.();
        server?.closeAllConnections();
        await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
        await service?.stop();
        await projecting?.stop();
        await producer?.disconnect();
        await admin?.disconnect();
        await world?.close();
      });

      const wsClient = (token: string | null, options: Partial<ClientOptions> = {}) => {
        const client = createClient({
          url: url.replace(/^http/, 'ws'),
          webSocketImpl: WebSocket,
          retryAttempts: 0,
          ...(token === null ? {} : { connectionParams: { authorization: `Bearer ${token}` } }),
          ...options,
        });
        clients.push(client);
        return client;
      };

      const send = async (org: string, events: PartnerEvent[]) =>
        producer!.send({
          topic: `${prefix}.in.${org}`,
          messages: events.map((event) => encodeKafkaRecord(event as unknown as ConcordEvent)),
        });

      /**
       * Neither graphql-ws nor SSE acknowledges a subscription: until each has heard a change
       * published straight into the feed (of the world's own batch and deviation), a Kafka record
       * could pass unseen.
       */
      async function untilListening(
        sponsorId: string,
        cdmoId: string,
        ids: { batch: string; deviation: string },
        ...collected: Collected<unknown>[]
      ) {
        await waitFor(
          () => {
            world.api.changes.publish(
              (['batch', 'readiness', 'deviation'] as const).map((kind) => ({
                kind,
                id: kind === 'deviation' ? ids.deviation : ids.batch,
                sponsorId,
                cdmoId,
                position: 0n,
              })),
            );
            return collected.every((c) => c.results.length > 0);
          },
          { timeoutMs: 15_000, intervalMs: 100, description: `${sponsorId}'s subscriptions` },
        );
      }

      it('refuses an unauthenticated subscription over graphql-ws and SSE with "Not authorized"', async () => {
        const overWs = collectWs<BatchPayload>(wsClient(null), BATCH_CHANGED);
        const overSse = collectSse<BatchPayload>(url, null, BATCH_CHANGED);
        streams.push(overWs as Collected<unknown>, overSse as Collected<unknown>);
        await waitFor(() => overWs.errors.length > 0 && overSse.errors.length > 0, {
          description: 'both refusals',
        });
        for (const refused of [overWs, overSse]) {
          expect(refused.errors).toHaveLength(1);
          // The sentence every query gives an anonymous caller (not a masked "Unexpected error").
          expect(JSON.stringify(refused.errors[0])).toMatch(/Not authorized/);
          expect(refused.results.filter((r) => r.payload?.batchChanged)).toEqual([]);
        }
      });

      it('ends a graphql-ws connection, and its subscriptions, when its sign-in token expires', async () => {
        const person = personIn(SPONSOR, 'qa');
        const token = await world.issuer.mint({
          personId: person.personId,
          organizationId: SPONSOR,
          roles: ['qa'],
          expiresIn: '3s',
        });
        const closes: { code: number; reason: string }[] = [];
        const client = wsClient(token, {
          lazy: false,
          onNonLazyError: () => undefined,
          on: { closed: (event) => closes.push(event as { code: number; reason: string }) },
        });
        const live = collectWs<BatchPayload>(client, BATCH_CHANGED);
        streams.push(live as Collected<unknown>);
        const [closed] = await waitFor(() => closes.length > 0 && closes, {
          timeoutMs: 20_000,
          description: 'the socket closing at the expiry',
        });
        expect(closed).toMatchObject({ code: 4401, reason: 'The token has expired.' });
        // The subscription ends with the connection, and says why.
        await waitFor(() => live.errors.length > 0, { description: 'the subscription ending' });
        expect(live.errors[0]).toMatchObject({ code: 4401 });
      });

      it('refuses a too-deep subscription with the depth explained and keeps the socket usable', async () => {
        // One socket for the whole test (not lazy: it would close when no operation is active).
        const sockets = { connected: 0, closed: 0 };
        const client = wsClient(await world.token(SPONSOR), {
          lazy: false,
          on: { connected: () => sockets.connected++, closed: () => sockets.closed++ },
        });
        await waitFor(() => sockets.connected === 1, { description: 'the socket' });
        const nest = (depth: number): string =>
          depth === 0
            ? 'batchId'
            : `batchId deviationLinks { deviation { batchLinks { batch { ${nest(depth - 1)} } } } }`;
        const deep = collectWs<BatchPayload>(
          client,
          `subscription { batchChanged { ${nest(3)} } }`,
        );
        streams.push(deep as Collected<unknown>);
        const [error] = await waitFor(() => deep.errors.length > 0 && deep.errors, {
          description: 'the depth refusal',
        });
        // Explained over graphql-ws as over HTTP: what was exceeded and how to fix it.
        expect(error).toMatchObject([
          {
            message: expect.stringMatching(/nests fields \d+ levels deep, above the limit of 10/),
            extensions: { code: 'DEPTH_LIMIT_EXCEEDED', limit: 10 },
          },
        ]);

        // The same socket still serves: a query, then a subscription that hears a change.
        const viewer = collectWs<{ viewer: { organization: { organizationId: string } } }>(
          client,
          `{ viewer { organization { organizationId } } }`,
        );
        const [answer] = await waitFor(() => viewer.results.length > 0 && viewer.results, {
          description: 'the query over the same socket',
        });
        expect(answer!.payload.viewer.organization.organizationId).toBe(SPONSOR);
        const live = collectWs<BatchPayload>(
          client,
          `subscription { batchChanged(id: "${A1}") { batchId } }`,
        );
        streams.push(live as Collected<unknown>);
        await waitFor(
          () => {
            world.api.changes.publish([
              { kind: 'batch', id: A1, sponsorId: SPONSOR, cdmoId: CDMO, position: 0n },
            ]);
            return live.results.length > 0;
          },
          { intervalMs: 100, description: 'a change over the same socket' },
        );
        expect(live.results[0]!.payload.batchChanged).toEqual({ batchId: A1 });
        expect(sockets).toEqual({ connected: 1, closed: 0 });
        expect(deep.results).toEqual([]);
      });

      it('delivers a pair’s changes to its sponsor only once the read model shows them, and nothing of them to the other pair', async () => {
        const sponsorA = await world.token(SPONSOR);
        const sponsorB = await world.token(OTHER_SPONSOR);
        const readModelA = scopedReadModel(world.prisma, SPONSOR);
        // What the sponsor's read model held the moment each batch change arrived (read at once).
        const seenInReadModel: Promise<{ payload: string; row: string | undefined }>[] = [];

        const clientA = wsClient(sponsorA);
        const batchesA = collectWs<BatchPayload>(clientA, BATCH_CHANGED, (payload) => {
          const change = payload.batchChanged;
          if (change?.batchId !== A_NEW) return;
          seenInReadModel.push(
            readModelA.batch
              .findUnique({ where: { id: change.batchId } })
              .then((row) => ({ payload: change.status, row: row?.status })),
          );
        });
        const readinessA = collectWs<ReadinessPayload>(clientA, READINESS_CHANGED);
        const deviationsA = collectSse<DeviationPayload>(url, sponsorA, DEVIATION_CHANGED);
        const clientB = wsClient(sponsorB);
        const batchesB = collectWs<BatchPayload>(clientB, BATCH_CHANGED);
        const readinessB = collectWs<ReadinessPayload>(clientB, READINESS_CHANGED);
        const deviationsB = collectSse<DeviationPayload>(url, sponsorB, DEVIATION_CHANGED);
        streams.push(
          ...([
            batchesA,
            readinessA,
            deviationsA,
            batchesB,
            readinessB,
            deviationsB,
          ] as Collected<unknown>[]),
        );
        await untilListening(
          SPONSOR,
          CDMO,
          { batch: A1, deviation: DEV_A },
          batchesA,
          readinessA,
          deviationsA,
        );
        await untilListening(
          OTHER_SPONSOR,
          OTHER_CDMO,
          { batch: B1, deviation: DEV_B },
          batchesB,
          readinessB,
          deviationsB,
        );

        const { batch, deviation } = partnerFeed(world.exchange.world);
        const aNew = batch(PAIR_A, A_NEW);
        const devANew = deviation(PAIR_A, DEV_A_NEW);

        // Pair A: the CDMO schedules and starts a batch, then reports a major deviation on it.
        await send(CDMO, [
          aNew.scheduled('2026-04-28T08:00:00Z'),
          aNew.started('2026-04-29T06:00:00Z'),
        ]);
        await waitFor(() => batchOf(batchesA, A_NEW).some((b) => b?.status === 'IN_MANUFACTURE'), {
          timeoutMs: 30_000,
          description: `${A_NEW} in manufacture, over graphql-ws`,
        });
        await send(CDMO, [
          devANew.reported('2026-04-30T09:00:00Z', 'major', [A_NEW], '2026-04-30T08:00:00Z'),
        ]);
        const readinessOf = (c: Collected<ReadinessPayload>, id: string) =>
          c.results.map((r) => r.payload.readinessChanged).filter((b) => b?.batchId === id);
        const deviationOf = (c: Collected<DeviationPayload>, id: string) =>
          c.results.map((r) => r.payload.deviationChanged).filter((d) => d?.deviationId === id);
        await waitFor(
          () =>
            readinessOf(readinessA, A_NEW).some((r) =>
              r?.blockers.some((b) => b.kind === 'OPEN_DEVIATION'),
            ) && deviationOf(deviationsA, DEV_A_NEW).length > 0,
          {
            timeoutMs: 30_000,
            description: `${A_NEW} blocked by ${DEV_A_NEW}, and the deviation over SSE`,
          },
        );
        expect(deviationOf(deviationsA, DEV_A_NEW)[0]).toEqual({
          deviationId: DEV_A_NEW,
          status: 'REPORTED',
        });

        // Every change arrived with its row already readable, never ahead of it: a change
        // published before its commit would resolve to null (the new batch) or to an older status.
        const aStatuses = batchOf(batchesA, A_NEW).map((b) => b?.status);
        expect(aStatuses[0]).toMatch(/^(SCHEDULED|IN_MANUFACTURE)$/);
        // (A null payload names no batch: none may have arrived at all.)
        for (const c of [batchesA, readinessA, deviationsA] as Collected<Record<string, unknown>>[])
          expect(c.results.filter((r) => Object.values(r.payload)[0] === null)).toEqual([]);
        expect(aStatuses.map((s) => rank(batchStatuses, s!))).toEqual(
          [...aStatuses.map((s) => rank(batchStatuses, s!))].sort((x, y) => x - y),
        );
        const seen = await Promise.all(seenInReadModel);
        expect(seen.length).toBeGreaterThan(0);
        for (const { payload, row } of seen) {
          expect(row, `the read model when ${payload} arrived`).toBeDefined();
          expect(rank(batchStatuses, row!)).toBeGreaterThanOrEqual(rank(batchStatuses, payload));
        }
        const deviationRow = await readModelA.deviation.findUnique({ where: { id: DEV_A_NEW } });
        expect(rank(deviationStatuses, deviationRow!.status)).toBeGreaterThanOrEqual(
          rank(deviationStatuses, 'REPORTED'),
        );
        expect([...batchesA.errors, ...readinessA.errors, ...deviationsA.errors]).toEqual([]);

        // Pair B, after pair A: its changes reach pair B's sponsor after any of pair A's would
        // have (one projector, one ordered feed, each subscription in order).
        const bNew = batch(PAIR_B, B_NEW);
        const devBNew = deviation(PAIR_B, DEV_B_NEW);
        await send(OTHER_CDMO, [
          bNew.scheduled('2026-04-28T08:00:00Z'),
          bNew.started('2026-04-29T06:00:00Z'),
        ]);
        await waitFor(() => batchOf(batchesB, B_NEW).some((b) => b?.status === 'IN_MANUFACTURE'), {
          timeoutMs: 30_000,
          description: `${B_NEW} in manufacture`,
        });
        // (A deviation names batches that must exist: on another partition it could overtake them.)
        await send(OTHER_CDMO, [
          devBNew.reported('2026-04-30T09:00:00Z', 'major', [B_NEW], '2026-04-30T08:00:00Z'),
        ]);
        await waitFor(
          () =>
            readinessOf(readinessB, B_NEW).some((r) =>
              r?.blockers.some((b) => b.kind === 'OPEN_DEVIATION'),
            ) && deviationOf(deviationsB, DEV_B_NEW).length > 0,
          {
            timeoutMs: 30_000,
            description: `${OTHER_SPONSOR} hearing of ${B_NEW} and ${DEV_B_NEW}`,
          },
        );
        const everythingB = [batchesB, readinessB, deviationsB].flatMap((c) =>
          c.results.map((r) => JSON.stringify(r.payload)),
        );
        // Nothing that names pair A, and no null payload (a change of a row it may not read).
        for (const payload of everythingB) {
          expect(payload).not.toMatch(/b-nb-|dev-nb-/);
          expect(payload).not.toMatch(/:null\}$/);
        }
        expect([...batchesB.errors, ...readinessB.errors, ...deviationsB.errors]).toEqual([]);
        expect(projectorErrors).toEqual([]);
        expect(service!.metrics.snapshot()).toMatchObject({ accepted: 6, deadLettered: 0 });
      });

      it('survives a burst of changes faster than a subscriber takes them, and delivers the latest', async () => {
        // The projector publishes a whole chunk at once (up to two changes per event of 500), and
        // a catch-up publishes chunk after chunk; a subscriber reads the row of each change it
        // is handed. Nothing it has not taken yet may pile up without bound, or crash the server.
        const token = await world.token(SPONSOR);
        const burst = collectWs<BatchPayload>(wsClient(token), BATCH_CHANGED);
        streams.push(burst as Collected<unknown>);
        await untilListening(SPONSOR, CDMO, { batch: A1, deviation: DEV_A }, burst);
        const change = (id: string) =>
          ({ kind: 'batch', id, sponsorId: SPONSOR, cdmoId: CDMO, position: 0n }) as const;
        world.api.changes.publish(Array.from({ length: 5_000 }, (_, n) => change(n % 2 ? A1 : A2)));
        world.api.changes.publish([change(A_NEW)]);
        await waitFor(() => batchOf(burst, A_NEW).length > 0, {
          description: `the change after the burst (${A_NEW})`,
        });
        // A row that changed again before the subscriber took it is delivered once, as it is now.
        expect(burst.results.length).toBeLessThan(100);
        expect(burst.errors).toEqual([]);
        const { body } = await world.graphql(token, `{ batch(id: "${A_NEW}") { batchId } }`);
        expect(body.data).toEqual({ batch: { batchId: A_NEW } });
      });
    });
  },
);
