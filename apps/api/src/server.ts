import type { Server } from 'node:http';
import { AuthenticationError, type Authenticator, type Caller } from '@concord/auth';
import type { EventStore } from '@concord/event-store';
import { scopedReadModel, type ReadModelPrisma } from '@concord/read-model';
import { EnvelopArmor } from '@escape.tech/graphql-armor';
import type { ExecutionArgs, GraphQLError, execute, subscribe } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { createGraphQLError, createYoga, type YogaServerInstance } from 'graphql-yoga';
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
  /** Highest estimated cost of one operation (graphql-armor's estimate). @default 5000 */
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
    plugins: [...armor.protect().plugins],
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
