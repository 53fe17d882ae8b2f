import { LRUCache } from 'lru-cache';
import { setTimeout } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import {
  ConcurrencyError,
  EventIdConflictError,
  InvalidAppendError,
  assertValidAppendMany,
  meetsExpectedVersion,
  chainEventTexts,
  contentHash,
  runSubscription,
  verifyStreams,
  type AppendOptions,
  type AppendRequest,
  type AppendResult,
  type ChainedEvent,
  type EventMetadata,
  type EventStore,
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
  /**
   * Shortest time between two announcements of new positions (NOTIFY): the first append after a
   * quiet spell is announced at once, a burst in one announcement per interval carrying its
   * newest position. One NOTIFY per append cost single appends ~6 % of their throughput.
   * @default ANNOUNCE_INTERVAL_MS (5 ms)
   */
  announceIntervalMs?: number;
}

/** See `PostgresEventStoreOptions.announceIntervalMs`. */
export const ANNOUNCE_INTERVAL_MS = 5;

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

/** What separates the JSON texts of one parameter (the SQL splits on `chr(30)`). */
const RECORD_SEPARATOR = '\u001e';

/**
 * Many JSON texts as one text parameter, split again by the SQL with `string_to_array(…, chr(30))`.
 * As a `text[]` parameter, pg escaped every quote and backslash of every payload into an array
 * literal (two regular-expression passes and two copies of each event's data and metadata: about
 * a twentieth of what the ingest process allocated and 1.5 % of its CPU); a join copies once. JSON
 * text never holds a raw U+001E (RFC 8259 escapes every control character inside a string, and
 * allows only four whitespace characters outside one), so the split gives back exactly the texts.
 */
function jsonTexts(texts: readonly string[]): string {
  // A defect, not input (canonical JSON escapes it): a wrong split would store wrong data.
  if (texts.some((text) => text.includes(RECORD_SEPARATOR)))
    throw new Error('defect: a JSON text holds a raw U+001E');
  return texts.join(RECORD_SEPARATOR);
}

/** Where a stream ends: its version and the hash of its last event. */
interface StreamHead {
  version: number;
  hash: string | null;
}

/**
 * The event store on PostgreSQL: a server through `pg`, or PGlite in-process for the embedded
 * mode; the same SQL on both. See migrations/0001_event_store.sql for the layout and the ordering.
 */
export class PostgresEventStore implements EventStore {
  readonly #db: SqlDatabase;
  readonly #clock: () => Date;
  readonly #announceIntervalMs: number;
  readonly #checkpoints: SqlCheckpoints;
  /** The heads of streams this store appended to last (it then need not read them first). */
  readonly #heads = new LRUCache<string, StreamHead>({ max: 10_000 });
  /** The newest position announced, the newest to announce, and the announcement in flight. */
  #announced = 0n;
  #toAnnounce = 0n;
  #announcing: Promise<void> | undefined;
  /** When the last announcement was sent (performance.now()). */
  #announcedAt = -Infinity;

