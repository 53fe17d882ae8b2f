import type { Server } from 'node:http';
import {
  AuthenticationError,
  type Authenticator,
  type Caller,
  type StepUpLedger,
} from '@concord/auth';
import type { EventStore } from '@concord/event-store';
import type { CheckpointLog, PlatformKey, PlatformKeyring } from '@concord/evidence';
import type { OutcomeLog } from '@concord/ingest';
import { scopedReadModel, type ReadModelPrisma } from '@concord/read-model';
import { EnvelopArmor } from '@escape.tech/graphql-armor';
import {
  GraphQLError as GraphQLErrorClass,
  getOperationAST,
  getVariableValues,
  Kind,
  type ExecutionArgs,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLError,
  type SelectionNode,
  type ValidationContext,
  type execute,
  type subscribe,
} from 'graphql';
import { CloseCode } from 'graphql-ws';
import { useServer } from 'graphql-ws/use/ws';
import { createGraphQLError, createYoga, type Plugin, type YogaServerInstance } from 'graphql-yoga';
import { WebSocketServer } from 'ws';
import { ChangeFeed } from './change-feed.ts';
import type { ApiContext } from './context.ts';
import { HumanActs } from './human-acts.ts';
import { schema } from './schema/index.ts';

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
  authenticator: Authenticator;
  /** Where the projector publishes committed changes. @default a new feed */
  changes?: ChangeFeed;
  /** Serve GraphiQL at the endpoint for browsers. @default true */
  graphiql?: boolean;
  /** Deepest selection accepted. @default 10 */
  maxDepth?: number;
  /** Most aliases in one operation. @default 10 */
  maxAliases?: number;
  /**
   * Highest estimated cost of one operation (graphql-armor's weights, with page sizes given as
   * variables counted at their value, fragments as their fields). @default 5000
   */
  maxCost?: number;
  /** Most tokens in one document. @default 3000 */
  maxTokens?: number;
  /** The platform's clock for human acts. @default () => new Date() */
  clock?: () => Date;
  /** Where used e-signature credentials are kept. @default this process's memory */
  stepUps?: StepUpLedger;
}

type Enveloped = {
  execute: (args: ExecutionArgs) => ReturnType<typeof execute>;
  subscribe: (args: ExecutionArgs) => ReturnType<typeof subscribe>;
};

/** The largest page a connection serves (`first`/`last`), as the schema builder caps it. */
const MAX_PAGE_SIZE = 100;

/**
 * The cost limit, on page sizes as the request states them, variables included. graphql-armor's
 * estimate reads `first`/`last` only as literals (`first: $n` counted as 1 whatever `$n` was, so
 * nested pages of 100 passed), silently cuts a page above the maximum, and counts every fragment
 * as one more level of data (the dashboard's fragments cost twice their fields). This estimate
 * keeps armor's weights (objects 2, scalars 1, ×1.5 per level, × the page size), reads variables'
 * values, refuses pages above the maximum, and costs a fragment, spread or inline, exactly as
 * its fields written in place: how a client spells a selection does not change what it asks.
 */
