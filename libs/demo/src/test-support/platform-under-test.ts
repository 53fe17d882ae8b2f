// The parts of the embedded platform the demo feed talks to, assembled as the API server does
// (the API server is an app, and a library's tests may not import an app): the real HTTP ingest
// handler over node:http authenticating with the Authenticator and the demo's API keys, the
// projector filling the read model, and the deviation ↔ batch process manager.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  AuthenticationError,
  Authenticator,
  DEV_AUDIENCE,
  DEV_ISSUER,
  DevIssuer,
} from '@concord/auth';
import { delay, runSubscription, type EventStore, type Subscription } from '@concord/event-store';
import { PostgresEventStore } from '@concord/event-store-postgres';
import {
  httpIngestHandler,
  IngestPipeline,
  sqlOutcomeLog,
  reactTo,
  startDeviationBatchLinker,
} from '@concord/ingest';
import { migrateReadModel, Projector } from '@concord/read-model';
import type { SqlDatabase } from '@concord/sql';
import { demoApiKeyRecords, type DemoKeys } from '../demo-keys.ts';
import { seedDemoWorld } from '../seed-demo-world.ts';

export interface PlatformUnderTest {
  store: EventStore;
  db: SqlDatabase;
  projector: Projector;
  ingestUrl: string;
  /** Errors of the projector and the process manager (a test expects none). */
  errors: unknown[];
  /** Waits until the read model has everything the store has now. */
  caughtUp(): Promise<void>;
  /** Stops serving and following (the database stays open). */
  close(): Promise<void>;
}

async function serve(
  handler: (request: Request) => Promise<Response>,
): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    void (async () => {
      const chunks: Buffer[] = [];
      for await (const chunk of request) chunks.push(chunk as Buffer);
      const headers = new Headers();
      for (const [name, value] of Object.entries(request.headers))
        if (typeof value === 'string') headers.set(name, value);
      const answer = await handler(
        new Request(`http://127.0.0.1${request.url ?? '/'}`, {
          method: request.method ?? 'GET',
          headers,
          ...(request.method === 'POST' ? { body: Buffer.concat(chunks) } : {}),
        }),
      );
      response.writeHead(answer.status, Object.fromEntries(answer.headers));
      response.end(Buffer.from(await answer.arrayBuffer()));
    })().catch((error: unknown) => {
      if (!response.headersSent) response.writeHead(500);
      response.end(String(error));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * The deviation ↔ batch process manager with its checkpoint saved after each batch rather than
 * in the batch's transaction. startDeviationBatchLinker handles batches inside the checkpoint's
 * transaction while reactTo reads and appends through the store's own connection: on PGlite's
 * single connection that waits for itself forever as soon as a deviation is reported. reactTo is
 * idempotent (ids derived from the triggering event), so handling a batch twice after a crash
 * records nothing twice.
 */
function linkerOutsideTransactions(store: EventStore, onError: (error: unknown) => void) {
  const subscriberId = 'process-manager-deviation-batch';
  return runSubscription(
    {
      loadCheckpoint: () => store.loadCheckpoint(subscriberId),
      read: (after, maxCount) => store.readAll({ after, maxCount }),
      handle: async (events) => {
        for (const event of events) await reactTo(store, event, onError);
        const last = events.at(-1)!.globalPosition;
        await store.saveCheckpoint(subscriberId, last);
        return last;
      },
      waitForChange: (timeoutMs, signal) => delay(timeoutMs, signal),
    },
    { batchSize: 200, pollIntervalMs: 100, onError },
  );
}

/**
 * Opens the store on `db`, migrates the read model, seeds the demo world and starts serving.
 * On PGlite the process manager runs outside transactions (see linkerOutsideTransactions).
 */
export async function startPlatformUnderTest(
  db: SqlDatabase,
  keys: DemoKeys,
  options: { pglite?: boolean } = {},
): Promise<PlatformUnderTest> {
  const store = await PostgresEventStore.open(db);
  await migrateReadModel(db);
  await seedDemoWorld(store, { keys });
  const errors: unknown[] = [];
  const projector = new Projector({ store, db });
  const projecting: Subscription = projector.start((error) => errors.push(error));
  const linker = options.pglite
    ? linkerOutsideTransactions(store, (error) => errors.push(error))
    : startDeviationBatchLinker({
        store,
        onError: (error) => errors.push(error),
        onRefused: (refusal) => errors.push(refusal),
      });
  const issuer = await DevIssuer.open();
  const authenticator = new Authenticator({
    issuer: DEV_ISSUER,
    audience: DEV_AUDIENCE,
    keys: issuer.jwks(),
    apiKeys: demoApiKeyRecords(keys),
  });
  const server = await serve(
    httpIngestHandler({
      pipeline: new IngestPipeline({ store, outcomes: await sqlOutcomeLog(db) }),
      authenticate: async (request) => {
        try {
          return (await authenticator.authenticate(request.headers.get('authorization')))
            ?.organizationId;
        } catch (error) {
          if (error instanceof AuthenticationError) return undefined;
          throw error;
        }
      },
    }),
  );
  return {
    store,
    db,
    projector,
    ingestUrl: `${server.url}/ingest`,
    errors,
    async caughtUp() {
      // The process manager appends in turn: wait until neither has anything left to do.
      for (;;) {
        const head = await store.headPosition();
        await linker.waitFor(head);
        await projecting.waitFor(head);
        if ((await store.headPosition()) === head) return;
      }
    },
    async close() {
      await server.close();
      await linker.stop();
      await projecting.stop();
    },
  };
}
