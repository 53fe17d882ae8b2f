import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { AuthenticationError, type Authenticator, type DevIssuer } from '@concord/auth';
import { DEFAULT_MAX_BATCH_BYTES } from '@concord/contract';
import { superviseSubscription, type EventStore } from '@concord/event-store';
import { CheckpointLog, receiptSigner } from '@concord/evidence';
import {
  DEVIATION_BATCH_LINKER,
  httpIngestHandler,
  IngestPipeline,
  sqlOutcomeLog,
  startDeviationBatchLinker,
  DEADLINE_PROCESS,
  startDeadlineProcess,
  type DeadlineProcess,
} from '@concord/ingest';
import {
  listenToChanges,
  migrateReadModel,
  sqlDeadlineIndex,
  Projector,
  type ReadModelPrisma,
} from '@concord/read-model';
import {
  logLeadership,
  sqlLeaderElections,
  type Elector,
  type Leadership,
  type SqlDatabase,
} from '@concord/sql';
import type { Logger } from 'pino';
import { AUDIT_PREFIX, auditRoutes } from './audit-routes.ts';
import { DEV_TOKEN_PREFIX, devTokenRoutes } from './dev-tokens.ts';
import { ChangeFeed } from './change-feed.ts';
import { LOG_PREFIX, logRoutes } from './log-routes.ts';
import { QP_REGISTER_PATH, qpRegisterRoutes } from './qp-register.ts';
import { Operations } from './operations.ts';
import { createApi, MAX_REQUEST_BYTES, type Api, type ApiOptions } from './server.ts';
import { staticFiles } from './static-files.ts';
import { sqlStepUpLedger } from './step-up-ledger.ts';

export interface ApiServerOptions
  extends Pick<
    ApiOptions,
    | 'graphiql'
    | 'maxDepth'
    | 'maxAliases'
    | 'maxCost'
    | 'maxTokens'
    | 'maxRequestBytes'
    | 'platformKeyring'
    | 'platformKey'
    | 'quarantine'
  > {
  store: EventStore;
  /** The read model's database (the projector writes it). */
  db: SqlDatabase;
  prisma: ReadModelPrisma;
  authenticator: Authenticator;
  logger: Logger;
  /** @default 4000 */
  port?: number;
  /** @default '127.0.0.1' */
  host?: string;
  /** A client's request headers must arrive within this. @default HEADERS_TIMEOUT_MS */
  headersTimeoutMs?: number;
  /** A client's whole request, body included, must arrive within this. @default REQUEST_TIMEOUT_MS */
  requestTimeoutMs?: number;
  /** Also accept partner events over HTTP at /ingest (same pipeline as Kafka). @default true */
  httpIngest?: boolean;
  /**
   * Run the deviation ↔ batch process manager here (what blocks a release follows its
   * deviations), when elected: one process runs it at a time, this one or an ingest instance.
   * @default true when HTTP ingest is on
   */
  processManager?: boolean;
  /**
   * Run the deadline process here when elected (due-soon and overdue warnings of deviations'
   * investigation, CAPA and closure due dates), with the process manager by default.
   */
  deadlines?: boolean | { clock?: () => Date; intervalMs?: number };
  /**
   * Development mode only (the embedded demo): mount /dev/personas, /dev/token and /dev/step-up,
   * which hand out this issuer's tokens to anyone. Never pass it with a real identity provider.
   * @default undefined (no development routes)
   */
  devIssuer?: DevIssuer;
  /** Serve this folder (the built dashboard, apps/web/dist) at /. @default undefined */
  webRoot?: string;
  /** /ready fails while the projector is more events than this behind the store. @default 10_000 */
  maxProjectorLagEvents?: number;
  /**
   * Stand for election to run the projector. Of the replicas that stand, one runs it at a time
   * and another takes over within seconds when it fails; every replica hears every change.
   * @default true
   */
  projector?: boolean;
  /**
   * How the replicas choose who runs the projector and the process manager.
   * @default `sqlLeaderElections(db)`: a session advisory lock per role in the database
   */
  elector?: Elector;
}

/**
 * How long a client may take to send its request headers (Node's default: a minute). A client
 * that takes longer is answered 408 and its connection closed: a connection held open by a
 * trickle of bytes serves nobody and counts against the server's sockets.
 */
