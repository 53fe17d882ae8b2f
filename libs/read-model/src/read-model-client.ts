import { AsyncLocalStorage } from 'node:async_hooks';
import { createHash } from 'node:crypto';
import type { PGlite } from '@electric-sql/pglite';
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { PrismaPGlite } from 'pglite-prisma-adapter';
import { Prisma, PrismaClient } from './generated/prisma/client.ts';

export type ReadModelPrisma = PrismaClient;

/** Where the read model lives: a PostgreSQL server, or the embedded PGlite instance. */
export type ReadModelSource =
  | { connectionString: string; maxConnections?: number }
  | { pglite: PGlite };

/** The name of each statement Prisma sends, by its text (the texts are few: one per query shape). */
const statementNames = new Map<string, string>();
/** Beyond this many texts, statements go unnamed: neither side keeps an unbounded set. */
const MAX_PREPARED_STATEMENTS = 2_000;

/**
 * Prepared statements, named by a digest of their text: each connection parses and plans a
 * statement once, then binds and executes it (with row-level security re-planned by PostgreSQL
 * itself should the role ever differ). Transaction control is left unnamed.
 */
function preparedStatementName({ sql }: { sql: string }): string {
  let name = statementNames.get(sql);
  if (name === undefined) {
    if (statementNames.size >= MAX_PREPARED_STATEMENTS) return '';
    name = /^(begin|commit|rollback)\b/i.test(sql)
      ? ''
      : `rm_${createHash('sha256').update(sql).digest('base64url').slice(0, 24)}`;
    statementNames.set(sql, name);
  }
  return name;
}

/** The PostgreSQL role the API reads as; row-level security policies apply to it. */
export const READER_ROLE = 'concord_reader';

/** A scope's transaction on its way to opening: whom it reads for, and whether BEGIN said so. */
interface ScopeClaim {
  readonly organizationId: string;
  /** Set by the connection that sent the scope with its BEGIN (at most one per claim). */
  claimed: boolean;
}

/** The scope whose transaction Prisma is opening in this async context, if any. */
const openingScope = new AsyncLocalStorage<ScopeClaim>();

/**
 * What makes a transaction the organization's reader, both settings transaction-local: sent with
 * the BEGIN, or by the scope itself where BEGIN could not carry it (the organization as a literal
 * escaped by pg, so the one text serves both).
 */
const scopeSettings = (organizationId: string) =>
  `select set_config('role', '${READER_ROLE}', true), ` +
  `set_config('concord.organization_id', ${pg.escapeLiteral(organizationId)}, true)`;

/**
 * A pooled connection that sends a scope's settings with the BEGIN of the scope's transaction,
 * in one simple-protocol message (`begin; select set_config(…)`): a read scope opens in one round
 * trip where Prisma's BEGIN and a statement of its own took two (and a Prisma call). Only the
 * BEGIN Prisma sends while opening a `ReadScope`'s transaction (`openingScope`) carries it; any
 * other transaction begins as it was asked. The scope checks that it did, and sends the settings
 * itself when not (PGlite, another adapter): a read is never left unscoped.
 */
class ScopingConnection extends pg.Client {
  constructor(config?: string | pg.ClientConfig) {
    super(config);
    // pg's `query` has many overloads; Prisma's adapter calls the one with a config object.
    const query = this.query.bind(this) as (...args: unknown[]) => unknown;
    this.query = ((...args: unknown[]) => {
      const [config] = args;
      const isBegin = args.length === 1 && (config as { text?: unknown } | null)?.text === 'BEGIN';
      const claim = isBegin ? openingScope.getStore() : undefined;
      if (!claim || claim.claimed) return query(...args);
      claim.claimed = true;
      // A multi-statement query answers each statement: BEGIN's answer is the one asked for.
      return (query(`begin; ${scopeSettings(claim.organizationId)}`) as Promise<unknown>).then(
        (results) => (Array.isArray(results) ? results[0] : results),
      );
    }) as pg.Client['query'];
  }
}

export interface ReadModelPrismaOptions {
  /** Called with each SQL statement the client runs (tests count them). @default none */
  onQuery?: (sql: string) => void;
}

