import {
  runSubscription,
  type EventStore,
  type RecordedEvent,
  type Subscription,
} from '@concord/event-store';
import { setTimeout } from 'node:timers/promises';
import { streamOf, type StreamKind } from '@concord/domain';
import {
  changeNotifications,
  postgresErrorOf,
  sqlCheckpoints,
  type SqlDatabase,
  type SqlExecutor,
  type SqlSession,
  type SqlTransaction,
} from '@concord/sql';
import {
  ProjectionChunk,
  type ChunkWrites,
  type ReadModelChange,
  type RowLoader,
} from './projections/project-chunk.ts';
import type { TimelineRow } from './projections/rows.ts';
import { linksTo, SpanStatusCode, tracer } from '@concord/telemetry';
import { announceChanges } from './change-announcements.ts';
import { nextReadModel, nextTableOf } from './next-read-model.ts';
import { RowCopier, sqlRowLoader, writeChunk, writeChunkOnCommit } from './sql-rows.ts';

/** How long `catchUp` waits for committed events to become readable before it gives up. */
const CATCH_UP_PATIENCE_MS = 30_000;

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
  /**
   * Called after each committed chunk with the events it projected (never before the commit; a
   * rebuild's are not): how long each took from its recording to the read model, for the metrics.
   */
  onProjected?: (events: readonly RecordedEvent[]) => void;
  /**
   * Also announce each chunk's changes to every process listening on the database (every API
   * replica, see `listenToChanges`), in the chunk's transaction. @default false
   */
  announce?: boolean;
  logger?: ProjectorLogger;
  /**
   * A rebuild's rhythm: events projected between two writes of its rows, and rows kept in memory
   * before it starts again from what it wrote. @default { events: 5000, maxRows: 200000 }
   */
  rebuildWindow?: { events: number; maxRows: number };
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
  readonly #options: Required<Omit<ProjectorOptions, 'onChange' | 'onProjected'>> &
    Pick<ProjectorOptions, 'onChange' | 'onProjected'>;
  readonly #checkpoints;

  constructor(options: ProjectorOptions) {
    this.#options = {
      name: 'read-model',
      batchSize: 500,
      pollIntervalMs: 1_000,
      logger: silent,
      announce: false,
      rebuildWindow: REBUILD_WINDOW,
      ...options,
    };
    // The read model is built again from the store whenever needed: a chunk's commit need not
    // wait for the disk (a crash loses the last chunks with their checkpoint; they are projected
    // again), which keeps the disk's flush out of every change's way to the subscribers.
    this.#checkpoints = sqlCheckpoints(options.db, 'rm_checkpoints', { asynchronousCommit: true });
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

  /**
   * Projects everything appended so far (up to the store's committed head, waiting a while for
   * what an older transaction elsewhere still holds back), then resolves to the checkpoint.
   */
  async catchUp(): Promise<bigint> {
    const { store } = this.#options;
    const head = await (store.committedHeadPosition?.() ?? store.headPosition());
    let position = await this.#checkpoints.load(this.name);
    let waitingSince: number | undefined;
    while (position < head) {
      const events = await store.readAll({ after: position, maxCount: this.#options.batchSize });
      if (events.length === 0) {
        // Committed but not readable yet: the store hands events out in order, so one waits
        // while an older transaction anywhere on the server is still open. Wait for it (a
        // while), rather than answer "caught up" short of the head.
        waitingSince ??= Date.now();
        if (Date.now() - waitingSince > CATCH_UP_PATIENCE_MS) break;
        await setTimeout(10);
        continue;
      }
      waitingSince = undefined;
      position = await this.#handleLive(events, position);
    }
    return position;
  }

  /**
   * Builds the read model again from position 0, beside the live one (blue/green): every event
   * is projected into copies of the read-model tables while the live tables go on serving (and the
   * live projector goes on following the store); the copies catch up with the head, then replace
   * the live tables in one transaction, under the projector's lock, with the checkpoint at the
   * position they reached (a live projector that went further goes back there: nothing is missed).
   * The live read model is never empty, and readers see either the old one or the new one.
   *
   * Stops at the first event that fails (a rebuild must not silently leave holes) and names it; the
   * copies are dropped and the live read model and its dead letters stay as they were. On success
   * the projector's dead letters are cleared: every event was projected.
   */
  async rebuild(
    onProgress?: (progress: RebuildProgress) => void | Promise<void>,
  ): Promise<RebuildProgress> {
    const release = await exclusiveRebuild(this.#options.db);
    try {
      return await this.#rebuild(onProgress);
    } finally {
      await release();
    }
  }

  async #rebuild(
    onProgress: ((progress: RebuildProgress) => void | Promise<void>) | undefined,
  ): Promise<RebuildProgress> {
    const { db, store, batchSize } = this.#options;
    const progress: RebuildProgress = { projected: 0, position: 0n, head: 0n };
    const fill = new NextReadModelFill(db, this.#options.rebuildWindow);
    const readPages = async () => {
      // Each page is read while the one before is projected.
      let next = store.readAll({ after: progress.position, maxCount: batchSize });
      for (;;) {
        const events = await next;
        const last = events.at(-1);
        if (last) {
          next = store.readAll({ after: last.globalPosition, maxCount: batchSize });
          next.catch(() => undefined); // awaited on the next turn, or dropped with the failure
          await fill.project(events);
          progress.projected += events.length;
          progress.position = last.globalPosition;
          // The head moves while the rebuild runs: looked up again only once reached.
          if (progress.position > progress.head) progress.head = await store.headPosition();
          await onProgress?.({ ...progress });
        }
        if (events.length < batchSize) return;
      }
    };
    await db.transaction((tx) => nextReadModel.create(tx));
    try {
      progress.head = await store.headPosition();
      await readPages();
      // The indexes the API reads by, built once on full tables; then what arrived meanwhile.
      await fill.flush();
      await nextReadModel.index(db);
      for (let attempt = 1; ; attempt += 1) {
        await readPages();
        await fill.flush();
        try {
          await db.transaction(async (tx) => {
            // Dropping a table waits for its readers, and readers arriving meanwhile queue behind
            // the drop: wait a moment at most, then let them through and try again.
            await tx.query(`set local lock_timeout = ${SWITCH_LOCK_TIMEOUT_MS}`);
            // The projector's lock first, the tables after, as a live chunk takes them: a chunk in
            // progress finishes first, later ones wait for the switch and find the new tables.
            await this.#checkpoints.lock(this.name, tx);
            await nextReadModel.switchIn(tx);
            // Events appended since the copies' last page are the live projector's, from here.
            await this.#checkpoints.save(this.name, progress.position, tx);
            await tx.query('delete from rm_dead_letters where projector = $1', [this.name]);
          });
          break;
        } catch (error) {
          if (postgresErrorOf(error).code !== LOCK_NOT_AVAILABLE) throw error;
          if (attempt === SWITCH_ATTEMPTS)
            throw new Error(
              `the rebuilt read model could not be switched in: the live tables stayed in use for ${SWITCH_ATTEMPTS} attempts of ${SWITCH_LOCK_TIMEOUT_MS} ms (a long transaction reading them?)`,
              { cause: error },
            );
          this.#options.logger.info({ attempt }, 'read model in use, switching again shortly');
          await setTimeout(SWITCH_LOCK_TIMEOUT_MS * attempt);
        }
      }
      await onProgress?.({ ...progress });
      return progress;
    } catch (error) {
      await fill.settled();
      await nextReadModel.drop(db).catch(() => undefined);
      throw error;
    }
  }

  /** The position this projector's read model is at, as stored (whichever process projects). */
  checkpoint(): Promise<bigint> {
    return this.#checkpoints.load(this.name);
  }

  /** How many dead letters this projector has recorded. */
  async deadLetterCount(): Promise<number> {
    const { rows } = await this.#options.db.query<{ count: number }>(
      'select count(*)::int as count from rm_dead_letters where projector = $1',
      [this.name],
    );
    return rows[0]?.count ?? 0;
  }

  /** Dead letters recorded by this projector, oldest first. */
  async deadLetters(): Promise<DeadLetter[]> {
    const { rows } = await this.#options.db.query<DeadLetterRow>(
      'select position::text as position, event_id, stream_id, type, error, failed_at from rm_dead_letters where projector = $1 order by position',
      [this.name],
    );
    return rows.map(toDeadLetter);
  }

  /**
   * Retries a dead letter short of a rebuild: in one transaction, under the projector's own lock
   * (so no chunk runs meanwhile), the rows its stream makes are removed and the stream's events up
   * to the checkpoint are projected again, in order, by the same projections. If they go through,
   * every dead letter of that stream is resolved; if not, nothing changes and the new error is
   * answered. Either way the attempt is recorded with who asked and why.
   */
  async retryDeadLetter(position: bigint, by: DeadLetterResolver): Promise<DeadLetterRetry> {
    const { db, store } = this.#options;
    const letter = await this.#deadLetter(position);
    if (!letter) return { status: 'unknown' };
    const kind = streamOf(letter.streamId);
    let changes: ReadModelChange[] = [];
    try {
      // The stream is read before the transaction (an embedded database has one connection);
      // with the head read first, a checkpoint not past that head proves nothing is missed.
      let resolved: DeadLetter[] | undefined;
      for (let attempt = 0; resolved === undefined; attempt++) {
        const head = await store.headPosition();
        const stream = await store.readStream(letter.streamId);
        resolved = await db.transaction(async (tx) => {
          await this.#checkpoints.lock(this.name, tx);
          const checkpoint = await this.#checkpoints.load(this.name, tx);
          if (checkpoint > head && attempt < 5) return undefined;
          const events = stream.filter((event) => event.globalPosition <= checkpoint);
          if (kind) for (const sql of STREAM_ROWS[kind.kind]) await tx.query(sql, [kind.id]);
          await tx.query('delete from rm_timeline where stream_id = $1', [letter.streamId]);
          changes = await this.#project(events, tx);
          const { rows } = await tx.query<DeadLetterRow>(
            `delete from rm_dead_letters where projector = $1 and stream_id = $2
             returning position::text as position, event_id, stream_id, type, error, failed_at`,
            [this.name, letter.streamId],
          );
          for (const row of rows) await this.#resolve(tx, toDeadLetter(row), 'retried', by);
          return rows.map(toDeadLetter);
        });
      }
      this.#emit(changes);
      return { status: 'retried', resolved };
    } catch (error) {
      const message =
        error instanceof ProjectionError || error instanceof Error ? error.message : String(error);
      await this.#resolve(db, letter, 'retry-failed', by, message);
      await db.query(
        'update rm_dead_letters set error = $3, failed_at = now() where projector = $1 and position = $2::bigint',
        [this.name, String(position), message],
      );
      return { status: 'failed', error: message };
    }
  }

  /**
   * Skips a dead letter for good, with the reason: the event stays in the store, unprojected, and
   * the skip is recorded with who decided it and why. A rebuild projects it again.
   */
  async skipDeadLetter(position: bigint, by: DeadLetterResolver): Promise<DeadLetter | undefined> {
    return this.#options.db.transaction(async (tx) => {
      const { rows } = await tx.query<DeadLetterRow>(
        `delete from rm_dead_letters where projector = $1 and position = $2::bigint
         returning position::text as position, event_id, stream_id, type, error, failed_at`,
        [this.name, String(position)],
      );
      const [row] = rows;
      if (!row) return undefined;
      await this.#resolve(tx, toDeadLetter(row), 'skipped', by);
      return toDeadLetter(row);
    });
  }

  /** What operators did with dead letters, newest first (all of them, or one position's). */
  async deadLetterResolutions(position?: bigint): Promise<DeadLetterResolution[]> {
    const { rows } = await this.#options.db.query<{
      position: string;
      event_id: string;
      stream_id: string;
      type: string;
      action: DeadLetterResolution['action'];
      reason: string;
      actor: string;
      error: string | null;
      resolved_at: Date | string;
    }>(
      `select position::text as position, event_id, stream_id, type, action, reason, actor, error,
              resolved_at
         from rm_dead_letter_resolutions
        where projector = $1 and ($2::bigint is null or position = $2::bigint)
        order by id desc`,
      [this.name, position === undefined ? null : String(position)],
    );
    return rows.map((row) => ({
      position: BigInt(row.position),
      eventId: row.event_id,
      streamId: row.stream_id,
      type: row.type,
      action: row.action,
      reason: row.reason,
      actor: row.actor,
      error: row.error,
      resolvedAt: new Date(row.resolved_at),
    }));
  }

  async #deadLetter(position: bigint): Promise<DeadLetter | undefined> {
    const { rows } = await this.#options.db.query<DeadLetterRow>(
      `select position::text as position, event_id, stream_id, type, error, failed_at
         from rm_dead_letters where projector = $1 and position = $2::bigint`,
      [this.name, String(position)],
    );
    return rows[0] ? toDeadLetter(rows[0]) : undefined;
  }

  async #resolve(
    sql: SqlExecutor,
    letter: DeadLetter,
    action: DeadLetterResolution['action'],
    by: DeadLetterResolver,
    error?: string,
  ): Promise<void> {
    await sql.query(
      `insert into rm_dead_letter_resolutions
         (projector, position, event_id, stream_id, type, action, reason, actor, error)
       values ($1, $2::bigint, $3, $4, $5, $6, $7, $8, $9)`,
      [
        this.name,
        String(letter.position),
        letter.eventId,
        letter.streamId,
        letter.type,
        action,
        by.reason,
        by.actor,
        error ?? null,
      ],
    );
    this.#options.logger.info(
      { position: String(letter.position), action, actor: by.actor, reason: by.reason },
      'dead letter resolved',
    );
  }

  async #handleLive(events: RecordedEvent[], readAfter: bigint): Promise<bigint> {
    let changes: ReadModelChange[] = [];
    let projected: RecordedEvent[] = [];
    try {
      const position = await this.#checkpoints.handleOnce(
        this.name,
        events,
        async (fresh, tx) => {
          changes = await this.#project(fresh, tx);
          projected = fresh;
        },
        readAfter,
      );
      this.#emit(changes, projected);
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
    let projected: RecordedEvent[] = [];
    try {
      const position = await this.#checkpoints.handleOnce(
        this.name,
        [event],
        async (fresh, tx) => {
          changes = await this.#project(fresh, tx);
          projected = fresh;
        },
        readAfter,
      );
      this.#emit(changes, projected);
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

  async #project(events: RecordedEvent[], tx: SqlTransaction): Promise<ReadModelChange[]> {
    // The events' own traces, each carried on by the changes it made (to the subscribers' push).
    const traceparents = new Map<string, string>();
    for (const event of events) {
      const traceparent = (event.metadata as { traceparent?: unknown }).traceparent;
      if (typeof traceparent === 'string')
        traceparents.set(String(event.globalPosition), traceparent);
    }
    const span = tracer.startSpan('concord.projector.chunk', {
      links: linksTo(traceparents.values()),
      attributes: {
        'concord.events': events.length,
        'concord.position.from': String(events[0]?.globalPosition),
        'concord.position.to': String(events.at(-1)?.globalPosition),
      },
    });
    try {
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
      // With the checkpoint's save and the COMMIT: the rows cost no round trip of their own, and
      // the transaction takes its id (which holds the store's readers back) only as it ends.
      writeChunkOnCommit(tx, writes);
      const changes =
        traceparents.size === 0
          ? writes.changes
          : writes.changes.map((change) => {
              const traceparent = traceparents.get(String(change.position));
              return traceparent ? { ...change, traceparent } : change;
            });
      if (this.#options.announce) await announceChanges(tx, changes);
      return changes;
    } catch (error) {
      span.setStatus({ code: SpanStatusCode.ERROR, message: String(error) });
      throw error;
    } finally {
      span.end();
    }
  }

  #emit(changes: ReadModelChange[], projected: readonly RecordedEvent[] = []): void {
    const { onChange, onProjected, logger } = this.#options;
    try {
      if (changes.length > 0) onChange?.(changes);
    } catch (error) {
      logger.error({ err: error }, 'a change listener failed');
    }
    try {
      if (projected.length > 0) onProjected?.(projected);
    } catch (error) {
      logger.error({ err: error }, 'a projected-events listener failed');
    }
  }
}

