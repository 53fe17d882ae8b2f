// An HTTP ingest endpoint for CLI tests: node:http around the real httpIngestHandler, over an
// in-memory store seeded with the ingest tests' partner world. Listens on 127.0.0.1, random port.
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { OrganizationSigningKeyRegisteredV1 } from '@concord/contract';
import { InMemoryEventStore, type EventStore } from '@concord/event-store';
import {
  bearerTokens,
  httpIngestHandler,
  inMemoryOutcomeLog,
  IngestPipeline,
  streams,
} from '@concord/ingest';
import { CDMO, seedPartnerWorld, type PartnerWorld } from '@concord/ingest/test-support';

export const CDMO_TOKEN = 'cdmo-token';

export interface TestServer {
  url: string;
  requests: number;
  close(): Promise<void>;
}

/** Serves a Fetch API handler over node:http. */
export async function serve(handler: (request: Request) => Promise<Response>): Promise<TestServer> {
  const state = { requests: 0 };
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    state.requests++;
    void (async () => {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      const headers = new Headers();
      for (const [name, value] of Object.entries(req.headers)) {
        if (typeof value === 'string') headers.set(name, value);
      }
      const response = await handler(
        new Request(`http://127.0.0.1${req.url}`, {
          method: req.method,
          headers,
          ...(req.method === 'POST' ? { body: Buffer.concat(chunks) } : {}),
        }),
      );
      res.writeHead(response.status, Object.fromEntries(response.headers));
      res.end(Buffer.from(await response.arrayBuffer()));
    })().catch((error: unknown) => {
      res.writeHead(500).end(String(error));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    get requests() {
      return state.requests;
    },
    close: () =>
      new Promise<void>((resolve, reject) =>
        server.close((error) => (error ? reject(error) : resolve())),
      ),
  };
}

/** Records a partner's new key as the platform's administration does (see partner-world.ts). */
export async function registerSigningKey(
  store: EventStore,
  registration: OrganizationSigningKeyRegisteredV1,
): Promise<void> {
  await store.append(streams.organization(registration.organizationId), [
    {
      id: randomUUID(),
      type: 'concord.organization.signing-key-registered.v1',
      data: { ...registration },
      metadata: { actorid: 'concord-admin', actororg: 'concord', time: '2026-01-05T09:00:00Z' },
    },
  ]);
}

/** Concord's HTTP ingest over a seeded in-memory store; `registerKey` records a new key. */
export async function ingestServer(): Promise<
  TestServer & {
    world: PartnerWorld;
    store: EventStore;
    registerKey(registration: OrganizationSigningKeyRegisteredV1): Promise<void>;
  }
> {
  const store = new InMemoryEventStore();
  const world = await seedPartnerWorld(store);
  const server = await serve(
    httpIngestHandler({
      pipeline: new IngestPipeline({ store, outcomes: inMemoryOutcomeLog() }),
      authenticate: bearerTokens({ [CDMO_TOKEN]: CDMO }),
    }),
  );
  return Object.assign(server, {
    world,
    store,
    registerKey: (registration: OrganizationSigningKeyRegisteredV1) =>
      registerSigningKey(store, registration),
  });
}
