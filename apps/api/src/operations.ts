// What an operator's tools ask the API process: is it alive (/health), may it take traffic
// (/ready), and what is it doing (/metrics, Prometheus text).
import { Kind, type DefinitionNode, type OperationDefinitionNode } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { EventStore, RecordedEvent } from '@concord/event-store';
import { pendingReadModelMigrations, type Projector } from '@concord/read-model';
import { databaseAnswers, type Leadership, type SqlDatabase } from '@concord/sql';
import type { ApiContext } from './context.ts';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** GraphQL operation names kept apart in the metrics; later names count as `other`. */
const MAX_OPERATION_NAMES = 100;
const OPERATION_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

export interface OperationsOptions {
  store: EventStore;
  db: SqlDatabase;
  projector: Projector;
  /** Subscribers connected to this process right now. */
  subscribers: () => number;
  /** The roles this process stands for in leader elections, and whether it leads each. */
  leadership?: () => readonly Leadership[];
  /**
   * The projector may be this many events behind the store before the process says it is not
   * ready (answers would be that stale). @default 10_000
   */
  maxLagEvents?: number;
  /** Longest a readiness check waits for the database. @default 2_000 */
  databaseTimeoutMs?: number;
}

export interface Readiness {
  ready: boolean;
  checks: {
    database: { ok: boolean; error?: string };
    migrations: { ok: boolean; pending?: string[]; error?: string };
    projector: { ok: boolean; lagEvents?: number; maxLagEvents: number; error?: string };
  };
}

/**
 * The API process's metrics and probes. Metrics live in a registry of their own (not prom-client's
 * global one), so several servers in one process (tests, the embedded platform) never mix theirs.
 */
export class Operations {
  readonly registry = new Registry();
  readonly #options: Required<OperationsOptions>;
  readonly #operationNames = new Set<string>();
  readonly #duration: Histogram<'operation' | 'type' | 'outcome'>;
  readonly #refused: Counter<'code'>;
  readonly #visibility: Histogram;

