import type { Server } from 'node:http';
import {
  AuthenticationError,
  inMemoryStepUpLedger,
  type Authenticator,
  type Caller,
  type StepUpLedger,
} from '@concord/auth';
import type { EventStore } from '@concord/event-store';
import type { SqlDatabase } from '@concord/sql';
import type { CheckpointLog, PlatformKey, PlatformKeyring } from '@concord/evidence';
import type { OutcomeLog } from '@concord/ingest';
import {
  ReadScope,
  type Projector,
  type ReadModelPrisma,
  type ReadScopeOptions,
} from '@concord/read-model';
import { EnvelopArmor } from '@escape.tech/graphql-armor';
import {
  GraphQLError as GraphQLErrorClass,
  type ExecutionArgs,
  type GraphQLError,
  type ValidationContext,
  type execute,
  type subscribe,
} from 'graphql';
import { CloseCode } from 'graphql-ws';
import { useServer } from 'graphql-ws/use/ws';
import {
  createGraphQLError,
  createYoga,
  isAsyncIterable,
  type Plugin,
  type YogaServerInstance,
} from 'graphql-yoga';
import { WebSocketServer } from 'ws';
import { CallerCache } from './caller-cache.ts';
import { ChangeFeed } from './change-feed.ts';
import type { ApiContext } from './context.ts';
import { unicodeVariablesOnly } from './unicode-variables.ts';
import { requestBodyLimit } from './request-body-limit.ts';
import { costLimit } from './cost-limit.ts';
import { Administration } from './administration.ts';
import type { QuarantineService } from './schema/operator-desk.ts';
import { HumanActs } from './human-acts.ts';
import { schema } from './schema/index.ts';

/**
 * The largest GraphQL request, in bytes. An operation is at most 3,000 tokens and the largest
 * variables a dashboard or the CLI sends (an agreement's text, a signature) are a few kilobytes.
 */
export const MAX_REQUEST_BYTES = 1024 * 1024;

export interface ApiOptions {
  /** Prisma over the read model; each request reads through its own organization's scope. */
  prisma: ReadModelPrisma;
  /** The event store human acts are appended to (signing as the platform, when it has a key). */
  store: EventStore;
  /**
   * The platform's public keys, from outside the database: the audit views check every event
   * the platform recorded against them. @default undefined (platform signatures not checked)
   */
  platformKeyring?: PlatformKeyring;
  /** The platform's key, to sign checkpoints of the log on request. @default none: not offered */
  platformKey?: PlatformKey;
  /**
   * The checkpoints the platform signed and stored (`CheckpointLog.open(db)`): served to every
   * member, and what the audit views hold the store to (with the keyring).
   * @default none: not offered, verification against the record itself only
   */
  checkpoints?: CheckpointLog;
  /**
   * Ingest's answers with their signed receipts (`sqlOutcomeLog(db)`): each organization fetches
   * its own receipts. @default none: not offered
   */
  outcomes?: OutcomeLog;
  /** The projector whose dead letters operators list, retry and skip. @default none: not offered */
  deadLetters?: Projector;
  /** Ingest's quarantine, for operators to list, retry and skip. @default none: not offered */
  quarantine?: QuarantineService;
  authenticator: Authenticator;
  /** Where the projector publishes committed changes. @default a new feed */
  changes?: ChangeFeed;
  /** More yoga plugins, run after the API's own (e.g. the operations metrics). */
  plugins?: Plugin<Record<string, unknown>, ApiContext>[];
  /** Serve GraphiQL at the endpoint for browsers. @default true */
  graphiql?: boolean;
  /** Deepest selection accepted. @default 10 */
  maxDepth?: number;
  /** Most aliases in one operation. @default 10 */
  maxAliases?: number;
  /**
   * Highest estimated cost of one operation: roughly the objects it makes the server load and
   * resolve, pages and nested lists multiplied (see cost-limit.ts). @default 5000
   */
  maxCost?: number;
  /** Most tokens in one document. @default 3000 */
  maxTokens?: number;
  /**
   * Largest request body over HTTP, and largest graphql-ws message, in bytes: refused (413, or
   * the socket closed with 1009) as soon as it is known to be larger, never read whole.
   * @default MAX_REQUEST_BYTES (1 MiB)
   */
  maxRequestBytes?: number;
  /** The platform's clock for human acts. @default () => new Date() */
  clock?: () => Date;
  /** Where used e-signature credentials are kept. @default this process's memory */
  stepUps?: StepUpLedger;
  /** How each request's transaction over the read model waits, lives and ends. @default ReadScope's */
  readScope?: ReadScopeOptions;
  /** Where API keys' last use is kept (its migration applied). @default not kept */
  db?: SqlDatabase;
}

type Enveloped = {
  execute: (args: ExecutionArgs) => ReturnType<typeof execute>;
  subscribe: (args: ExecutionArgs) => ReturnType<typeof subscribe>;
};

