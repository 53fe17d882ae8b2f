import type { Server } from 'node:http';
import { AuthenticationError, type Authenticator, type Caller } from '@concord/auth';
import type { EventStore } from '@concord/event-store';
import { scopedReadModel, type ReadModelPrisma } from '@concord/read-model';
import { EnvelopArmor } from '@escape.tech/graphql-armor';
import {
  getOperationAST,
  getVariableValues,
  Kind,
  type ExecutionArgs,
  type FragmentDefinitionNode,
  type GraphQLError,
  type SelectionNode,
  type execute,
  type subscribe,
} from 'graphql';
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
  /** The event store human acts are appended to. */
  store: EventStore;
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
   * Highest estimated cost of one operation (graphql-armor's estimate, with page sizes given as
   * variables counted at their value). @default 5000
   */
  maxCost?: number;
  /** Most tokens in one document. @default 3000 */
  maxTokens?: number;
  /** The platform's clock for human acts. @default () => new Date() */
  clock?: () => Date;
}

type Enveloped = {
  execute: (args: ExecutionArgs) => ReturnType<typeof execute>;
  subscribe: (args: ExecutionArgs) => ReturnType<typeof subscribe>;
};

/** The largest page a connection serves (`first`/`last`), as the schema builder caps it. */
const MAX_PAGE_SIZE = 100;

/**
 * Page sizes as the request states them, variables included. graphql-armor reads `first`/`last`
 * only as literals, so in its cost estimate `first: $n` counted as 1 whatever `$n` was (nested
 * pages of 100 passed the limit); and a page above the maximum was silently cut to it. This
 * refuses both before execution: the same estimate as armor's (its default weights: objects 2,
 * scalars 1, ×1.5 per level, × the page size), with variables' values.
 */
function pageLimits(maxCost: number): Plugin {
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
    const fragmentCosts = new Map<string, number>();
    let tooLarge: GraphQLError | undefined;
    const cost = (node: SelectionNode | FragmentDefinitionNode): number => {
      if (node.kind === Kind.FRAGMENT_SPREAD) {
        const name = node.name.value;
        if (!fragmentCosts.has(name)) {
          fragmentCosts.set(name, 0); // a cycle (refused by validation) adds nothing
          const fragment = fragments.get(name);
          fragmentCosts.set(name, fragment ? cost(fragment) : 0);
        }
        return 1 + 1.5 * fragmentCosts.get(name)!;
      }
      if (node.kind === Kind.FIELD && node.name.value === '__schema') return 0;
      if (!node.selectionSet) return 1;
      const own = node.selectionSet.selections.reduce((sum, child) => sum + 1.5 * cost(child), 2);
      if (node.kind !== Kind.FIELD) return own;
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
    const total = operation.selectionSet.selections.reduce((sum, node) => sum + cost(node), 0);
    if (tooLarge) return tooLarge;
    // armor's own sentence, so one limit reads the same whether pages are literals or variables
    if (total > maxCost)
      return createGraphQLError(
        `Syntax Error: Query Cost limit of ${maxCost} exceeded, found ${total}.`,
      );
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
    ...(options.clock ? { clock: options.clock } : {}),
  });
  const armor = new EnvelopArmor({
    maxDepth: { n: options.maxDepth ?? 10 },
    maxAliases: { n: options.maxAliases ?? 10 },
    costLimit: { maxCost: options.maxCost ?? 5_000 },
    maxTokens: { n: options.maxTokens ?? 3_000 },
    maxDirectives: { n: 20 },
    blockFieldSuggestion: { enabled: true },
  });

  const contextFor = (caller: Caller | undefined): ApiContext => ({
    caller,
    db: scopedReadModel(options.prisma, caller?.organizationId ?? NOBODY),
    changes,
    acts,
    authenticator: options.authenticator,
    store: options.store,
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
    plugins: [...armor.protect().plugins, pageLimits(options.maxCost ?? 5_000)],
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