export const HEADERS_TIMEOUT_MS = 20_000;
/**
 * How long a client may take to send a whole request, body included (Node's default: five
 * minutes): 10 MiB of partner events (HTTP ingest's limit) at 1.4 Mbit/s. It bounds what the
 * client sends, not the answer: a subscription's stream (SSE) stays open as long as it is read.
 */
export const REQUEST_TIMEOUT_MS = 60_000;

export interface ApiServer {
  api: Api;
  projector: Projector;
  /** The roles this replica stands for, and whether it leads each now. */
  leadership: Leadership[];
  /** The deadline process, while this replica leads it (a test looks a round at once with it). */
  deadlines(): DeadlineProcess | undefined;
  /** e.g. http://127.0.0.1:4000 */
  url: string;
  close(): Promise<void>;
}

/**
 * One process serving the read side: migrations applied, the projector following the store and
 * feeding subscriptions, GraphQL (with GraphiQL) at /graphql over HTTP, SSE and graphql-ws, HTTP
 * ingest at /ingest, the audit downloads at /audit/… (report, evidence bundle), the signed
 * checkpoints at /log/checkpoints/latest; for operators /health (liveness), /ready (database,
 * migrations, projector lag) and /metrics (Prometheus); any other path answers 404.
 */
export async function startApiServer(options: ApiServerOptions): Promise<ApiServer> {
  const { store, db, prisma, logger } = options;
  const maxRequestBytes = options.maxRequestBytes ?? MAX_REQUEST_BYTES;
  await migrateReadModel(db);
  const stepUps = await sqlStepUpLedger(db);
  // The checkpoints the platform signs (the ingest process signs them periodically) and every
  // answer ingest gave with its receipt, in the same database: served to partners.
  const checkpoints = await CheckpointLog.open(db);
  const outcomes = await sqlOutcomeLog(db);
  // Subscribers hear every change the read model commits, whichever replica's projector
  // committed it: the projector announces each chunk through the database, every replica listens.
  const changes = new ChangeFeed();
  const stopListening = await listenToChanges(db, (changed) => changes.publish(changed), {
    onError: (error) => logger.error({ err: error }, 'a read-model announcement was unreadable'),
  });
  const projector = new Projector({
    store,
    db,
    logger,
    announce: true,
    onProjected: (events) => operations.observeProjected(events),
  });
  const operations = new Operations({
    store,
    db,
    projector,
    subscribers: () => changes.subscribers,
    leadership: () => leadership,
    ...(options.maxProjectorLagEvents !== undefined
      ? { maxLagEvents: options.maxProjectorLagEvents }
      : {}),
  });
  const api = createApi({
    ...options,
    prisma,
    store,
    db,
    stepUps,
    checkpoints,
    outcomes,
    changes,
    deadLetters: projector,
    plugins: [operations.plugin()],
  });
  // Every route takes the API keys issued through administration too.
  const { authenticator } = api;
  // A lost database connection stops a subscription; it starts again from its checkpoint.
  const restarting = (subscription: string) => (error: unknown, retryInMs: number) =>
    logger.error({ err: error, subscription, retryInMs }, 'subscription failed; restarting');
  const elect = options.elector ?? sqlLeaderElections(db, { onEvent: logLeadership(logger) });
  const leadership: Leadership[] = [];
  if (options.projector !== false)
    leadership.push(
      elect(projector.name, () =>
        superviseSubscription((onError) => projector.start(onError), {
          onFailure: restarting('projector'),
        }),
      ),
    );
  if (options.processManager ?? options.httpIngest !== false)
    leadership.push(
      elect(DEVIATION_BATCH_LINKER, () =>
        superviseSubscription(
          (onError) =>
            startDeviationBatchLinker({
              store,
              onError,
              onRefused: (refusal) =>
                logger.warn(
                  { streamId: refusal.streamId, type: refusal.type, err: refusal.error },
                  'a batch refused what the process manager asked',
                ),
            }),
          { onFailure: restarting('deviation-batch-linker') },
        ),
      ),
    );
  const deadlines = options.deadlines ?? options.processManager ?? options.httpIngest !== false;
  let deadlineProcess: DeadlineProcess | undefined;
  if (deadlines !== false) {
    const { clock, intervalMs } = deadlines === true ? {} : deadlines;
    leadership.push(
      elect(DEADLINE_PROCESS, () => {
        const process = startDeadlineProcess({
          store,
          index: sqlDeadlineIndex(db),
          ...(clock ? { clock } : {}),
          ...(intervalMs !== undefined ? { intervalMs } : {}),
          onError: (error) => logger.error({ err: error }, 'a deadline warning failed; retried'),
          onWarned: (warning) => logger.info(warning, 'deadline warning recorded'),
        });
        deadlineProcess = process;
        return {
          async stop() {
            if (deadlineProcess === process) deadlineProcess = undefined;
            await process.stop();
          },
        };
      }),
    );
  }
  const ingest =
    options.httpIngest === false
      ? undefined
      : httpIngestHandler({
          pipeline: new IngestPipeline({
            store,
            outcomes,
            // Every answer carries the platform's signed receipt, when this server has its key.
            ...(options.platformKey ? { receipts: receiptSigner(options.platformKey) } : {}),
          }),
          // Events come from partner systems, on their API keys; a person's token (to read, to
          // sign) is never a way to send them.
          authenticate: async (request) => {
            try {
              const caller = await authenticator.authenticate(request.headers.get('authorization'));
              return caller?.kind === 'system' ? caller.organizationId : undefined;
            } catch (error) {
              if (error instanceof AuthenticationError) return undefined;
              throw error;
            }
          },
        });

  const devTokens = options.devIssuer
    ? devTokenRoutes({ issuer: options.devIssuer, authenticator, prisma })
    : undefined;
  const web = options.webRoot ? staticFiles(options.webRoot) : undefined;
  const audit = auditRoutes({
    store,
    prisma,
    authenticator,
    checkpoints,
    ...(options.platformKeyring ? { platformKeyring: options.platformKeyring } : {}),
    ...(options.platformKey ? { platformKey: options.platformKey } : {}),
  });
  const log = logRoutes({ authenticator, checkpoints });
  const qpRegister = qpRegisterRoutes({ prisma, authenticator });

  /** Answers with a Fetch API handler, its body read up to `maxBytes` (else 413). */
  const serve = (
    handler: (request: Request) => Promise<Response>,
    request: IncomingMessage,
    response: ServerResponse,
    failure: string,
    maxBytes = maxRequestBytes,
  ) =>
    void serveFetch(handler, request, response, maxBytes).catch((error: unknown) => {
      logger.error({ err: error }, failure);
      if (!response.headersSent) response.writeHead(500).end();
    });
  const requestTimeout = options.requestTimeoutMs ?? REQUEST_TIMEOUT_MS;
  const headersTimeout = Math.min(options.headersTimeoutMs ?? HEADERS_TIMEOUT_MS, requestTimeout);
  const timeouts = {
    headersTimeout,
    requestTimeout,
    // Node looks for late requests this often (its default, 30 s, would let one run on that long).
    connectionsCheckingInterval: Math.max(50, Math.min(1_000, Math.floor(headersTimeout / 4))),
  };
  const server = createServer(timeouts, (request, response) => {
    const path = new URL(request.url ?? '/', 'http://localhost').pathname;
    if (path === '/health') {
      // Liveness: the process answers. Whether it may take traffic is /ready's question.
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(
        JSON.stringify({
          status: 'ok',
          leading: leadership.filter((role) => role.leading).map((role) => role.role),
        }),
      );
      return;
    }
    if (path === '/ready') {
      void operations
        .readiness()
        .then((readiness) => {
          response.writeHead(readiness.ready ? 200 : 503, {
            'content-type': 'application/json',
            'cache-control': 'no-store',
          });
          response.end(JSON.stringify(readiness));
        })
        .catch((error: unknown) => {
          logger.error({ err: error }, 'the readiness check failed');
          if (!response.headersSent) response.writeHead(503).end();
        });
      return;
    }
    if (path === '/metrics') {
      void operations
        .metrics()
        .then(({ contentType, body }) => {
          response.writeHead(200, { 'content-type': contentType, 'cache-control': 'no-store' });
          response.end(body);
        })
        .catch((error: unknown) => {
          logger.error({ err: error }, 'collecting the metrics failed');
          if (!response.headersSent) response.writeHead(500).end();
        });
      return;
    }
    if (path === '/ingest' && ingest)
      return serve(ingest, request, response, 'HTTP ingest failed', DEFAULT_MAX_BATCH_BYTES);
    if (path.startsWith(AUDIT_PREFIX))
      return serve(audit, request, response, 'the audit download failed');
    if (path === QP_REGISTER_PATH)
      return serve(qpRegister, request, response, 'the register download failed');
    if (path.startsWith(LOG_PREFIX)) return serve(log, request, response, 'the log route failed');
    if (devTokens && path.startsWith(DEV_TOKEN_PREFIX)) {
      const answer = async (fetchRequest: Request) =>
        (await devTokens(fetchRequest)) ?? new Response(null, { status: 404 });
      return serve(answer, request, response, 'development token route failed');
    }
    if (path === api.yoga.graphqlEndpoint) {
      void api.yoga(request, response);
      return;
    }
    // Everything else is the dashboard's files, or nothing: never the dashboard's page for a path
    // it does not have (a probe of /metrics or /ready must not pass on index.html).
    const notFound = () => {
      response.writeHead(404, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ error: `no such path: ${path}` }));
    };
    if (!web) return notFound();
    void web(request, response)
      .then((served) => {
        if (!served) notFound();
      })
      .catch((error: unknown) => {
        logger.error({ err: error }, 'serving the dashboard failed');
        if (!response.headersSent) response.writeHead(500).end();
      });
  });
  const closeSockets = api.attachWebSockets(server);
  await new Promise<void>((resolve) =>
    server.listen(options.port ?? 4000, options.host ?? '127.0.0.1', resolve),
  );
  const address = server.address() as { port: number; address: string };
  const url = `http://${address.address}:${address.port}`;
  return {
    api,
    projector,
    leadership,
    url,
    deadlines: () => deadlineProcess,
    async close() {
      await closeSockets();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await Promise.all(leadership.map((role) => role.stop()));
      await stopListening();
    },
  };
}