/** graphql-armor's refusals ("Syntax Error: …"), said as what was exceeded and how to fix it. */
const ARMOR_LIMITS: [RegExp, (limit: number, found: number | undefined) => GraphQLError][] = [
  [
    /^Syntax Error: Query depth limit of (\d+) exceeded, found (\d+)\.$/,
    (limit, found) =>
      createGraphQLError(
        `The operation nests fields ${found} levels deep, above the limit of ${limit}: select less deeply, and follow links in a second operation.`,
        { extensions: { code: 'DEPTH_LIMIT_EXCEEDED', limit, found } },
      ),
  ],
  [
    /^Syntax Error: Aliases limit of (\d+) exceeded, found (\d+)\.$/,
    (limit, found) =>
      createGraphQLError(
        `The operation uses ${found} aliases, above the limit of ${limit}: use fewer aliases (a list field with a filter asks for many records at once).`,
        { extensions: { code: 'ALIAS_LIMIT_EXCEEDED', limit, found } },
      ),
  ],
  [
    /^Syntax Error: Directives limit of (\d+) exceeded, found (\d+)\.$/,
    (limit, found) =>
      createGraphQLError(
        `The operation uses ${found} directives, above the limit of ${limit}: use fewer @include/@skip.`,
        { extensions: { code: 'DIRECTIVE_LIMIT_EXCEEDED', limit, found } },
      ),
  ],
  [
    /^Syntax Error: Token limit of (\d+) exceeded\.$/,
    (limit) =>
      createGraphQLError(
        `The document has more than ${limit} tokens: send a smaller operation (fewer fields, or split it).`,
        { extensions: { code: 'TOKEN_LIMIT_EXCEEDED', limit } },
      ),
  ],
];

function explained(error: GraphQLError): GraphQLError {
  for (const [pattern, explain] of ARMOR_LIMITS) {
    const match = pattern.exec(error.message);
    if (match)
      return explain(Number(match[1]), match[2] === undefined ? undefined : Number(match[2]));
  }
  return error;
}

/** The token limit refuses while parsing (HTTP and WebSocket alike): its error explained. */
function explainedTokenLimit(): Plugin {
  return {
    onParse() {
      return ({ result, replaceParseResult }) => {
        if (result instanceof GraphQLErrorClass) replaceParseResult(explained(result));
      };
    },
  };
}

/**
 * Each operation's reads share one transaction (its ReadScope), which ends as soon as the
 * operation is answered; a subscription's transaction ends with each event it delivers (the
 * next event's reads open another), so a long-lived subscription holds no connection between
 * events.
 */
function oneTransactionPerOperation(): Plugin<ApiContext> {
  const end = (context: ApiContext) => void context.scope.end();
  return {
    onExecute: ({ args }) => ({
      onExecuteDone: ({ result }) => {
        if (!isAsyncIterable(result)) return end(args.contextValue);
        return { onNext: () => end(args.contextValue), onEnd: () => end(args.contextValue) };
      },
    }),
    onSubscribe: ({ args }) => ({
      onSubscribeResult: () => ({
        onNext: () => end(args.contextValue),
        onEnd: () => end(args.contextValue),
      }),
      onSubscribeError: () => end(args.contextValue),
    }),
  };
}

/** The longest delay setTimeout keeps (about 24.8 days); tokens live far shorter. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** The scope of a caller who has not signed in: an organization id nothing belongs to. */
const NOBODY = '';

export interface Api {
  yoga: YogaServerInstance<Record<string, unknown>, ApiContext>;
  changes: ChangeFeed;
  /** The authenticator given, also accepting the API keys issued through administration. */
  authenticator: Authenticator;
  /** Serves subscriptions over graphql-ws on the same path as HTTP. Resolves to a closer. */
  attachWebSockets(server: Server): () => Promise<void>;
}

