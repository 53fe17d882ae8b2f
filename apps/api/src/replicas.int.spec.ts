// Two API replicas on one database, as behind a load balancer: a subscriber hears every change it
// is entitled to whichever replica it is connected to, not only those its replica projected.
import { Authenticator, DEV_AUDIENCE, DEV_ISSUER, DevIssuer } from '@concord/auth';
import { PostgresEventStore } from '@concord/event-store-postgres';
import {
  OTHER_SPONSOR,
  PAIR_A,
  PAIR_B,
  partnerExchange,
  personIn,
  SPONSOR,
  type PartnerExchange,
} from '@concord/ingest/test-support';
import { readModelPrisma, type ReadModelPrisma } from '@concord/read-model';
import { pgDatabase, type SqlDatabase } from '@concord/sql';
import { waitFor } from '@concord/test-infra';
import { describeWithPostgres } from '@concord/test-infra/vitest';
import { createClient, type Client } from 'graphql-ws';
import pino from 'pino';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { startApiServer, type ApiServer } from './api-server.ts';

const A = ['01', '02', '03', '04'].map((n) => `northbridge-bio:b-nb-hlv201-26-07${n}`);
const B = 'caldera-biologics:b-cal-aur310-26-0701';

interface Replica {
  db: SqlDatabase;
  store: PostgresEventStore;
  prisma: ReadModelPrisma;
  server: ApiServer;
}

describeWithPostgres('two API replicas on one database', (database) => {
  const replicas: Replica[] = [];
  const clients: Client[] = [];
  let issuer: DevIssuer;
  let exchange: PartnerExchange;

  const replica = async (projector: boolean): Promise<Replica> => {
    const db = pgDatabase({ connectionString: database().url });
    const store = await PostgresEventStore.open(db);
    const prisma = readModelPrisma({ connectionString: database().url });
    const server = await startApiServer({
      store,
      db,
      prisma,
      authenticator: new Authenticator({
        issuer: DEV_ISSUER,
        audience: DEV_AUDIENCE,
        keys: issuer.jwks(),
      }),
      logger: pino({ level: 'silent' }),
      port: 0,
      projector,
    });
    const started = { db, store, prisma, server };
    replicas.push(started);
    return started;
  };

  /** Every batchChanged a subscriber of `organizationId` receives from `at`, in order. */
  const subscribe = async (at: Replica, organizationId: string) => {
    const qa = personIn(organizationId, 'qa');
    const token = await issuer.mint({
      personId: qa.personId,
      organizationId,
      roles: ['qa'],
      name: qa.printedName,
    });
    const client = createClient({
      url: at.server.url.replace('http', 'ws') + '/graphql',
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${token}` },
    });
    clients.push(client);
    const received: string[] = [];
    const errors: unknown[] = [];
    client.subscribe<{ batchChanged: { batchId: string; status: string } }>(
      { query: 'subscription { batchChanged { batchId status } }' },
      {
        next: ({ data }) => {
          if (data) received.push(`${data.batchChanged.batchId} ${data.batchChanged.status}`);
        },
        error: (error) => errors.push(error),
        complete: () => undefined,
      },
    );
    return { received, errors };
  };

  beforeAll(async () => {
    issuer = await DevIssuer.open();
    await replica(true);
    const store = (await replica(false)).store;
    exchange = await partnerExchange(store, { secondPair: true });
  });

  afterAll(async () => {
    await Promise.all(clients.map((client) => client.dispose()));
    for (const { server, prisma, store } of replicas) {
      await server.close();
      await prisma.$disconnect();
      await store.close();
    }
  });

  it('a subscriber on the replica without a projector hears every change of its partnerships', async () => {
    const [projecting, listening] = replicas as [Replica, Replica];
    const onProjecting = await subscribe(projecting, SPONSOR);
    const onListening = await subscribe(listening, SPONSOR);
    const stranger = await subscribe(listening, OTHER_SPONSOR);
    // Subscriptions are registered once their replica saw a first change through them.
    const fence = exchange.feed.batch(PAIR_A, 'northbridge-bio:b-nb-hlv201-26-0799');
    await exchange.publish([fence.scheduled('2026-04-09T08:00:00Z')]);
    await waitFor(
      () => [onProjecting, onListening].every((s) => s.received.some((r) => r.includes('-0799'))),
      { description: 'both subscribers listening', timeoutMs: 10_000 },
    );

    const { batch } = exchange.feed;
    for (const id of A)
      await exchange.publish([
        batch(PAIR_A, id).scheduled('2026-04-10T08:00:00Z'),
        batch(PAIR_A, id).started('2026-04-11T08:00:00Z'),
      ]);
    await exchange.publish([batch(PAIR_B, B).scheduled('2026-04-10T08:00:00Z')]);
    const finalStatuses = A.map((id) => `${id} IN_MANUFACTURE`);
    await waitFor(
      () =>
        finalStatuses.every(
          (status) =>
            onListening.received.includes(status) && onProjecting.received.includes(status),
        ),
      { description: 'every batch in manufacture at both replicas', timeoutMs: 10_000 },
    );
    // The other sponsor's subscriber, on the same replica, heard its own batch and nothing of A.
    await waitFor(() => stranger.received.some((r) => r.startsWith(B)), {
      description: 'the other sponsor hearing its batch',
      timeoutMs: 10_000,
    });
    expect(stranger.received.filter((r) => r.startsWith('northbridge-bio:'))).toEqual([]);
    expect([...onProjecting.errors, ...onListening.errors, ...stranger.errors]).toEqual([]);
    // The replica without a projector projected nothing; the other did it all.
    expect(await listening.server.projector.checkpoint()).toBe(
      await projecting.store.headPosition(),
    );
  });
});