function costLimit(maxCost: number): Plugin {
  const refusal = (args: ExecutionArgs): GraphQLError | undefined => {
    const operation = getOperationAST(args.document, args.operationName);
    if (!operation) return undefined; // execution reports it
    const { coerced } = getVariableValues(
      args.schema,
      operation.variableDefinitions ?? [],
      args.variableValues ?? {},
    );
    if (!coerced) return undefined; // invalid variables: execution reports them
    const fragments = new Map(
      args.document.definitions
        .filter((node): node is FragmentDefinitionNode => node.kind === Kind.FRAGMENT_DEFINITION)
        .map((node) => [node.name.value, node]),
    );
    let tooLarge: GraphQLError | undefined;
    /** The fields a selection set asks for, fragments written in place. */
    const fieldsOf = (selections: readonly SelectionNode[], seen: Set<string>): FieldNode[] =>
      selections.flatMap((node) => {
        if (node.kind === Kind.FIELD) return [node];
        if (node.kind === Kind.INLINE_FRAGMENT) return fieldsOf(node.selectionSet.selections, seen);
        const fragment = fragments.get(node.name.value);
        // An unknown or cyclic spread (both refused by validation) asks for nothing more.
        if (!fragment || seen.has(fragment.name.value)) return [];
        return fieldsOf(fragment.selectionSet.selections, new Set(seen).add(fragment.name.value));
      });
    const cost = (node: FieldNode): number => {
      if (node.name.value === '__schema') return 0;
      if (!node.selectionSet) return 1;
      const own = fieldsOf(node.selectionSet.selections, new Set()).reduce(
        (sum, child) => sum + 1.5 * cost(child),
        2,
      );
      let page = 1;
      for (const argument of node.arguments ?? []) {
        if (argument.name.value !== 'first' && argument.name.value !== 'last') continue;
        const { value } = argument;
        const size =
          value.kind === Kind.INT
            ? Number(value.value)
            : value.kind === Kind.VARIABLE
              ? coerced[value.name.value]
              : undefined;
        if (typeof size !== 'number') continue;
        if (size > MAX_PAGE_SIZE)
          tooLarge ??= createGraphQLError(
            `Page size ${size} exceeds the maximum of ${MAX_PAGE_SIZE} (${argument.name.value} on ${node.name.value}).`,
          );
        page = Math.max(page, size);
      }
      return own * page;
    };
    const total = fieldsOf(operation.selectionSet.selections, new Set()).reduce(
      (sum, node) => sum + cost(node),
      0,
    );
    if (tooLarge) return tooLarge;
    if (total > maxCost) return costError(maxCost, total);
    return undefined;
  };
  return {
    onExecute({ args, setResultAndStopExecution }) {
      const error = refusal(args);
      if (error) setResultAndStopExecution({ errors: [error] });
    },
    onSubscribe({ args, setResultAndStopExecution }) {
      const error = refusal(args);
      if (error) setResultAndStopExecution({ errors: [error] });
    },
  };
}

const costError = (limit: number, found: number) =>
  createGraphQLError(
    `The operation is estimated to cost ${found}, above the limit of ${limit}: ask for smaller pages (first/last), fewer nested connections or fewer fields, or split it into several operations.`,
    { extensions: { code: 'COST_LIMIT_EXCEEDED', limit, found } },
  );

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

/** The longest delay setTimeout keeps (about 24.8 days); tokens live far shorter. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** The scope of a caller who has not signed in: an organization id nothing belongs to. */
const NOBODY = '';

export interface Api {
  yoga: YogaServerInstance<Record<string, unknown>, ApiContext>;
  changes: ChangeFeed;
  /** Serves subscriptions over graphql-ws on the same path as HTTP. Resolves to a closer. */
  attachWebSockets(server: Server): () => Promise<void>;
}

export function createApi(options: ApiOptions): Api {
  const changes = options.changes ?? new ChangeFeed();
  const acts = new HumanActs({
    store: options.store,
    authenticator: options.authenticator,
    ...(options.stepUps ? { stepUps: options.stepUps } : {}),
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

  const contextFor = (caller: Caller | undefined): ApiContext => ({
    caller,
    db: scopedReadModel(options.prisma, caller?.organizationId ?? NOBODY),
    changes,
    acts,
    authenticator: options.authenticator,
    store: options.store,
    audit: options.platformKeyring ? { platformKeyring: options.platformKeyring } : {},
    ...(options.platformKey ? { platformKey: options.platformKey } : {}),
    ...(options.checkpoints ? { checkpoints: options.checkpoints } : {}),
    ...(options.outcomes ? { outcomes: options.outcomes } : {}),
    clock: options.clock ?? (() => new Date()),
  });

  const authenticate = async (header: string | null | undefined) => {
    try {
      return await options.authenticator.authenticate(header);
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
    plugins: [
      explainedTokenLimit(),
      ...armor.protect().plugins,
      costLimit(options.maxCost ?? 5_000),
    ],
    context: async ({ request }) =>
      contextFor(await authenticate(request.headers.get('authorization'))),
  });

  return {
    yoga,
    changes,
    attachWebSockets(server) {
      const sockets = new WebSocketServer({ server, path: yoga.graphqlEndpoint });
      const disposable = useServer(
        {
          // Run each operation with the enveloped (plugin-wrapped) execute/subscribe of onSubscribe.
          execute: (args) => (args.rootValue as Enveloped).execute(args),
          subscribe: (args) => (args.rootValue as Enveloped).subscribe(args),
          // A connection lives no longer than the sign-in token it opened with: at its expiry
          // the socket closes (4401), ending every subscription on it; the client signs in again.
          onConnect: async (socket) => {
            const header = socket.connectionParams?.authorization;
            const caller = await options.authenticator
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