/** PostgreSQL refused the data (class 22 data exception, 23 integrity violation): not transient. */
function isSqlDataError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && (code.startsWith('22') || code.startsWith('23'));
}

/** An event the projector could not project in normal running, set aside so the rest went on. */
export interface DeadLetter {
  /** The event's position in the store. */
  position: bigint;
  eventId: string;
  streamId: string;
  type: string;
  /** Why it failed (the error's message). */
  error: string;
  failedAt: Date;
}

/** A rebuild already runs on the database: a second would drop and refill the first one's copies. */
export class RebuildInProgressError extends Error {
  override readonly name = 'RebuildInProgressError';
  constructor() {
    super(
      'another rebuild of the read model is running on this database; run this one once it has finished (the two would fill the same copies)',
    );
  }
}

/** The databases this process is rebuilding (PGlite: the only process there is). */
const rebuilding = new WeakSet<SqlDatabase>();

/**
 * One rebuild at a time per database, whichever process asks: the copies it fills have one name
 * per table. Held for the whole rebuild with a session advisory lock on a connection of its own
 * (released when the session ends, so a rebuild that crashed holds nothing); refused at once, not
 * queued, so an operator learns that one already runs. Resolves to the release.
 */
async function exclusiveRebuild(db: SqlDatabase): Promise<() => Promise<void>> {
  if (rebuilding.has(db)) throw new RebuildInProgressError();
  rebuilding.add(db);
  if (!db.session) return async () => void rebuilding.delete(db);
  let session: SqlSession | undefined;
  try {
    session = await db.session();
    const { rows } = await session.query<{ won: boolean }>(
      "select pg_try_advisory_lock(hashtext('concord_rebuild'), 0) as won",
    );
    if (!rows[0]?.won) throw new RebuildInProgressError();
  } catch (error) {
    rebuilding.delete(db);
    await session?.close().catch(() => undefined);
    throw error;
  }
  const held = session;
  return async () => {
    rebuilding.delete(db);
    await held.close();
  };
}