/** A Prisma client over the read model (driver adapters: no native engine). */
export function readModelPrisma(
  source: ReadModelSource,
  options: ReadModelPrismaOptions = {},
): ReadModelPrisma {
  const adapter =
    'pglite' in source
      ? new PrismaPGlite(source.pglite)
      : new PrismaPg(
          {
            connectionString: source.connectionString,
            max: source.maxConnections ?? 10,
            Client: ScopingConnection,
          },
          { statementNameGenerator: preparedStatementName },
        );
  const { onQuery } = options;
  // 'minimal': the other formats record the caller's stack on every query (a new Error per
  // call, 2 % of the API's CPU under a list-query load) to point an error at a line of code,
  // which the server's logs and traces already do.
  const errorFormat = 'minimal';
  if (!onQuery) return new PrismaClient({ adapter, errorFormat });
  const prisma = new PrismaClient({
    adapter,
    errorFormat,
    log: [{ emit: 'event', level: 'query' }],
  });
  prisma.$on('query', (event) => onQuery(event.query));
  return prisma as unknown as ReadModelPrisma;
}

/**
 * The read model as one organization may see it: Prisma's client as a transaction of the scope
 * sees it (model delegates and raw queries; every call runs in the scope's current transaction).
 */
export type ScopedReadModel = Prisma.TransactionClient;

type Transaction = Prisma.TransactionClient;

export interface ReadScopeOptions {
  /** Longest wait for a pooled connection when a transaction opens. @default 10_000 */
  maxWaitMs?: number;
  /** Longest a transaction may stay open before Prisma rolls it back. @default 60_000 */
  timeoutMs?: number;
  /**
   * How long a transaction with no statement in flight stays open for the next one, before it
   * commits and gives its connection back. @default 25
   */
  idleMs?: number;
}

/** One transaction of a scope: opened by its first read, ended when its scope is done with it. */
interface Unit {
  client: Promise<Transaction>;
  /** Statements issued and not yet answered. */
  inFlight: number;
  /** Lets the transaction commit (once nothing is in flight). */
  finish: () => void;
  /** Settles once the transaction has ended and its connection is back in the pool. */
  ended: Promise<void>;
}

/**
 * The read model as one organization may see it, for one unit of work (a GraphQL request, or one
 * event of a subscription). Its first read opens a transaction that becomes `concord_reader` and
 * names the organization, so PostgreSQL's row-level security hides every row of a partnership
 * the organization is not party to — the second barrier behind the API's own filters, holding
 * even when a resolver forgets one. Every later read of the unit runs in that same transaction
 * (one connection, one scope setting), until `end()`, or until nothing has been read for
 * `idleMs`: then it commits, and a later read opens a new one. Both settings are
 * transaction-local: a pooled connection never carries them to another caller.
 */
export class ReadScope {
  readonly #prisma: ReadModelPrisma;
  readonly #organizationId: string;
  readonly #options: Required<ReadScopeOptions>;
  #unit: Unit | undefined;
  #idle: ReturnType<typeof setTimeout> | undefined;
  /** What lives as long as the current transaction: caches such as a request's dataloaders. */
  readonly #memo = new Map<unknown, unknown>();
  /** The scoped client: Prisma's delegates and raw queries, run in this scope's transaction. */
  readonly db: ScopedReadModel;

  constructor(prisma: ReadModelPrisma, organizationId: string, options: ReadScopeOptions = {}) {
    this.#prisma = prisma;
    this.#organizationId = organizationId;
    this.#options = { maxWaitMs: 10_000, timeoutMs: 60_000, idleMs: 25, ...options };
    this.db = new ScopedClient(this) as unknown as ScopedReadModel;
  }

  /** Runs one Prisma call in the current transaction (opening one if none is open). */
  run<T>(call: (tx: Transaction) => PromiseLike<T>): Promise<T> {
    const unit = this.#unit ?? this.#open();
    unit.inFlight += 1;
    return unit.client.then(call).then(
      (value) => {
        this.#settled(unit, false);
        return value;
      },
      (error: unknown) => {
        this.#settled(unit, true);
        throw error;
      },
    );
  }

