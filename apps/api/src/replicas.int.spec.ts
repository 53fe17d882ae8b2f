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
import { pgDatabase, sqlLeaderElections, type SqlDatabase } from '@concord/sql';
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

/** An API replica on the database at `url`, its connections named `name` in pg_stat_activity. */
async function startReplica(
  url: string,
  issuer: DevIssuer,
  options: { name: string; projector?: boolean },
): Promise<Replica> {
  const db = pgDatabase({ connectionString: url, applicationName: options.name });
  const store = await PostgresEventStore.open(db);
  const prisma = readModelPrisma({ connectionString: url });
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
    projector: options.projector ?? true,
    // Quick to hand over, for the test's sake (the default asks every second).
    elector: sqlLeaderElections(db, { retryMs: 100, heartbeatMs: 100 }),
  });
  return { db, store, prisma, server };
}

async function stopReplica({ server, prisma, store }: Replica): Promise<void> {
  await server.close();
  await prisma.$disconnect();
  await store.close();
}

/**
 * Every batchChanged a subscriber of `organizationId` receives from `at`, in order, and the
 * errors it was sent; resolves once the replica registered the subscription.
 */
async function subscribeToBatches(
  issuer: DevIssuer,
  at: Replica,
  organizationId: string,
  clients: Client[],
) {
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
  const before = at.server.api.changes.subscribers;
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
  await waitFor(() => at.server.api.changes.subscribers > before, {
    description: 'the subscription registered',
  });
  return { received, errors };
}

describeWithPostgres('two API replicas on one database', (database) => {
  const replicas: Replica[] = [];
  const clients: Client[] = [];
  let issuer: DevIssuer;
  let exchange: PartnerExchange;

  const replica = async (projector: boolean): Promise<Replica> => {
    const started = await startReplica(database().url, issuer, {
      name: 'concord-replica',
      projector,
    });
    replicas.push(started);
    return started;
  };
  const subscribe = (at: Replica, organizationId: string) =>
    subscribeToBatches(issuer, at, organizationId, clients);

  beforeAll(async () => {
    issuer = await DevIssuer.open();
    await replica(true);
    const store = (await replica(false)).store;
    exchange = await partnerExchange(store, { secondPair: true });
  });

  afterAll(async () => {
    await Promise.all(clients.map((client) => client.dispose()));
    for (const replica of replicas.splice(0)) await stopReplica(replica);
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

describeWithPostgres('API replicas electing the projector', (database) => {
  const replicas: Replica[] = [];
  const clients: Client[] = [];
  let issuer: DevIssuer;
  let exchange: PartnerExchange;

  const replica = async (name: string): Promise<Replica> => {
    const started = await startReplica(database().url, issuer, { name });
    replicas.push(started);
    return started;
  };
  const leads = (at: Replica, role = 'read-model') =>
    at.server.leadership.some((held) => held.role === role && held.leading);
  const batchStatuses = async (at: Replica, organizationId: string) =>
    (await subscribeToBatches(issuer, at, organizationId, clients)).received;

  beforeAll(async () => {
    issuer = await DevIssuer.open();
    await replica('concord-replica-0');
    await replica('concord-replica-1');
    exchange = await partnerExchange(replicas[0]!.store, { secondPair: true });
  });

  afterAll(async () => {
    await Promise.all(clients.map((client) => client.dispose()));
    for (const replica of replicas.splice(0)) await stopReplica(replica);
  });

  it('runs one projector and one process manager, and hands them over when the leader fails', async () => {
    await waitFor(() => replicas.filter((at) => leads(at)).length === 1, {
      description: 'one projector elected',
    });
    await waitFor(
      () => replicas.filter((at) => leads(at, 'process-manager-deviation-batch')).length === 1,
      { description: 'one process manager elected' },
    );
    const leader = replicas.find((at) => leads(at))!;
    const follower = replicas.find((at) => at !== leader)!;
    const leaderName = `concord-replica-${replicas.indexOf(leader)}`;
    const heard = await batchStatuses(follower, SPONSOR);
    const { batch } = exchange.feed;
    await exchange.publish([batch(PAIR_A, A[0]!).scheduled('2026-04-10T08:00:00Z')]);
    await waitFor(() => heard.includes(`${A[0]} SCHEDULED`), {
      description: "the follower's subscriber hearing the leader's projection",
      timeoutMs: 10_000,
    });

    // The leader's connection is cut (its host lost, an operator's pg_terminate_backend).
    const admin = pgDatabase({ connectionString: database().url, maxConnections: 1 });
    try {
      // Every connection of the leader's, as a network cut would end them.
      await admin.query(
        `select pg_terminate_backend(pid) from pg_stat_activity where application_name = $1`,
        [leaderName],
      );
    } finally {
      await admin.close();
    }
    await waitFor(() => leads(follower) && !leads(leader), {
      description: 'the follower took the projector over',
    });
    await exchange.publish([batch(PAIR_A, A[0]!).started('2026-04-11T08:00:00Z')]);
    await waitFor(() => heard.includes(`${A[0]} IN_MANUFACTURE`), {
      description: 'the new leader projecting',
      timeoutMs: 10_000,
    });

    // The new leader stops (a rolling upgrade): the first replica leads again.
    const survivor = leader;
    const heardOnSurvivor = await batchStatuses(survivor, SPONSOR);
    await exchange.publish([batch(PAIR_A, A[1]!).scheduled('2026-04-12T08:00:00Z')]);
    await waitFor(() => heardOnSurvivor.includes(`${A[1]} SCHEDULED`), {
      description: "the survivor's subscriber listening",
      timeoutMs: 10_000,
    });
    replicas.splice(replicas.indexOf(follower), 1);
    await Promise.all(clients.splice(0, 1).map((client) => client.dispose()));
    await stopReplica(follower);
    await waitFor(() => leads(survivor), { description: 'the survivor took over' });
    await exchange.publish([batch(PAIR_A, A[1]!).started('2026-04-13T08:00:00Z')]);
    await waitFor(() => heardOnSurvivor.includes(`${A[1]} IN_MANUFACTURE`), {
      description: 'the survivor projecting',
      timeoutMs: 10_000,
    });
    expect(await survivor.server.projector.checkpoint()).toBe(await survivor.store.headPosition());
  });
});