/** How long the switch to a rebuilt read model waits for the live tables' readers, per attempt. */
const SWITCH_LOCK_TIMEOUT_MS = 500;
const SWITCH_ATTEMPTS = 20;
/** PostgreSQL's lock_timeout expired. */
const LOCK_NOT_AVAILABLE = '55P03';

/**
 * Events projected between two writes of a rebuild's rows, and rows a rebuild keeps in memory
 * before it starts again from what it wrote.
 */
const REBUILD_WINDOW = { events: 5_000, maxRows: 200_000 };

/**
 * The rows of a rebuild on their way into the next read model's tables: one projection chunk
 * kept across pages (a row is read once and written once per window of events, not once per page
 * as in live running, where each chunk must commit with its checkpoint), its writes sent while the
 * next window is projected (one in flight at a time), its memory bounded (the timeline's written
 * rows let go; everything let go past the window's `maxRows`, once written).
 */
class NextReadModelFill {
  readonly #sql: SqlDatabase;
  readonly #copier: RowCopier;
  #chunk: ProjectionChunk;
  #unwritten = 0;
  #writing: Promise<void> = Promise.resolve();
  #lastTimeline: readonly TimelineRow[] = [];
  readonly #window: { events: number; maxRows: number };

  constructor(db: SqlDatabase, window: { events: number; maxRows: number }) {
    this.#sql = db;
    this.#window = window;
    this.#copier = new RowCopier(db, nextTableOf);
    this.#chunk = new ProjectionChunk(heldInMemory(sqlRowLoader(db, nextTableOf)));
  }