  /**
   * A value kept as long as the current transaction (created by `create` on first use): caches
   * that must not outlive what they read, such as a request's dataloaders.
   */
  memo<T>(key: unknown, create: () => T): T {
    if (!this.#memo.has(key)) this.#memo.set(key, create());
    return this.#memo.get(key) as T;
  }

  /**
   * Ends the current transaction: it commits once its statements are answered, and its
   * connection goes back to the pool. A later read opens a new one. Resolves once it has ended.
   */
  end(): Promise<void> {
    clearTimeout(this.#idle);
    this.#idle = undefined;
    const unit = this.#unit;
    if (!unit) return Promise.resolve();
    this.#retire(unit);
    if (unit.inFlight === 0) unit.finish();
    return unit.ended;
  }

  /** The transaction takes no more reads (they open the next one); what it cached goes. */
  #retire(unit: Unit): void {
    if (this.#unit !== unit) return;
    this.#unit = undefined;
    this.#memo.clear();
  }

  #open(): Unit {
    let finish!: () => void;
    const finished = new Promise<void>((resolve) => (finish = resolve));
    let ended!: Promise<void>;
    // The BEGIN of this transaction, and only it, runs in this claim's context.
    const claim: ScopeClaim = { organizationId: this.#organizationId, claimed: false };
    const unit: Unit = {
      client: new Promise<Transaction>((ready, fail) => {
        ended = openingScope
          .run(claim, () =>
            this.#prisma.$transaction(
              async (tx) => {
                if (!claim.claimed) await tx.$executeRawUnsafe(scopeSettings(this.#organizationId));
                ready(tx);
                await finished;
              },
              { maxWait: this.#options.maxWaitMs, timeout: this.#options.timeoutMs },
            ),
          )
          .catch((error: unknown) => {
            // Its reads have had their answers (or this error); the next read opens a new one.
            this.#retire(unit);
            fail(error);
          });
      }),
      inFlight: 0,
      finish,
      ended,
    };
    // A transaction that failed to open is reported to each read waiting for it.
    unit.client.catch(() => undefined);
    this.#unit = unit;
    return unit;
  }

  #settled(unit: Unit, failed: boolean): void {
    unit.inFlight -= 1;
    // A failed statement aborts its transaction in PostgreSQL: reads after it start a new one.
    if (failed) this.#retire(unit);
    if (unit.inFlight > 0) return;
    if (this.#unit !== unit) unit.finish();
    else if (this.#idle) this.#idle.refresh();
    else {
      this.#idle = setTimeout(() => this.#onIdle(), this.#options.idleMs);
      this.#idle.unref?.();
    }
  }

  #onIdle(): void {
    const unit = this.#unit;
    if (!unit || unit.inFlight > 0) return;
    this.#retire(unit);
    unit.finish();
  }
}

/** The model delegates of the generated client (`batch`, `qcResult`, …). */
const MODELS = Object.values(Prisma.ModelName).map(
  (name) => `${name.slice(0, 1).toLowerCase()}${name.slice(1)}`,
);
/** Every call a model delegate offers (writes included: the reader role may not write). */
const OPERATIONS = [
  'findUnique',
  'findUniqueOrThrow',
  'findFirst',
  'findFirstOrThrow',
  'findMany',
  'count',
  'aggregate',
  'groupBy',
  'create',
  'createMany',
  'createManyAndReturn',
  'update',
  'updateMany',
  'updateManyAndReturn',
  'upsert',
  'delete',
  'deleteMany',
] as const;
const RAW = ['$queryRaw', '$queryRawUnsafe', '$executeRaw', '$executeRawUnsafe'] as const;

type Callable = (...args: unknown[]) => PromiseLike<unknown>;
/** Calls `target[name](...args)` (as a method: Prisma's raw queries need their `this`). */
const invoke = (target: unknown, name: string, args: unknown[]) =>
  (target as Record<string, Callable>)[name]!.apply(target, args);

/** One model's delegate, each call run in the scope's transaction. */
class ScopedDelegate {
  readonly scope: ReadScope;
  readonly model: string;
  constructor(scope: ReadScope, model: string) {
    this.scope = scope;
    this.model = model;
  }
}
for (const operation of OPERATIONS)
  Object.defineProperty(ScopedDelegate.prototype, operation, {
    value(this: ScopedDelegate, ...args: unknown[]) {
      return this.scope.run((tx) =>
        invoke((tx as unknown as Record<string, unknown>)[this.model], operation, args),
      );
    },
  });

/** The scoped client: its delegates made on first use, raw queries run in the transaction. */
class ScopedClient {
  readonly delegates = new Map<string, ScopedDelegate>();
  readonly scope: ReadScope;
  constructor(scope: ReadScope) {
    this.scope = scope;
  }
}
for (const model of MODELS)
  Object.defineProperty(ScopedClient.prototype, model, {
    get(this: ScopedClient) {
      let delegate = this.delegates.get(model);
      if (!delegate) this.delegates.set(model, (delegate = new ScopedDelegate(this.scope, model)));
      return delegate;
    },
  });
for (const raw of RAW)
  Object.defineProperty(ScopedClient.prototype, raw, {
    value(this: ScopedClient, ...args: unknown[]) {
      return this.scope.run((tx) => invoke(tx, raw, args));
    },
  });

/**
 * The read model as one organization may see it, outside any request (tools and tests): a scope
 * whose transaction commits once it has been idle for a moment.
 */
export function scopedReadModel(prisma: ReadModelPrisma, organizationId: string): ScopedReadModel {
  return new ReadScope(prisma, organizationId).db;
}