export function createApi(options: ApiOptions): Api {
  const changes = options.changes ?? new ChangeFeed();
  // One ledger: a credential re-entered for one e-signature signs one act, of either kind.
  const stepUps = options.stepUps ?? inMemoryStepUpLedger();
  const administration = new Administration({
    store: options.store,
    authenticator: options.authenticator,
    stepUps,
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.db ? { db: options.db } : {}),
  });
  const authenticator = options.authenticator.withStoredApiKeys(administration);
  const acts = new HumanActs({
    store: options.store,
    authenticator,
    stepUps,
    ...(options.clock ? { clock: options.clock } : {}),
  });
  // Validation limits report their refusal, explained, instead of throwing armor's sentence;
  // one refusal per operation (the first limit found), as when they threw.
  const refused = new WeakSet<ValidationContext>();
  const explain = {
    propagateOnRejection: false,
    onReject: [
      (context: ValidationContext | null, error: GraphQLError) => {
        if (!context || refused.has(context)) return;
        refused.add(context);
        context.reportError(explained(error));
      },
    ],
  };
  const armor = new EnvelopArmor({
    // A fragment is no level of its own: its fields count as written in place.
    maxDepth: { n: options.maxDepth ?? 10, flattenFragments: true, ...explain },
    maxAliases: { n: options.maxAliases ?? 10, ...explain },
    // The cost limit is costLimit() below: armor's would ignore variables and overcharge fragments.
    costLimit: { enabled: false },
    maxTokens: { n: options.maxTokens ?? 3_000 },
    maxDirectives: { n: 20, ...explain },
    blockFieldSuggestion: { enabled: true },
  });

  // What every request's context shares, made once.
  const services = {
    changes,
    acts,
    administration,
    authenticator,
    store: options.store,
    audit: options.platformKeyring ? { platformKeyring: options.platformKeyring } : {},
    ...(options.platformKey ? { platformKey: options.platformKey } : {}),
    ...(options.checkpoints ? { checkpoints: options.checkpoints } : {}),
    ...(options.outcomes ? { outcomes: options.outcomes } : {}),
    ...(options.deadLetters ? { deadLetters: options.deadLetters } : {}),
    ...(options.quarantine ? { quarantine: options.quarantine } : {}),
    clock: options.clock ?? (() => new Date()),
  };
  const contextFor = (caller: Caller | undefined): ApiContext => {
    const newScope = () =>
      new ReadScope(options.prisma, caller?.organizationId ?? NOBODY, options.readScope);
    const scope = newScope();
    return { ...services, caller, scope, db: scope.db, newScope };
  };

  const callers = new CallerCache(authenticator);
  const authenticate = async (header: string | null | undefined) => {
    try {
      return await callers.authenticate(header);
    } catch (error) {
      if (error instanceof AuthenticationError)
        throw createGraphQLError(error.message, {
          extensions: { code: 'UNAUTHENTICATED', http: { status: 401 } },
        });
      throw error;
    }
  };

  const yoga = createYoga<Record<string, unknown>, ApiContext>({
    schema,
    graphiql: options.graphiql ?? true,
    maskedErrors: true,
    // Declared or chunked, a body is refused as soon as it is known to be larger (the plugin).
    maxRequestBodySize: false,
    plugins: [
      requestBodyLimit(options.maxRequestBytes ?? MAX_REQUEST_BYTES),
      explainedTokenLimit(),
      ...armor.protect().plugins,
      costLimit(options.maxCost ?? 5_000),
      unicodeVariablesOnly(),
      oneTransactionPerOperation(),
      ...(options.plugins ?? []),
    ],
    context: async ({ request }) =>
      contextFor(await authenticate(request.headers.get('authorization'))),
  });

  return {
    yoga,
    changes,
    authenticator,
    attachWebSockets(server) {
      const sockets = new WebSocketServer({
        server,
        path: yoga.graphqlEndpoint,
        // ws's default is 100 MiB per message: one connection could make the process hold that.
        maxPayload: options.maxRequestBytes ?? MAX_REQUEST_BYTES,
      });
      const disposable = useServer(
        {
          // Run each operation with the enveloped (plugin-wrapped) execute/subscribe of onSubscribe.
          execute: (args) => (args.rootValue as Enveloped).execute(args),
          subscribe: (args) => (args.rootValue as Enveloped).subscribe(args),
          // A connection lives no longer than the sign-in token it opened with: at its expiry
          // the socket closes (4401), ending every subscription on it; the client signs in again.
          onConnect: async (socket) => {
            const header = socket.connectionParams?.authorization;
            const caller = await callers
              .authenticate(typeof header === 'string' ? header : undefined)
              .catch(() => undefined);
            if (caller?.kind !== 'person' || caller.expiresAt === undefined) return true;
            const untilExpiry = caller.expiresAt.getTime() - Date.now();
            const timer = setTimeout(
              () => socket.extra.socket.close(CloseCode.Unauthorized, 'The token has expired.'),
              Math.min(Math.max(untilExpiry, 0), MAX_TIMER_MS),
            );
            socket.extra.socket.once('close', () => clearTimeout(timer));
            return true;
          },
          onSubscribe: async (socket, _id, params) => {
            const header = socket.connectionParams?.authorization;
            let caller: Caller | undefined;
            try {
              caller = await authenticate(typeof header === 'string' ? header : undefined);
            } catch (error) {
              return [error as GraphQLError];
            }
            const enveloped = yoga.getEnveloped({ request: socket.extra.request, params });
            // graphql-armor throws its refusals from parse/validate; over a socket they must come
            // back as errors, or graphql-ws would close the connection as an internal error. The
            // name check (not instanceof): armor's CommonJS build brings its own GraphQLError.
            let document;
            try {
              document = enveloped.parse(params.query);
              const errors = enveloped.validate(enveloped.schema, document);
              if (errors.length > 0) return [...errors];
            } catch (error) {
              if ((error as Error | undefined)?.name === 'GraphQLError')
                return [error as GraphQLError];
              throw error;
            }
            const args: ExecutionArgs = {
              schema: enveloped.schema,
              document,
              operationName: params.operationName ?? null,
              variableValues: params.variables ?? null,
              contextValue: contextFor(caller),
              rootValue: { execute: enveloped.execute, subscribe: enveloped.subscribe },
            };
            return args;
          },
        },
        sockets,
      );
      return async () => {
        await disposable.dispose();
        await new Promise<void>((resolve) => sockets.close(() => resolve()));
      };
    },
  };
}