/** Serves a fetch-style handler on a node request. */
async function serveFetch(
  handler: (request: Request) => Promise<Response>,
  request: IncomingMessage,
  response: ServerResponse,
  maxBytes: number,
): Promise<void> {
  const tooLarge = () => {
    response.writeHead(413, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ error: `the body exceeds ${maxBytes} bytes` }));
  };
  if (Number(request.headers['content-length'] ?? 0) > maxBytes) return tooLarge();
  const headers = new Headers();
  for (const [name, value] of Object.entries(request.headers))
    if (typeof value === 'string') headers.set(name, value);
  const body = request.method === 'POST' ? new LimitedBody(request, maxBytes) : undefined;
  let answer: Response | undefined;
  try {
    answer = await handler(
      new Request(`http://localhost${request.url ?? '/'}`, {
        method: request.method ?? 'GET',
        headers,
        ...(body ? { body: body.stream, duplex: 'half' } : {}),
      }),
    );
  } catch (error) {
    if (!body?.exceeded) throw error;
  } finally {
    await body?.letRestGo();
  }
  if (!answer || body?.exceeded) return tooLarge();
  response.writeHead(answer.status, Object.fromEntries(answer.headers));
  response.end(Buffer.from(await answer.arrayBuffer()));
}

/**
 * A request's body as the handler reads it, no sooner (a handler that refuses the caller first
 * reads none of it) and no further than `maxBytes`: past that, reading it fails and `exceeded`
 * is set. A client cannot make the server hold more than that, whoever it is.
 */
class LimitedBody {
  readonly stream: ReadableStream<Uint8Array>;
  exceeded = false;
  readonly #request: IncomingMessage;
  #chunks: AsyncIterator<Buffer> | undefined;

  constructor(request: IncomingMessage, maxBytes: number) {
    this.#request = request;
    let size = 0;
    this.stream = new ReadableStream<Uint8Array>(
      {
        pull: async (controller) => {
          // Kept alive on return: what is left of the body is let go, not the connection.
          this.#chunks ??= request.iterator({ destroyOnReturn: false });
          const { value, done } = await this.#chunks.next();
          if (done) return controller.close();
          size += value.length;
          if (size <= maxBytes) return controller.enqueue(value);
          this.exceeded = true;
          controller.error(new Error(`the body exceeds ${maxBytes} bytes`));
        },
      },
      { highWaterMark: 0 },
    );
  }

  /**
   * What the handler did not read is read and dropped, so that a client still sending gets the
   * answer, and the connection serves its next request.
   */
  async letRestGo(): Promise<void> {
    await this.#chunks?.return?.();
    if (!this.#request.readableEnded) this.#request.resume();
  }
}