  private constructor(db: SqlDatabase, options: PostgresEventStoreOptions) {
    this.#db = db;
    this.#checkpoints = sqlCheckpoints(db, 'es_checkpoints');
    this.#clock = options.clock ?? (() => new Date());
    this.#announceIntervalMs = options.announceIntervalMs ?? ANNOUNCE_INTERVAL_MS;
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

  /** One stream's `appendMany`: the same function and round trips, a conflict thrown. */
  async append(
    streamId: string,
    events: NewEvent[],
    options: AppendOptions = {},
  ): Promise<AppendResult> {
    const [outcome] = await this.appendMany([{ streamId, events, ...options }]);
    if (outcome!.status === 'conflict')
      throw new ConcurrencyError(
        streamId,
        options.expectedVersion ?? 'any',
        outcome!.actualVersion,
      );
    const { status: _status, ...result } = outcome!;
    return result;
  }

  /**
   * Two round trips for all the streams: read their heads, then one `es_append_streams_answered`
   * call that appends to every stream still at its read version, in one transaction. Events
   * already stored (a redelivery) make the call fail as a whole: those streams are then answered
   * as redeliveries and the others appended again; a real clash throws before anything is
   * written.
   */
  async appendMany(requests: readonly AppendRequest[]): Promise<StreamAppendOutcome[]> {
    assertValidAppendMany(requests);
    const outcomes: (StreamAppendOutcome | undefined)[] = new Array(requests.length);
    let pending = requests.map((_, index) => index);
    // Streams whose head is read from the database in the next attempt, not taken as known.
    const readHead = new Set<number>();
    for (let attempt = 0; pending.length > 0; attempt++) {
      let moved: Map<number, number>;
      try {
        moved = await this.#appendManyOnce(requests, pending, outcomes, readHead);
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
        continue;
      }
      // A head taken as known was stale, or a writer that names no version lost a race for the
      // stream: they try again, from the head as stored (read, or as the refusal answered it).
      pending = [...moved.keys()];
      if (attempt < MAX_APPEND_RETRIES) continue;
      for (const [index, actualVersion] of moved)
        outcomes[index] = {
          status: 'conflict',
          streamId: requests[index]!.streamId,
          actualVersion,
        };
      break;
    }
    return outcomes as StreamAppendOutcome[];
  }

  /**
   * One attempt at the pending requests. A stream's head is taken as known when this store wrote
   * it last (or the writer expects no stream), else read in one query for all. Answers each
   * request, except where a head taken as known was stale or a writer that names no version lost
   * a race: returned (index → actual version) to be tried again from the stored head (as the
   * refusal answered it, or read again where the head taken as known was stale). A writer that
   * named a version and lost is answered from the refusal alone.
   */
  async #appendManyOnce(
    requests: readonly AppendRequest[],
    pending: readonly number[],
    outcomes: (StreamAppendOutcome | undefined)[],
    readHead: Set<number>,
  ): Promise<Map<number, number>> {
    const moved = new Map<number, number>();
    const known = new Map<number, StreamHead>();
    for (const index of pending) {
      if (readHead.has(index)) continue;
      const { streamId, expectedVersion } = requests[index]!;
      const head =
        this.#heads.get(streamId) ??
        (expectedVersion === 'no-stream' ? { version: 0, hash: null } : undefined);
      if (head) known.set(index, head);
    }
    const toRead = pending.filter((index) => !known.has(index));
    const stored = new Map<string, StreamHead>();
    if (toRead.length > 0) {
      const { rows } = await this.#db.query<{
        stream_id: string;
        version: number;
        head_hash: string | null;
      }>('select stream_id, version, head_hash from es_streams where stream_id = any($1::text[])', [
        toRead.map((index) => requests[index]!.streamId),
      ]);
      for (const row of rows)
        stored.set(row.stream_id, { version: row.version, hash: row.head_hash });
    }
    const recordedAt = this.#clock().toISOString();
    const toWrite: { index: number; read: number; stored: ChainedEvent[] }[] = [];
    for (const index of pending) {
      const { streamId, events, expectedVersion = 'any' } = requests[index]!;
      const head = known.get(index) ?? stored.get(streamId) ?? { version: 0, hash: null };
      if (!meetsExpectedVersion(expectedVersion, head.version)) {
        // Against a head taken as known, the conflict may be the cache's: read it and see.
        if (known.has(index)) {
          moved.set(index, head.version);
          readHead.add(index);
        } else outcomes[index] = await this.#conflictOrRedelivery(requests[index]!, head.version);
        continue;
      }
      const chain = chainEventTexts(streamId, head.version, head.hash, events, recordedAt);
      toWrite.push({ index, read: head.version, stored: chain });
    }
    if (toWrite.length === 0) return moved;
    const all = toWrite.flatMap((w) => w.stored);
    const { rows } = await this.#db.query<{
      first_position: string | null;
      current_version: number;
      head_hash: string | null;
      stored: boolean;
    }>(
      // One stream (every command's append) has a function of its own, a third of the server's
      // work of the one for many streams; both take and answer the same.
      `select first_position::text as first_position, current_version, head_hash, stored
       from ${toWrite.length === 1 ? 'es_append_one_stream' : 'es_append_streams_answered'}(
         $1, $2, $3, $4, $5, $6, string_to_array($7, chr(30)), string_to_array($8, chr(30)),
         $9, $10)`,
      [
        toWrite.map((w) => requests[w.index]!.streamId),
        toWrite.map((w) => w.read),
        toWrite.map((w) => w.stored.length),
        recordedAt,
        all.map((e) => e.id),
        all.map((e) => e.type),
        jsonTexts(all.map((e) => e.dataJson)),
        jsonTexts(all.map((e) => e.metadataJson)),
        all.map((e) => e.hash),
        all.map((e) => e.previousHash),
      ],
    );
    let last: bigint | undefined;
    for (const [k, row] of rows.entries()) {
      const { index, stored } = toWrite[k]!;
      const request = requests[index]!;
      if (row.first_position === null) {
        // Refused: the answer carries the stream's head as its winner left it, and whether any
        // of these events is stored already. A redelivery is looked up; a writer that names no
        // version (or whose version still holds: its known hash was stale) tries again, chained
        // to that head; any other writer has its conflict.
        const head = { version: row.current_version, hash: row.head_hash };
        this.#heads.set(request.streamId, head);
        const { expectedVersion = 'any' } = request;
        if (row.stored)
          outcomes[index] = await this.#conflictOrRedelivery(request, row.current_version);
        else if (meetsExpectedVersion(expectedVersion, head.version)) {
          moved.set(index, head.version);
          readHead.delete(index);
        } else
          outcomes[index] = {
            status: 'conflict',
            streamId: request.streamId,
            actualVersion: head.version,
          };
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
      const end = first + BigInt(stored.length - 1);
      if (last === undefined || end > last) last = end;
      this.#heads.set(request.streamId, {
        version: row.current_version,
        hash: stored.at(-1)!.hash,
      });
    }
    if (last !== undefined) this.#announce(last);
    return moved;
  }

  /**
   * Tells subscribers (every process LISTENing on the channel) that the log grew to `position`,
   * after the commit and outside the appending transaction (see migration 0003: notifying inside
   * it made appends commit one at a time). One NOTIFY at a time per store, at most one per
   * `announceIntervalMs`, carrying the newest position: a burst of appends costs a few. A lost
   * announcement costs a reader one poll interval.
   */
  #announce(position: bigint): void {
    if (position > this.#toAnnounce) this.#toAnnounce = position;
    if (this.#announcing) return;
    this.#announcing = (async () => {
      while (this.#toAnnounce > this.#announced) {
        const wait = this.#announcedAt + this.#announceIntervalMs - performance.now();
        if (wait > 0) await setTimeout(wait);
        const next = this.#toAnnounce;
        this.#announced = next;
        this.#announcedAt = performance.now();
        try {
          await this.#db.query('select pg_notify($1, $2)', [NOTIFY_CHANNEL, next.toString()]);
        } catch {
          return; // readers fall back on polling
        }
      }
    })().finally(() => {
      this.#announcing = undefined;
    });
  }

  /**
   * A stream that was not where the writer expected it: the same events stored already are a
   * redelivery; anything else is the conflict.
   */
  async #conflictOrRedelivery(
    { streamId, events }: AppendRequest,
    actualVersion: number,
  ): Promise<StreamAppendOutcome> {
    const duplicate = await this.#duplicateOf(streamId, events);
    return duplicate
      ? { status: 'appended', ...duplicate }
      : { status: 'conflict', streamId, actualVersion };
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
      if (contentHash(original) !== contentHash(event)) {
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
    // Each stream's head as the read saw it (its last event; none at all, read from the first
    // version): a writer that decides on this read appends chained to it without reading the
    // head again. One that moved meanwhile is refused by the append and answered from there, as
    // for any head taken as known.
    for (const { streamId, fromVersion } of requests) {
      const last = streams.get(streamId)!.at(-1);
      if (last) this.#heads.set(streamId, { version: last.streamVersion, hash: last.hash });
      else if (fromVersion <= 1) this.#heads.set(streamId, { version: 0, hash: null });
    }
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

  async committedHeadPosition(): Promise<bigint> {
    const { rows } = await this.#db.query<{ head: string }>(
      'select coalesce(max(global_position), 0)::text as head from es_events',
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
    const changes = changeNotifications(this.#db, NOTIFY_CHANNEL, {
      readableHead: () => this.headPosition(),
    });
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
        waitUntilReadable: changes.waitUntilReadable,
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
    await this.#announcing;
    await this.#db.close();
  }
}