  async project(events: readonly RecordedEvent[]): Promise<void> {
    await this.#chunk.prefetch(events);
    for (const event of events) {
      try {
        await this.#chunk.apply(event);
      } catch (error) {
        throw new ProjectionError(event, error);
      }
    }
    this.#unwritten += events.length;
    if (this.#unwritten >= this.#window.events) await this.#write();
  }

  /** Writes everything projected so far and waits until it is written. */
  async flush(): Promise<void> {
    await this.#write();
    await this.#writing;
  }

  /** Waits for the write in flight, whatever its outcome. */
  async settled(): Promise<void> {
    await this.#writing.catch(() => undefined);
  }

  async #write(): Promise<void> {
    const writes: ChunkWrites = await this.#chunk.finish();
    // Rows the copies do not hold yet (most: every timeline entry, each batch's first state) are
    // loaded with COPY, the cheap way in; rows written in an earlier window are upserted.
    const { stored, fresh } = this.#chunk.splitByStored();
    this.#chunk.settle();
    this.#unwritten = 0;
    // One write in flight: the one before is committed (or has failed, and so does this).
    await this.#writing;
    const inFlight = new Set(writes.timeline.map((row) => row.event_id));
    this.#chunk.forgetTimeline(this.#lastTimeline.filter((row) => !inFlight.has(row.event_id)));
    this.#lastTimeline = writes.timeline;
    // Both end before the write counts as done, even when one fails (the copies may be dropped).
    this.#writing = Promise.allSettled([
      writeChunk(this.#sql, stored, nextTableOf),
      this.#copier.copyChunk(fresh),
    ]).then((results) => {
      for (const result of results) if (result.status === 'rejected') throw result.reason;
    });
    this.#writing.catch(() => undefined); // awaited by the next write or the flush
    if (this.#chunk.size > this.#window.maxRows) {
      await this.#writing;
      // Starts again from what the copies hold, reading it as it goes.
      this.#chunk = new ProjectionChunk(sqlRowLoader(this.#sql, nextTableOf));
      this.#lastTimeline = [];
    }
  }
}