  constructor(options: OperationsOptions) {
    this.#options = {
      maxLagEvents: 10_000,
      databaseTimeoutMs: 2_000,
      leadership: () => [],
      ...options,
    };
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry, prefix: 'concord_api_' });
    this.#duration = new Histogram({
      name: 'concord_graphql_operation_duration_seconds',
      help: 'GraphQL operations executed (queries, mutations; a subscription until its first result), by name, type and outcome',
      labelNames: ['operation', 'type', 'outcome'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.#refused = new Counter({
      name: 'concord_graphql_errors_total',
      help: 'Errors in GraphQL results, by code (extensions.code; GRAPHQL_VALIDATION_FAILED for a refused document, INTERNAL for an execution error without one)',
      labelNames: ['code'],
      registers,
    });
    this.#visibility = new Histogram({
      name: 'concord_projector_visibility_seconds',
      help: "Seconds from an event's recording in the store (the platform's clock) to the commit of the read model that shows it, for the events this process projected",
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 3600],
      registers,
    });
    const { store, projector, subscribers, db } = this.#options;
    // Read when Prometheus scrapes, not kept up to date in between.
    const lag = async () => {
      const [head, position] = await Promise.all([store.headPosition(), projector.checkpoint()]);
      const [next] = await store.readAll({ after: position, maxCount: 1 });
      return {
        head,
        position,
        events: Number(head > position ? head - position : 0n),
        seconds: next ? Math.max(0, (Date.now() - Date.parse(next.recordedAt)) / 1000) : 0,
      };
    };
    let scraped: ReturnType<typeof lag> | undefined;
    // One look at the store per scrape, whichever gauge asks first.
    const lagOnce = () => {
      scraped ??= lag().finally(() => setImmediate(() => (scraped = undefined)));
      return scraped;
    };
    new Gauge({
      name: 'concord_store_head_position',
      help: 'Global position of the newest event in the store',
      registers,
      async collect() {
        this.set(Number((await lagOnce()).head));
      },
    });
    new Gauge({
      name: 'concord_projector_position',
      help: 'Global position the read model is projected to (its stored checkpoint)',
      registers,
      async collect() {
        this.set(Number((await lagOnce()).position));
      },
    });
    new Gauge({
      name: 'concord_projector_lag_events',
      help: 'Events in the store not yet in the read model',
      registers,
      async collect() {
        this.set((await lagOnce()).events);
      },
    });
    new Gauge({
      name: 'concord_projector_lag_seconds',
      help: 'Age of the oldest event not yet in the read model (0 when none waits)',
      registers,
      async collect() {
        this.set((await lagOnce()).seconds);
      },
    });
    new Gauge({
      name: 'concord_projector_dead_letters',
      help: 'Events the projector could not project and set aside',
      registers,
      async collect() {
        this.set(await projector.deadLetterCount());
      },
    });
    const { leadership } = this.#options;
    new Gauge({
      name: 'concord_leader',
      help: 'Whether this process leads a role (1) or follows (0), for each role it stands for',
      labelNames: ['role'],
      registers,
      collect() {
        for (const role of leadership()) this.set({ role: role.role }, role.leading ? 1 : 0);
      },
    });
    new Gauge({
      name: 'concord_graphql_subscribers',
      help: 'Live subscriptions connected to this process',
      registers,
      collect() {
        this.set(subscribers());
      },
    });
    new Gauge({
      name: 'concord_db_pool_connections',
      help: "Connections of the event store's and projector's database pool, by state",
      labelNames: ['state'],
      registers,
      collect() {
        const stats = db.poolStats?.();
        if (!stats) return;
        this.set({ state: 'total' }, stats.total);
        this.set({ state: 'idle' }, stats.idle);
        this.set({ state: 'waiting' }, stats.waiting);
      },
    });
  }

  /**
   * Times the events a chunk of the live projector just committed (the projector's
   * `onProjected`), each from its recording: how long a change on the floor takes to reach the
   * read model, as production runs. A clock behind the store's counts as no time.
   */
  observeProjected(events: readonly RecordedEvent[], now = Date.now()): void {
    for (const event of events)
      this.#visibility.observe(Math.max(0, now - Date.parse(event.recordedAt)) / 1_000);
  }

  /** A yoga plugin timing each operation and counting the errors of its result. */
  plugin(): Plugin<Record<string, unknown>, ApiContext> {
    return {
      // Refused before execution (a field that does not exist, a limit): counted, not timed.
      onValidate:
        () =>
        ({ result }) => {
          for (const error of result)
            this.#refused.inc({
              code: String(error.extensions?.code ?? 'GRAPHQL_VALIDATION_FAILED'),
            });
        },
      onExecute: ({ args }) => {
        const started = performance.now();
        // The operation executed: the one named, or the document's only one.
        const definition = args.document.definitions.find(
          (node: DefinitionNode): node is OperationDefinitionNode =>
            node.kind === Kind.OPERATION_DEFINITION &&
            (!args.operationName || node.name?.value === args.operationName),
        );
        const type = definition?.operation ?? 'unknown';
        const operation = this.#operationLabel(definition?.name?.value);
        return {
          onExecuteDone: ({ result }) => {
            const errors = 'errors' in result ? (result.errors ?? []) : [];
            for (const error of errors)
              this.#refused.inc({ code: String(error.extensions?.code ?? 'INTERNAL') });
            this.#duration.observe(
              { operation, type, outcome: errors.length > 0 ? 'error' : 'ok' },
              (performance.now() - started) / 1000,
            );
          },
        };
      },
    };
  }

  /** Prometheus text exposition of every metric. */
  async metrics(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }

  /** The database answers, the read model's migrations are applied, the projector keeps up. */
  async readiness(): Promise<Readiness> {
    const { db, store, projector, maxLagEvents, databaseTimeoutMs } = this.#options;
    const failed = (error: unknown) => (error instanceof Error ? error.message : String(error));
    const database = await databaseAnswers(db, databaseTimeoutMs);
    const migrations = database.ok
      ? await pendingReadModelMigrations(db).then(
          (pending) => ({ ok: pending.length === 0, ...(pending.length ? { pending } : {}) }),
          (error: unknown) => ({ ok: false, error: failed(error) }),
        )
      : { ok: false, error: 'the database does not answer' };
    const projected = database.ok
      ? await Promise.all([store.headPosition(), projector.checkpoint()]).then(
          ([head, position]) => {
            const lagEvents = Number(head > position ? head - position : 0n);
            return { ok: lagEvents <= maxLagEvents, lagEvents, maxLagEvents };
          },
          (error: unknown) => ({ ok: false, maxLagEvents, error: failed(error) }),
        )
      : { ok: false, maxLagEvents, error: 'the database does not answer' };
    return {
      ready: database.ok && migrations.ok && projected.ok,
      checks: { database, migrations, projector: projected },
    };
  }

  #operationLabel(name: string | undefined): string {
    if (!name) return 'anonymous';
    if (!OPERATION_NAME.test(name)) return 'other';
    if (this.#operationNames.has(name)) return name;
    if (this.#operationNames.size >= MAX_OPERATION_NAMES) return 'other';
    this.#operationNames.add(name);
    return name;
  }
}
