import {
  runSubscription,
  type EventStore,
  type RecordedEvent,
  type Subscription,
} from '@concord/event-store';
import {
  changeNotifications,
  sqlCheckpoints,
  type SqlDatabase,
  type SqlExecutor,
} from '@concord/sql';
import { ProjectionChunk, type ReadModelChange } from './projections/project-chunk.ts';
import { sqlRowLoader, truncateReadModel, writeChunk } from './sql-rows.ts';

/** The channel the PostgreSQL event store notifies on after each append. */
const STORE_NOTIFY_CHANNEL = 'concord_events';

/** Just what the projector logs through (pino's shape). */
export interface ProjectorLogger {
  info(object: object, message: string): void;
  error(object: object, message: string): void;
}

export interface ProjectorOptions {
  store: EventStore;
  /** The read-model database (usually the event store's own). */
  db: SqlDatabase;
  /** Checkpoint name. @default 'read-model' */
  name?: string;
  /** Events projected per transaction. @default 500 */
  batchSize?: number;
  /** Longest wait before polling the store when no notification arrives. @default 1000 */
  pollIntervalMs?: number;
  /** Called after each committed chunk with what changed (never before the commit). */
  onChange?: (changes: ReadModelChange[]) => void;
  logger?: ProjectorLogger;
}

export interface RebuildProgress {
  projected: number;
  position: bigint;
  head: bigint;
}

/** An event the projector could not project in normal running: recorded, then skipped. */
export class ProjectionError extends Error {
  readonly event: RecordedEvent;

  constructor(event: RecordedEvent, cause: unknown) {
    super(
      `projecting event ${event.id} (${event.type}, position ${event.globalPosition}) failed: ${
        cause instanceof Error ? cause.message : String(cause)
      }`,
      { cause },
    );
    this.name = 'ProjectionError';
    this.event = event;
  }
}

const silent: ProjectorLogger = { info: () => undefined, error: () => undefined };

/**
 * Follows the event store in global order and keeps the read model up to date, saving its
 * checkpoint in the same transaction as its writes: a crash leaves both or neither, and an event
 * is never projected twice. In normal running an event that fails is recorded as a dead letter
 * and skipped (the rest of the read model stays live); during a rebuild it stops the rebuild.
 */
export class Projector {
  readonly #options: Required<Omit<ProjectorOptions, 'onChange'>> &
    Pick<ProjectorOptions, 'onChange'>;
  readonly #checkpoints;

