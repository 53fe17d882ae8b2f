import { fileURLToPath } from 'node:url';
import {
  ConcurrencyError,
  EventIdConflictError,
  InvalidAppendError,
  assertExpectedVersion,
  assertValidAppend,
  assertValidAppendMany,
  meetsExpectedVersion,
  chainEvents,
  contentHash,
  runSubscription,
  verifyStreams,
  type AppendOptions,
  type AppendRequest,
  type AppendResult,
  type EventMetadata,
  type EventStore,
  type ExpectedVersion,
  type HashedFields,
  type JsonObject,
  type NewEvent,
  type ReadAllOptions,
  type ReadStreamOptions,
  type RecordedEvent,
  type StoredStream,
  type StreamAppendOutcome,
  type StreamInfo,
  type StreamMetadata,
  type SubscribeOptions,
  type Subscription,
  type SubscriptionHandler,
  type VerifyResult,
} from '@concord/event-store';
import {
  changeNotifications,
  migrate,
  postgresErrorOf,
  sqlCheckpoints,
  type SqlCheckpoints,
  type SqlDatabase,
  type SqlExecutor,
} from '@concord/sql';

const MIGRATIONS = fileURLToPath(new URL('../migrations', import.meta.url));
const NOTIFY_CHANNEL = 'concord_events';
/** SQLSTATE es_append raises when the stream moved after the writer read its head. */
const STREAM_MOVED = 'CN409';
const MAX_APPEND_RETRIES = 20;

/** What a PostgreSQL subscription handler gets: the transaction its checkpoint is saved in. */
export interface PostgresSubscriptionContext {
  /**
   * Write the handler's effects here and they commit atomically with the checkpoint (on a
   * server). On PGlite it is the database itself and the checkpoint is saved after the handler.
   */
  sql: SqlExecutor;
}

export interface PostgresEventStoreOptions {
  /** The platform's clock for `recordedAt`. @default () => new Date() */
  clock?: () => Date;
  /**
   * Apply the store's migrations on open. A process that logs in as a concord_writer member
   * (which may append but not alter the schema) opens with false, after a deploy step migrated
   * as the owner. @default true
   */
  migrate?: boolean;
}

interface EventRow {
  position: string;
  stream_id: string;
  stream_version: number;
  event_id: string;
  event_type: string;
  data: JsonObject;
  metadata: EventMetadata;
  recorded_at: string;
  hash: string;
  previous_hash: string | null;
}

// Positions travel as text (int8 exceeds a JS number); the alias must not shadow the column, or
// "order by global_position" would sort the text.
const EVENT_COLUMNS = `global_position::text as position, stream_id, stream_version, event_id,
  event_type, data, metadata,
  to_char(recorded_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as recorded_at,
  hash, previous_hash`;

/** Only rows of transactions older than every running one: nothing earlier can still appear. */
const VISIBLE = `transaction_id < pg_snapshot_xmin(pg_current_snapshot())`;

const toEvent = (row: EventRow): RecordedEvent => ({
  id: row.event_id,
  type: row.event_type,
  data: row.data,
  metadata: row.metadata,
  streamId: row.stream_id,
  streamVersion: row.stream_version,
  globalPosition: BigInt(row.position),
  recordedAt: row.recorded_at,
  hash: row.hash,
  previousHash: row.previous_hash,
});

/** Stored JSON comes back as JSON.parse(JSON.stringify(x)): hash exactly that. */
const asStored = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

type StoredEvent = HashedFields & { hash: string };

/**
 * The event store on PostgreSQL: a server through `pg`, or PGlite in-process for the embedded
 * mode; the same SQL on both. See migrations/0001_event_store.sql for the layout and the ordering.
 */
export class PostgresEventStore implements EventStore {
  readonly #db: SqlDatabase;
  readonly #clock: () => Date;
  readonly #checkpoints: SqlCheckpoints;

  private constructor(db: SqlDatabase, options: PostgresEventStoreOptions) {
    this.#db = db;
    this.#checkpoints = sqlCheckpoints(db, 'es_checkpoints');
    this.#clock = options.clock ?? (() => new Date());
  }