/**
 * The loader of the chunk a rebuild starts on empty copies. Every row the copies get is written
 * from that chunk, which keeps it in memory (only timeline entries are let go), and a row read
 * never replaces the one in memory: so there is nothing to read but the timeline entries let go
 * (read again when a later event corrects one). Spares a rebuild's every page its round trips.
 */
const heldInMemory = (copies: RowLoader): RowLoader => ({
  organizations: async () => [],
  people: async () => [],
  agreements: async () => [],
  batches: async () => [],
  qcResults: async () => [],
  deviations: async () => [],
  deviationBatches: async () => [],
  timeline: (eventIds) => copies.timeline(eventIds),
});

/** Who resolves a dead letter, and why (kept with what was done). */
export interface DeadLetterResolver {
  actor: string;
  reason: string;
}

export type DeadLetterRetry =
  | { status: 'retried'; resolved: DeadLetter[] }
  | { status: 'failed'; error: string }
  | { status: 'unknown' };

/** What an operator did with a dead letter. */
export interface DeadLetterResolution {
  position: bigint;
  eventId: string;
  streamId: string;
  type: string;
  action: 'retried' | 'retry-failed' | 'skipped';
  reason: string;
  actor: string;
  error: string | null;
  resolvedAt: Date;
}

type DeadLetterRow = {
  position: string;
  event_id: string;
  stream_id: string;
  type: string;
  error: string;
  failed_at: Date | string;
};

const toDeadLetter = (row: DeadLetterRow): DeadLetter => ({
  position: BigInt(row.position),
  eventId: row.event_id,
  streamId: row.stream_id,
  type: row.type,
  error: row.error,
  failedAt: new Date(row.failed_at),
});

/**
 * The rows a stream makes, by its kind, removed before the stream is projected again ($1 is the
 * stream's id; its timeline entries go by stream id). Links between a deviation and its batches
 * are the deviation's; a batch's readiness is recomputed from them.
 */
const STREAM_ROWS: Record<StreamKind, string[]> = {
  batch: ['delete from rm_batches where id = $1', 'delete from rm_qc_results where batch_id = $1'],
  deviation: [
    'delete from rm_deviations where id = $1',
    'delete from rm_deviation_batches where deviation_id = $1',
  ],
  organization: [
    'delete from rm_organizations where id = $1',
    'delete from rm_people where organization_id = $1',
  ],
  agreement: ['delete from rm_agreements where id = $1'],
};