  constructor(options: ProjectorOptions) {
    this.#options = {
      name: 'read-model',
      batchSize: 500,
      pollIntervalMs: 1_000,
      logger: silent,
      ...options,
    };
    this.#checkpoints = sqlCheckpoints(options.db, 'rm_checkpoints');
  }

  get name(): string {
    return this.#options.name;
  }

  /** Runs until stopped; `onError` hears of failures of the store or the database. */
  start(onError?: (error: unknown) => void): Subscription {
    const { db, store, batchSize, pollIntervalMs } = this.#options;
    const changes = changeNotifications(db, STORE_NOTIFY_CHANNEL, {
      readableHead: () => store.headPosition(),
    });
    let readAfter = 0n;
    const subscription = runSubscription(
      {
        loadCheckpoint: async () => {
          await changes.listen();
          return this.#checkpoints.load(this.name);
        },
        read: (after, maxCount) => {
          readAfter = after;
          return store.readAll({ after, maxCount });
        },
        handle: (events) => this.#handleLive(events, readAfter),
        waitForChange: changes.waitForChange,
        announcedHead: changes.announcedHead,
        waitUntilReadable: changes.waitUntilReadable,
      },
      { batchSize, pollIntervalMs, ...(onError ? { onError } : {}) },
    );
    void subscription.done.finally(() => changes.close());
    return subscription;
  }

  /** Projects everything up to the store's current head, then resolves to the checkpoint. */
  async catchUp(): Promise<bigint> {
    const head = await this.#options.store.headPosition();
    let position = await this.#checkpoints.load(this.name);
    while (position < head) {
      const events = await this.#options.store.readAll({
        after: position,
        maxCount: this.#options.batchSize,
      });
      if (events.length === 0) break;
      position = await this.#handleLive(events, position);
    }
    return position;
  }

  /**
   * Empties the read model and projects every event from position 0. Stops at the first event
   * that fails (a rebuild must not silently leave holes); the error names it.
   */
  async rebuild(onProgress?: (progress: RebuildProgress) => void): Promise<RebuildProgress> {
    const { db, store, batchSize } = this.#options;
    await db.transaction(async (tx) => {
      // The projector's lock first, the tables after: as a live chunk takes them (handleOnce
      // locks, then reads and writes the tables). Truncating first deadlocked with a live chunk
      // in progress; in the same order, each waits for the other to finish.
      await this.#checkpoints.lock(this.name, tx);
      await this.#checkpoints.save(this.name, 0n, tx);
      await truncateReadModel(tx);
      await tx.query('delete from rm_dead_letters where projector = $1', [this.name]);
    });
    const head = await store.headPosition();
    const progress: RebuildProgress = { projected: 0, position: 0n, head };
    for (;;) {
      const events = await store.readAll({ after: progress.position, maxCount: batchSize });
      if (events.length === 0) break;
      let changes: ReadModelChange[] = [];
      progress.position = await this.#checkpoints.handleOnce(
        this.name,
        events,
        async (fresh, tx) => {
          changes = await this.#project(fresh, tx);
        },
      );
      progress.projected += events.length;
      this.#emit(changes);
      onProgress?.({ ...progress });
    }
    return progress;
  }

  /** Dead letters recorded by this projector, oldest first. */
  async deadLetters(): Promise<
    { position: bigint; eventId: string; type: string; error: string }[]
  > {
    const { rows } = await this.#options.db.query<{
      position: string;
      event_id: string;
      type: string;
      error: string;
    }>(
      'select position::text as position, event_id, type, error from rm_dead_letters where projector = $1 order by position',
      [this.name],
    );
    return rows.map((row) => ({
      position: BigInt(row.position),
      eventId: row.event_id,
      type: row.type,
      error: row.error,
    }));
  }

  async #handleLive(events: RecordedEvent[], readAfter: bigint): Promise<bigint> {
    let changes: ReadModelChange[] = [];
    try {
      const position = await this.#checkpoints.handleOnce(
        this.name,
        events,
        async (fresh, tx) => {
          changes = await this.#project(fresh, tx);
        },
        readAfter,
      );
      this.#emit(changes);
      return position;
    } catch (error) {
      if (!(error instanceof ProjectionError) && !isSqlDataError(error)) throw error;
      // One event spoiled the chunk: go again one event at a time so only that one is set aside.
      this.#options.logger.info(
        { err: error, from: String(events[0]?.globalPosition) },
        'chunk failed, projecting it event by event',
      );
      let position = readAfter;
      for (const event of events) {
        const stored = await this.#handleOneOrDeadLetter(event, position);
        if (stored < position) return stored; // reset meanwhile: read again from there
        position = stored;
      }
      return position;
    }
  }

  async #handleOneOrDeadLetter(event: RecordedEvent, readAfter: bigint): Promise<bigint> {
    let changes: ReadModelChange[] = [];
    try {
      const position = await this.#checkpoints.handleOnce(
        this.name,
        [event],
        async (fresh, tx) => {
          changes = await this.#project(fresh, tx);
        },
        readAfter,
      );
      this.#emit(changes);
      return position;
    } catch (error) {
      if (!(error instanceof ProjectionError) && !isSqlDataError(error)) throw error;
      this.#options.logger.error(
        { err: error, eventId: event.id, type: event.type, position: String(event.globalPosition) },
        'event dead-lettered by the projector',
      );
      return this.#checkpoints.handleOnce(
        this.name,
        [event],
        async (_fresh, tx) => {
          await tx.query(
            `insert into rm_dead_letters (projector, position, event_id, stream_id, type, error)
           values ($1, $2::bigint, $3, $4, $5, $6) on conflict do nothing`,
            [
              this.name,
              String(event.globalPosition),
              event.id,
              event.streamId,
              event.type,
              error instanceof Error ? error.message : String(error),
            ],
          );
        },
        readAfter,
      );
    }
  }

  async #project(events: RecordedEvent[], tx: SqlExecutor): Promise<ReadModelChange[]> {
    const chunk = new ProjectionChunk(sqlRowLoader(tx));
    await chunk.prefetch(events);
    for (const event of events) {
      try {
        await chunk.apply(event);
      } catch (error) {
        throw new ProjectionError(event, error);
      }
    }
    const writes = await chunk.finish();
    await writeChunk(tx, writes);
    return writes.changes;
  }

  #emit(changes: ReadModelChange[]): void {
    if (changes.length === 0 || !this.#options.onChange) return;
    try {
      this.#options.onChange(changes);
    } catch (error) {
      this.#options.logger.error({ err: error }, 'a change listener failed');
    }
  }
}

/** PostgreSQL refused the data (class 22 data exception, 23 integrity violation): not transient. */
function isSqlDataError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && (code.startsWith('22') || code.startsWith('23'));
}