  /** Applies the store's migrations (idempotent, safe to race) and opens the store. */
  static async open(
    db: SqlDatabase,
    options: PostgresEventStoreOptions = {},
  ): Promise<PostgresEventStore> {
    if (options.migrate !== false)
      await migrate(db, { directory: MIGRATIONS, table: 'es_migrations' });
    return new PostgresEventStore(db, options);
  }

  async append(
    streamId: string,
    events: NewEvent[],
    options: AppendOptions = {},
  ): Promise<AppendResult> {
    assertValidAppend(streamId, events);
    const expected = options.expectedVersion ?? 'any';
    // Writers that do not care about the version retry a lost race themselves.
    const retries = expected === 'any' || expected === 'stream-exists' ? MAX_APPEND_RETRIES : 0;
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.#appendOnce(streamId, events, expected);
      } catch (error) {
        const moved = postgresErrorOf(error).code === STREAM_MOVED;
        if (moved && attempt < retries) continue;
        return this.#explainFailedAppend(streamId, events, expected, error);
      }
    }
  }

  /**
   * Two round trips: read the stream head, then one `es_append` call that checks the head is
   * unchanged, takes positions, inserts, moves the head and notifies, in its own transaction.
   */
  async #appendOnce(
    streamId: string,
    events: NewEvent[],
    expected: ExpectedVersion,
  ): Promise<AppendResult> {
    const { rows } = await this.#db.query<{ version: number; head_hash: string | null }>(
      'select version, head_hash from es_streams where stream_id = $1',
      [streamId],
    );
    const current = rows[0]?.version ?? 0;
    assertExpectedVersion(streamId, expected, current);

    const recordedAt = this.#clock().toISOString();
    const stored = chainEvents(streamId, current, rows[0]?.head_hash ?? null, events, recordedAt);
    const result = await this.#db.query<{ first: string }>(
      'select es_append($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)::text as first',
      [
        streamId,
        current,
        recordedAt,
        stored.map((e) => e.id),
        stored.map((e) => e.type),
        stored.map((e) => JSON.stringify(e.data)),
        stored.map((e) => JSON.stringify(e.metadata)),
        stored.map((e) => e.hash),
        stored.map((e) => e.previousHash),
        NOTIFY_CHANNEL,
      ],
    );
    const first = BigInt(result.rows[0]!.first);
    return {
      streamId,
      nextExpectedVersion: current + events.length,
      positions: stored.map((_, index) => first + BigInt(index)),
      hashes: stored.map((e) => e.hash),
      recordedAt,
      duplicate: false,
    };
  }

  /**
   * Two round trips for all the streams: read their heads, then one `es_append_streams` call that
   * appends to every stream still at its read version, in one transaction. Events already stored
   * (a redelivery) make the call fail as a whole: those streams are then answered as redeliveries
   * and the others appended again; a real clash throws before anything is written.
   */
  async appendMany(requests: readonly AppendRequest[]): Promise<StreamAppendOutcome[]> {
    assertValidAppendMany(requests);
    const outcomes: (StreamAppendOutcome | undefined)[] = new Array(requests.length);
    let pending = requests.map((_, index) => index);
    for (let attempt = 0; pending.length > 0; attempt++) {
      try {
        await this.#appendManyOnce(requests, pending, outcomes);
        break;
      } catch (error) {
        const { code, constraint } = postgresErrorOf(error);
        if (code?.startsWith('22'))
          throw new InvalidAppendError(`events cannot be stored: ${(error as Error).message}`);
        const knownId = code === '23505' && constraint === 'es_events_event_id_key';
        if (!knownId || attempt >= MAX_APPEND_RETRIES) throw error;
        for (const index of pending) {
          const { streamId, events } = requests[index]!;
          const duplicate = await this.#duplicateOf(streamId, events);
          if (duplicate) outcomes[index] = { status: 'appended', ...duplicate };
        }
        pending = pending.filter((index) => outcomes[index] === undefined);
      }
    }
    return outcomes as StreamAppendOutcome[];
  }

  async #appendManyOnce(
    requests: readonly AppendRequest[],
    pending: readonly number[],
    outcomes: (StreamAppendOutcome | undefined)[],
  ): Promise<void> {
    const { rows: heads } = await this.#db.query<{
      stream_id: string;
      version: number;
      head_hash: string | null;
    }>('select stream_id, version, head_hash from es_streams where stream_id = any($1::text[])', [
      pending.map((index) => requests[index]!.streamId),
    ]);
    const headOf = new Map(heads.map((row) => [row.stream_id, row]));
    const recordedAt = this.#clock().toISOString();
    const toWrite: { index: number; read: number; stored: StoredEvent[] }[] = [];
    for (const index of pending) {
      const { streamId, events, expectedVersion = 'any' } = requests[index]!;
      const head = headOf.get(streamId);
      const current = head?.version ?? 0;
      if (!meetsExpectedVersion(expectedVersion, current)) {
        outcomes[index] = await this.#conflictOrRedelivery(requests[index]!, current);
        continue;
      }
      const stored = chainEvents(streamId, current, head?.head_hash ?? null, events, recordedAt);
      toWrite.push({ index, read: current, stored });
    }
    if (toWrite.length === 0) return;
    const all = toWrite.flatMap((w) => w.stored);
    const { rows } = await this.#db.query<{
      first_position: string | null;
      current_version: number;
    }>(
      `select first_position::text as first_position, current_version
       from es_append_streams($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
      [
        toWrite.map((w) => requests[w.index]!.streamId),
        toWrite.map((w) => w.read),
        toWrite.map((w) => w.stored.length),
        recordedAt,
        all.map((e) => e.id),
        all.map((e) => e.type),
        all.map((e) => JSON.stringify(e.data)),
        all.map((e) => JSON.stringify(e.metadata)),
        all.map((e) => e.hash),
        all.map((e) => e.previousHash),
        NOTIFY_CHANNEL,
      ],
    );
    for (const [k, row] of rows.entries()) {
      const { index, stored } = toWrite[k]!;
      const request = requests[index]!;
      if (row.first_position === null) {
        outcomes[index] = await this.#conflictOrRedelivery(request, row.current_version);
        continue;
      }
      const first = BigInt(row.first_position);
      outcomes[index] = {
        status: 'appended',
        streamId: request.streamId,
        nextExpectedVersion: row.current_version,
        positions: stored.map((_, i) => first + BigInt(i)),
        hashes: stored.map((e) => e.hash),
        recordedAt,
        duplicate: false,
      };
    }
  }

  /**
   * A stream of `appendMany` that was not at the expected version: the same events stored already
   * are a redelivery; a writer that did not care about the exact version is appended on its own
   * (with `append`'s retries); anyone else gets the conflict.
   */
  async #conflictOrRedelivery(
    { streamId, events, expectedVersion = 'any' }: AppendRequest,
    actualVersion: number,
  ): Promise<StreamAppendOutcome> {
    if (expectedVersion === 'any' || expectedVersion === 'stream-exists')
      return { status: 'appended', ...(await this.append(streamId, events, { expectedVersion })) };
    const duplicate = await this.#duplicateOf(streamId, events);
    return duplicate
      ? { status: 'appended', ...duplicate }
      : { status: 'conflict', streamId, actualVersion };
  }

  /**
   * A failed append is a redelivery (answered with the original positions), a lost race
   * (ConcurrencyError with the actual version), or content PostgreSQL cannot store.
   */
  async #explainFailedAppend(
    streamId: string,
    events: NewEvent[],
    expected: AppendOptions['expectedVersion'],
    error: unknown,
  ): Promise<AppendResult> {
    const { code, constraint } = postgresErrorOf(error);
    const lostRace =
      code === STREAM_MOVED || (code === '23505' && constraint === 'es_events_stream_version_key');
    const knownId = code === '23505' && constraint === 'es_events_event_id_key';
    if (!(error instanceof ConcurrencyError) && !lostRace && !knownId) {
      if (code?.startsWith('22')) {
        throw new InvalidAppendError(
          `events for ${streamId} cannot be stored: ${(error as Error).message}`,
        );
      }
      throw error;
    }
    const duplicate = await this.#duplicateOf(streamId, events);
    if (duplicate) return duplicate;
    if (error instanceof ConcurrencyError) throw error;
    if (knownId)
      throw new EventIdConflictError(events[0]!.id, 'partially: the rest of its batch is new');
    const actual = (await this.streamInfo(streamId))?.version ?? 0;
    throw new ConcurrencyError(streamId, expected ?? 'any', actual);
  }

  async #duplicateOf(streamId: string, events: NewEvent[]): Promise<AppendResult | undefined> {
    const { rows } = await this.#db.query<EventRow>(
      `select ${EVENT_COLUMNS} from es_events where event_id = any($1::text[])`,
      [events.map((e) => e.id)],
    );
    if (rows.length === 0) return undefined;
    const byId = new Map(rows.map((row) => [row.event_id, toEvent(row)]));
    const positions: bigint[] = [];
    for (const event of events) {
      const original = byId.get(event.id);
      if (!original)
        throw new EventIdConflictError(event.id, 'partially: the rest of its batch is new');
      if (original.streamId !== streamId) {
        throw new EventIdConflictError(event.id, `in another stream (${original.streamId})`);
      }
      if (contentHash(original) !== contentHash({ type: event.type, data: asStored(event.data) })) {
        throw new EventIdConflictError(event.id, 'with different content');
      }
      positions.push(original.globalPosition);
    }
    const version = (await this.streamInfo(streamId))?.version ?? 0;
    return {
      streamId,
      nextExpectedVersion: version,
      positions,
      hashes: events.map((event) => byId.get(event.id)!.hash),
      recordedAt: byId.get(events[0]!.id)!.recordedAt,
      duplicate: true,
    };
  }

  async readStream(streamId: string, options: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
    const { direction = 'forwards', fromVersion, maxCount } = options;
    const forwards = direction === 'forwards';
    const { rows } = await this.#db.query<EventRow>(
      `select ${EVENT_COLUMNS} from es_events
       where stream_id = $1 and ($2::int is null or stream_version ${forwards ? '>=' : '<='} $2)
       order by stream_version ${forwards ? 'asc' : 'desc'}
       limit $3`,
      [streamId, fromVersion ?? null, maxCount ?? null],
    );
    return rows.map(toEvent);
  }

  async readStreamsFrom(
    requests: readonly { streamId: string; fromVersion: number }[],
  ): Promise<Map<string, RecordedEvent[]>> {
    const streams = new Map<string, RecordedEvent[]>(requests.map((r) => [r.streamId, []]));
    if (requests.length === 0) return streams;
    const { rows } = await this.#db.query<EventRow>(
      `select ${EVENT_COLUMNS} from es_events
       join unnest($1::text[], $2::int[]) as wanted(stream_id, from_version) using (stream_id)
       where stream_version >= wanted.from_version
       order by stream_id, stream_version`,
      [requests.map((r) => r.streamId), requests.map((r) => r.fromVersion)],
    );
    for (const row of rows) streams.get(row.stream_id)!.push(toEvent(row));
    return streams;
  }

  async readAll(options: ReadAllOptions = {}): Promise<RecordedEvent[]> {
    return this.#readAll(this.#db, options.after ?? 0n, options.maxCount ?? 1000);
  }

  async #readAll(sql: SqlExecutor, after: bigint, maxCount: number): Promise<RecordedEvent[]> {
    const { rows } = await sql.query<EventRow>(
      `select ${EVENT_COLUMNS} from es_events
       where global_position > $1::bigint and ${VISIBLE}
       order by global_position limit $2`,
      [after.toString(), maxCount],
    );
    return rows.map(toEvent);
  }

  async headPosition(): Promise<bigint> {
    const { rows } = await this.#db.query<{ head: string }>(
      `select coalesce(max(global_position), 0)::text as head from es_events where ${VISIBLE}`,
    );
    return BigInt(rows[0]!.head);
  }

  async streamInfo(streamId: string): Promise<StreamInfo | undefined> {
    const { rows } = await this.#db.query<{
      version: number;
      head_hash: string | null;
      metadata: StreamMetadata;
    }>('select version, head_hash, metadata from es_streams where stream_id = $1', [streamId]);
    const row = rows[0];
    return (
      row && { streamId, version: row.version, headHash: row.head_hash, metadata: row.metadata }
    );
  }

  async setStreamMetadata(streamId: string, metadata: StreamMetadata): Promise<void> {
    await this.#db.query(
      `insert into es_streams (stream_id, version, head_hash, metadata) values ($1, 0, null, $2::jsonb)
       on conflict (stream_id) do update set metadata = excluded.metadata`,
      [streamId, JSON.stringify(metadata)],
    );
  }

  loadCheckpoint(subscriberId: string, sql?: SqlExecutor): Promise<bigint> {
    return this.#checkpoints.load(subscriberId, sql);
  }

  saveCheckpoint(subscriberId: string, position: bigint, sql?: SqlExecutor): Promise<void> {
    return this.#checkpoints.save(subscriberId, position, sql);
  }

  /**
   * Follows the global order. Each batch is handled in one transaction with the checkpoint, under
   * a row lock on it: a crash anywhere leaves either both or neither, and two running instances of
   * one subscriber never handle the same batch (the second sees the moved checkpoint and skips).
   */
  subscribe(
    subscriberId: string,
    handler: SubscriptionHandler<PostgresSubscriptionContext>,
    options?: SubscribeOptions,
  ): Subscription {
    const changes = changeNotifications(this.#db, NOTIFY_CHANNEL);
    const subscription = runSubscription(
      {
        loadCheckpoint: async () => {
          await changes.listen();
          return this.loadCheckpoint(subscriberId);
        },
        read: (after, maxCount) => this.readAll({ after, maxCount }),
        handle: (events) =>
          this.#db.kind === 'pglite'
            ? this.#handleThenCheckpoint(subscriberId, events, handler)
            : this.#checkpoints.handleOnce(subscriberId, events, (fresh, sql) =>
                handler(fresh, { sql }),
              ),
        waitForChange: changes.waitForChange,
        announcedHead: changes.announcedHead,
      },
      options,
    );
    void subscription.done.finally(() => changes.close());
    return subscription;
  }

  /**
   * PGlite has one connection: a handler that reads or appends through the store while the
   * checkpoint's transaction is open would wait for itself forever. There the batch is handled
   * first and the checkpoint saved after it, so a crash in between hands the batch over again
   * (at least once, as with other adapters); handlers are idempotent for that reason.
   */
  async #handleThenCheckpoint(
    subscriberId: string,
    events: RecordedEvent[],
    handler: SubscriptionHandler<PostgresSubscriptionContext>,
  ): Promise<bigint> {
    const stored = await this.#checkpoints.load(subscriberId);
    const fresh = events.filter((event) => event.globalPosition > stored);
    const last = events.at(-1)?.globalPosition ?? stored;
    if (fresh.length === 0) return stored > last ? stored : last;
    await handler(fresh, { sql: this.#db });
    await this.#checkpoints.save(subscriberId, last);
    return last;
  }

  async verify(scope: { streamId: string } | 'all'): Promise<VerifyResult> {
    const ids =
      scope === 'all'
        ? (
            await this.#db.query<{ stream_id: string }>(
              `select stream_id from es_streams where version > 0
               union select distinct stream_id from es_events order by stream_id`,
            )
          ).rows.map((row) => row.stream_id)
        : [scope.streamId];
    const db = this.#db;
    const streamInfo = (streamId: string) => this.streamInfo(streamId);
    async function* streams(): AsyncGenerator<StoredStream> {
      for (const streamId of ids) {
        const info = await streamInfo(streamId);
        const { rows } = await db.query<EventRow>(
          `select ${EVENT_COLUMNS} from es_events where stream_id = $1 order by stream_version`,
          [streamId],
        );
        yield { streamId, events: rows.map(toEvent), headHash: info?.headHash ?? null };
      }
    }
    return verifyStreams(streams());
  }

  async close(): Promise<void> {
    await this.#db.close();
  }
}
