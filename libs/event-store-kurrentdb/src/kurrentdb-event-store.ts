import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import {
  BACKWARDS,
  END,
  FORWARDS,
  KurrentDBClient,
  START,
  StreamNotFoundError,
  excludeSystemEvents,
  jsonEvent,
  type AllStreamRecordedEvent,
  type AllStreamSubscription,
  type ReadPosition,
  type ReadRevision,
  type StreamMetadata as KurrentStreamMetadata,
} from '@kurrent/kurrentdb-client';
import {
  ConcurrencyError,
  EventIdConflictError,
  EventStoreError,
  InvalidAppendError,
  appendEachInTurn,
  assertExpectedVersion,
  assertValidAppend,
  contentHash,
  delay,
  chainEvents,
  readEachStream,
  runSubscription,
  verifyStreams,
  type AppendOptions,
  type AppendRequest,
  type AppendResult,
  type EventStore,
  type ExpectedVersion,
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
  migrate,
  sqlCheckpoints,
  type SqlCheckpoints,
  type SqlDatabase,
  type SqlExecutor,
} from '@concord/sql';
import {
  assertStorableInKurrentDb,
  bigIntToPosition,
  concordStreamMetadata,
  kurrentEventId,
  positionToBigInt,
  revisionOf,
  toConcordError,
  toKurrentStreamState,
  toRecordedEvent,
  withConcordStreamMetadata,
  wrapMetadata,
  type ConcordEnvelope,
} from './mapping.ts';

const MIGRATIONS = fileURLToPath(new URL('../migrations', import.meta.url));

/**
 * A claim older than this is taken for the claim of a crashed process: longer than any append can
 * take (the client's gRPC deadline is 10 s; the retry loop of an `any` append is bounded).
 */
const STALE_CLAIM_SECONDS = 60;
/** How often a redelivery looks again at an id whose first delivery is still being written. */
const CLAIM_POLL_MS = 20;
/** Attempts of an `any`/`stream-exists` append that keeps losing the race for the stream head. */
const MAX_APPEND_ATTEMPTS = 50;

export type KurrentDbEventStoreOptions = KurrentDbConnection & {
  /**
   * Concord's SQL database (PostgreSQL or PGlite) for what KurrentDB does not keep for Concord:
   * subscriber checkpoints and the index of event ids. The caller owns it: `close()` leaves it open.
   */
  checkpoints: SqlDatabase;
  /** The platform's clock for `recordedAt`. @default () => new Date() */
  clock?: () => Date;
};

/** Where the events are: a connection string, or a client the caller made (and disposes). */
export type KurrentDbConnection =
  | {
      /** `kurrentdb://host:2113?tls=false`, or any connection string the client accepts. */
      connectionString: string;
    }
  | {
      /** A client built by the caller (credentials provider, say); `close()` leaves it open. */
      client: KurrentDBClient;
    };

/** What a KurrentDB subscription handler gets: the SQL transaction its checkpoint is saved in. */
export interface KurrentDbSubscriptionContext {
  /** Write the handler's effects here and they commit atomically with the checkpoint. */
  sql: SqlExecutor;
}

interface IdRow {
  event_id: string;
  stream_id: string;
  content_hash: string;
  claim: string | null;
  stale: boolean;
  position: string | null;
  hash: string | null;
  stream_version: number | null;
}

const isSystem = (event: { streamId: string; type: string }) =>
  event.streamId.startsWith('$') || event.type.startsWith('$');

/**
 * The event store on KurrentDB (24/25) through `@kurrent/kurrentdb-client`.
 *
 * - Stream versions are KurrentDB revisions + 1; the global position is the event's `$all`
 *   position as one number (see `positionToBigInt`).
 * - The hash chain is computed here, from the stream's last event, and stored in each event's
 *   metadata under `$concord` (stripped again on read). Every append is conditional on the exact
 *   revision the chain was computed from: `any` and `stream-exists` appends retry when another
 *   writer got there first, so concurrent writers never fork a chain.
 * - Idempotency by event id: each id is claimed in `kurrent_event_ids` (Concord's SQL database)
 *   before it is written to KurrentDB and the claim is completed with its position after. A second
 *   delivery finds the claim: same stream and content is a redelivery (original positions,
 *   `duplicate: true`, waiting for an in-flight first delivery to finish); another stream or other
 *   content is an EventIdConflictError. A claim left by a crashed process is resolved after
 *   STALE_CLAIM_SECONDS by looking for the event in its stream.
 *   What it does not see: ids written to KurrentDB by anything but this adapter, or before its
 *   index existed (KurrentDB itself then only dedupes the same ids at the same revision).
 * - Subscriptions follow `$all` (system events skipped) with the shared runner, woken by a live
 *   `subscribeToAll`; checkpoints are Concord's, in `kurrent_checkpoints`.
 *
 * Server settings: KurrentDB refuses appends over `MaxAppendSize`, 1 MiB by default, which a
 * single large Concord event (the contract stores 1 MiB of data) exceeds; run it with
 * `KURRENTDB_MAX_APPEND_SIZE=16777216` (16 MiB, the most it allows). A refused append is an
 * InvalidAppendError. Reads need positions on stream reads: KurrentDB 22.6 or later.
 */
export class KurrentDbEventStore implements EventStore {
  readonly #client: KurrentDBClient;
  readonly #db: SqlDatabase;
  readonly #clock: () => Date;
  readonly #ownsClient: boolean;
  readonly #checkpoints: SqlCheckpoints;

  private constructor(
    client: KurrentDBClient,
    ownsClient: boolean,
    db: SqlDatabase,
    clock: () => Date,
  ) {
    this.#client = client;
    this.#ownsClient = ownsClient;
    this.#db = db;
    this.#clock = clock;
    this.#checkpoints = sqlCheckpoints(db, 'kurrent_checkpoints');
  }

  /** Applies the adapter's SQL migrations (idempotent, safe to race) and connects lazily. */
  /**
   * Whether `url` is a KurrentDB connection string (`kurrentdb://`, `kdb://`, or EventStoreDB's
   * `esdb://`, each also `+discover` for a cluster's gossip): what a process checks before it
   * takes a configured store URL for one.
   */
  static accepts(url: string): boolean {
    return /^(kurrentdb|kdb|esdb)(\+discover)?:\/\/[^/\s]/.test(url);
  }

  static async open(options: KurrentDbEventStoreOptions): Promise<KurrentDbEventStore> {
    await migrate(options.checkpoints, { directory: MIGRATIONS, table: 'kurrent_migrations' });
    const owns = 'connectionString' in options;
    const client = owns
      ? KurrentDBClient.connectionString(options.connectionString)
      : options.client;
    return new KurrentDbEventStore(
      client,
      owns,
      options.checkpoints,
      options.clock ?? (() => new Date()),
    );
  }

  async append(
    streamId: string,
    events: NewEvent[],
    options: AppendOptions = {},
  ): Promise<AppendResult> {
    assertValidAppend(streamId, events);
    assertStorableInKurrentDb(streamId, events);
    const expected = options.expectedVersion ?? 'any';
    const contents = events.map((event) => contentHash(event));
    for (;;) {
      const claim = randomUUID();
      const claimed = await this.#claim(streamId, events, contents, claim);
      if (claimed === events.length) {
        const progress = { sent: false };
        try {
          return await this.#write(streamId, events, contents, expected, progress);
        } catch (error) {
          // An append KurrentDB may have stored (timeout, lost connection, failure after the write)
          // keeps its claim: a redelivery then finds the event, or finds the claim stale and free.
          if (!progress.sent) await this.#release(claim);
          throw error;
        }
      }
      if (claimed > 0) await this.#release(claim);
      const redelivery = await this.#redelivery(streamId, events, contents);
      if (redelivery) return redelivery;
      // The claims we met are gone (that append failed, or crashed before writing): claim again.
    }
  }

  /** Claims every id of the batch for this append; resolves to how many were free. */
  async #claim(
    streamId: string,
    events: NewEvent[],
    contents: string[],
    claim: string,
  ): Promise<number> {
    // Always insert in id order: two batches sharing ids then never wait on each other crosswise.
    const order = events
      .map((event, index) => ({ id: event.id, content: contents[index]! }))
      .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    const { rows } = await this.#db.query<{ event_id: string }>(
      `insert into kurrent_event_ids (event_id, stream_id, content_hash, claim)
       select e.id, $2, e.content, $4
       from unnest($1::text[], $3::text[]) with ordinality as e(id, content, n)
       order by e.n
       on conflict (event_id) do nothing
       returning event_id`,
      [order.map((e) => e.id), streamId, order.map((e) => e.content), claim],
    );
    return rows.length;
  }

  /** Drops this append's claims that were not completed (its write failed). */
  async #release(claim: string): Promise<void> {
    await this.#db.query('delete from kurrent_event_ids where claim = $1', [claim]);
  }

  /**
   * Writes a claimed batch: reads the stream head, chains the events to it, appends on exactly
   * that revision, reads the events back for their positions and completes the claims.
   * `progress.sent` is true from the moment KurrentDB may have stored the events.
   */
  async #write(
    streamId: string,
    events: NewEvent[],
    contents: string[],
    expected: ExpectedVersion,
    progress: { sent: boolean },
  ): Promise<AppendResult> {
    for (let attempt = 1; ; attempt++) {
      const head = await this.#head(streamId);
      assertExpectedVersion(streamId, expected, head.version);
      const recordedAt = this.#clock().toISOString();
      const chained = chainEvents(streamId, head.version, head.hash, events, recordedAt);
      const envelopes: ConcordEnvelope[] = chained.map(({ id, hash, previousHash }) => ({
        id,
        hash,
        previousHash,
        recordedAt,
      }));
      const proposed = chained.map((event, index) =>
        jsonEvent({
          id: kurrentEventId(event.id),
          type: event.type,
          data: event.data,
          metadata: wrapMetadata(event.metadata, envelopes[index]!),
        }),
      );
      try {
        progress.sent = true;
        await this.#client.appendToStream(streamId, proposed, {
          streamState: toKurrentStreamState(head.version),
        });
      } catch (error) {
        const converted = toConcordError(error, streamId, expected);
        // A wrong expected version or refused content: KurrentDB wrote nothing.
        if (converted instanceof EventStoreError) progress.sent = false;
        const retriable = expected === 'any' || expected === 'stream-exists';
        if (converted instanceof ConcurrencyError && retriable && attempt < MAX_APPEND_ATTEMPTS) {
          await sleep(Math.random() * Math.min(50, attempt * 5));
          continue;
        }
        throw converted;
      }

      const stored = await this.#readStream(
        streamId,
        { fromVersion: head.version + 1, maxCount: events.length },
        true,
      );
      stored.forEach((event, index) => {
        if (event.id !== events[index]!.id || event.hash !== envelopes[index]!.hash) {
          throw new Error(
            `${streamId}@${event.streamVersion} holds ${event.id}, not the event just appended`,
          );
        }
      });
      if (stored.length !== events.length) {
        throw new Error(
          `${streamId}: ${stored.length} of ${events.length} appended events read back`,
        );
      }
      await this.#complete(streamId, stored, contents);
      return {
        streamId,
        nextExpectedVersion: head.version + events.length,
        positions: stored.map((event) => event.globalPosition),
        hashes: stored.map((event) => event.hash),
        recordedAt,
        duplicate: false,
      };
    }
  }

  /** Records where the events were stored (an upsert: a recovery may have dropped the claim). */
  async #complete(streamId: string, stored: RecordedEvent[], contents: string[]): Promise<void> {
    await this.#db.query(
      `insert into kurrent_event_ids (event_id, stream_id, content_hash, claim, stream_version, position, hash)
       select e.id, $1, e.content, null, e.version, e.position, e.hash
       from unnest($2::text[], $3::text[], $4::int[], $5::bigint[], $6::text[])
         as e(id, content, version, position, hash)
       on conflict (event_id) do update set claim = null, stream_version = excluded.stream_version,
         position = excluded.position, hash = excluded.hash`,
      [
        streamId,
        stored.map((event) => event.id),
        contents,
        stored.map((event) => event.streamVersion),
        stored.map((event) => event.globalPosition.toString()),
        stored.map((event) => event.hash),
      ],
    );
  }

  /**
   * The batch's ids are claimed already: a redelivery (resolves to the original positions), a
   * clash (throws), or claims that vanished meanwhile (resolves to undefined: claim again).
   */
  async #redelivery(
    streamId: string,
    events: NewEvent[],
    contents: string[],
  ): Promise<AppendResult | undefined> {
    for (;;) {
      const { rows } = await this.#db.query<IdRow>(
        `select event_id, stream_id, content_hash, claim, position::text as position, hash,
           stream_version, (claim is not null and claimed_at < now() - make_interval(secs => $2)) as stale
         from kurrent_event_ids where event_id = any($1::text[])`,
        [events.map((event) => event.id), STALE_CLAIM_SECONDS],
      );
      if (rows.length === 0) return undefined;
      // A claim left by a dead process says nothing until it is known whether its event exists.
      const stale = rows.filter((row) => row.stale);
      if (stale.length > 0) {
        await this.#recover(stale);
        continue;
      }
      const byId = new Map(rows.map((row) => [row.event_id, row]));
      events.forEach((event, index) => {
        const row = byId.get(event.id);
        if (!row) {
          const known = rows[0]!.event_id;
          throw new EventIdConflictError(known, 'partially: the rest of its batch is new');
        }
        if (row.stream_id !== streamId) {
          throw new EventIdConflictError(event.id, `in another stream (${row.stream_id})`);
        }
        if (row.content_hash !== contents[index]) {
          throw new EventIdConflictError(event.id, 'with different content');
        }
      });
      const pending = rows.filter((row) => row.claim !== null);
      if (pending.length === 0) {
        const version = (await this.#head(streamId)).version;
        const stored = events.map((event) => byId.get(event.id)!);
        const [first] = await this.#readStream(
          streamId,
          { fromVersion: stored[0]!.stream_version!, maxCount: 1 },
          true,
        );
        return {
          streamId,
          nextExpectedVersion: version,
          positions: stored.map((row) => BigInt(row.position!)),
          hashes: stored.map((row) => row.hash!),
          recordedAt: first!.recordedAt,
          duplicate: true,
        };
      }
      // The first delivery is still being written: its positions are not known yet.
      await sleep(CLAIM_POLL_MS);
    }
  }

  /**
   * Resolves the claims of a process that died while appending: an event found in its stream
   * completes its claim; one never written frees its id.
   */
  async #recover(stale: IdRow[]): Promise<void> {
    for (const row of stale) {
      const uuid = kurrentEventId(row.event_id);
      let found: RecordedEvent | undefined;
      try {
        for await (const resolved of this.#client.readStream(row.stream_id, {
          direction: FORWARDS,
          fromRevision: START,
        })) {
          if (resolved.event && resolved.event.id.toLowerCase() === uuid) {
            found = toRecordedEvent(resolved.event);
            break;
          }
        }
      } catch (error) {
        if (!(error instanceof StreamNotFoundError)) throw error;
      }
      if (found) {
        await this.#db.query(
          `update kurrent_event_ids set claim = null, stream_version = $3, position = $4::bigint, hash = $5
           where event_id = $1 and claim = $2`,
          [
            row.event_id,
            row.claim,
            found.streamVersion,
            found.globalPosition.toString(),
            found.hash,
          ],
        );
      } else {
        await this.#db.query('delete from kurrent_event_ids where event_id = $1 and claim = $2', [
          row.event_id,
          row.claim,
        ]);
      }
    }
  }

  /** The stream's version and the hash of its last event (0 and null without events). */
  async #head(streamId: string): Promise<{ version: number; hash: string | null }> {
    const [last] = await this.#readStream(streamId, { direction: 'backwards', maxCount: 1 }, true);
    return { version: last?.streamVersion ?? 0, hash: last ? last.hash : null };
  }

  async readStream(streamId: string, options: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
    return this.#readStream(streamId, options, false);
  }

  async readStreamsFrom(
    requests: readonly { streamId: string; fromVersion: number }[],
  ): Promise<Map<string, RecordedEvent[]>> {
    return readEachStream(this, requests);
  }

  /**
   * Stream by stream: KurrentDB's multi-stream append is not atomic with the id claims kept in
   * PostgreSQL, so there is no single commit to gain.
   */
  appendMany(requests: readonly AppendRequest[]): Promise<StreamAppendOutcome[]> {
    return appendEachInTurn(this, requests);
  }

  /**
   * `requiresLeader` for the reads an append depends on (the head it chains to, the events it
   * just wrote): in a cluster a follower may not have them yet.
   */
  async #readStream(
    streamId: string,
    options: ReadStreamOptions,
    requiresLeader: boolean,
  ): Promise<RecordedEvent[]> {
    const { direction = 'forwards', fromVersion, maxCount } = options;
    if (streamId.startsWith('$') || (maxCount !== undefined && maxCount <= 0)) return [];
    const forwards = direction === 'forwards';
    let fromRevision: ReadRevision;
    if (fromVersion === undefined) fromRevision = forwards ? START : END;
    else if (fromVersion < 1) {
      if (!forwards) return [];
      fromRevision = START;
    } else fromRevision = revisionOf(fromVersion);
    const events: RecordedEvent[] = [];
    try {
      for await (const resolved of this.#client.readStream(streamId, {
        direction: forwards ? FORWARDS : BACKWARDS,
        fromRevision,
        requiresLeader,
        ...(maxCount !== undefined && { maxCount }),
      })) {
        if (resolved.event) events.push(toRecordedEvent(resolved.event));
      }
    } catch (error) {
      if (error instanceof StreamNotFoundError) return [];
      throw error;
    }
    return events;
  }

  /**
   * Events after `after` in `$all` order, system events left out. KurrentDB's log is written by
   * one writer and read up to what it has committed, so positions become visible in order: a
   * reader resuming from the last position it saw never skips an event.
   */
  async readAll(options: ReadAllOptions = {}): Promise<RecordedEvent[]> {
    const maxCount = options.maxCount ?? 1000;
    let from = options.after ?? 0n;
    const events: RecordedEvent[] = [];
    while (events.length < maxCount) {
      let progressed = false;
      // A read from a position includes the event there: one more than wanted, the first skipped.
      const fromPosition: ReadPosition = from === 0n ? START : bigIntToPosition(from);
      for await (const resolved of this.#client.readAll({
        direction: FORWARDS,
        fromPosition,
        maxCount: maxCount - events.length + 1,
        filter: excludeSystemEvents(),
      })) {
        const event = resolved.event;
        if (!event) continue;
        if (isSystem(event)) {
          if (event.position && event.position.commit === event.position.prepare) {
            if (event.position.commit > from) {
              from = event.position.commit;
              progressed = true;
            }
          }
          continue;
        }
        const position = positionToBigInt(event.position);
        if (position <= from) continue;
        from = position;
        progressed = true;
        if (events.length < maxCount) events.push(toRecordedEvent(event));
      }
      if (!progressed) break;
    }
    return events;
  }

  async headPosition(): Promise<bigint> {
    for await (const resolved of this.#client.readAll({
      direction: BACKWARDS,
      fromPosition: END,
      maxCount: 20,
      filter: excludeSystemEvents(),
    })) {
      const event: AllStreamRecordedEvent | undefined = resolved.event;
      if (event && !isSystem(event)) return positionToBigInt(event.position);
    }
    return 0n;
  }

  async streamInfo(streamId: string): Promise<StreamInfo | undefined> {
    if (streamId.startsWith('$')) return undefined;
    const [head, stored] = await Promise.all([
      this.#head(streamId),
      this.#client.getStreamMetadata(streamId),
    ]);
    const metadata = concordStreamMetadata(stored.metadata);
    if (head.version === 0 && metadata === undefined) return undefined;
    return { streamId, version: head.version, headHash: head.hash, metadata: metadata ?? {} };
  }

  /**
   * Replaces Concord's metadata of the stream, keeping KurrentDB's own settings ($acl, $maxAge...)
   * that an operator may have set. Last writer wins, as with PostgreSQL.
   */
  async setStreamMetadata(streamId: string, metadata: StreamMetadata): Promise<void> {
    if (streamId.startsWith('$')) {
      throw new InvalidAppendError(`stream id ${streamId} starts with $ (reserved by KurrentDB)`);
    }
    const current = await this.#client.getStreamMetadata(streamId);
    const next = withConcordStreamMetadata(current.metadata, metadata) as KurrentStreamMetadata;
    await this.#client.setStreamMetadata(streamId, next);
  }

  loadCheckpoint(subscriberId: string, sql?: SqlExecutor): Promise<bigint> {
    return this.#checkpoints.load(subscriberId, sql);
  }

  saveCheckpoint(subscriberId: string, position: bigint, sql?: SqlExecutor): Promise<void> {
    return this.#checkpoints.save(subscriberId, position, sql);
  }

  /**
   * Follows `$all` from the subscriber's checkpoint. Each batch is handled in one SQL transaction
   * with the checkpoint, under a row lock on it: a handler that writes its effects through the
   * context's `sql` gets them exactly once; other effects at least once. A live `subscribeToAll`
   * from the end only wakes the loop early; the poll interval is the safety net under it.
   */
  subscribe(
    subscriberId: string,
    handler: SubscriptionHandler<KurrentDbSubscriptionContext>,
    options?: SubscribeOptions,
  ): Subscription {
    let wake: (() => void) | undefined;
    let changed = false;
    let live: AllStreamSubscription | undefined;
    const subscription = runSubscription(
      {
        loadCheckpoint: async () => {
          live ??= this.#notifier(() => {
            changed = true;
            wake?.();
          });
          return this.loadCheckpoint(subscriberId);
        },
        read: (after, maxCount) => {
          changed = false;
          return this.readAll({ after, maxCount });
        },
        handle: (events) =>
          this.#checkpoints.handleOnce(subscriberId, events, (fresh, sql) =>
            handler(fresh, { sql }),
          ),
        waitForChange: async (timeoutMs, signal) => {
          if (changed) return;
          const woken = new AbortController();
          wake = () => woken.abort();
          const stop = () => woken.abort();
          signal.addEventListener('abort', stop, { once: true });
          try {
            await delay(timeoutMs, woken.signal);
          } finally {
            wake = undefined;
            signal.removeEventListener('abort', stop);
          }
        },
      },
      options,
    );
    void subscription.done.finally(async () => {
      await live?.unsubscribe().catch(() => undefined);
    });
    return subscription;
  }

  /** A live subscription from the end of `$all` that calls `onEvent` for each new event. */
  #notifier(onEvent: () => void): AllStreamSubscription {
    const live = this.#client.subscribeToAll({ fromPosition: END, filter: excludeSystemEvents() });
    live.on('data', onEvent);
    // Losing the notifier only slows the subscription down to its poll interval.
    live.on('error', () => undefined);
    return live;
  }

  /**
   * Recomputes the chain of one stream, or of every stream in `$all`. The head each chain must
   * end on is the last event the id index recorded for the stream, when it knows one at least as
   * far: events removed from the end of a stream in KurrentDB (truncation, `$maxCount`, scavenge)
   * then show as a head mismatch, which the events alone could not reveal.
   */
  async verify(scope: { streamId: string } | 'all'): Promise<VerifyResult> {
    const ids = scope === 'all' ? await this.#allStreamIds() : [scope.streamId];
    const readStream = (streamId: string) => this.readStream(streamId);
    const indexedHead = (streamId: string) => this.#indexedHead(streamId);
    async function* streams(): AsyncGenerator<StoredStream> {
      for (const streamId of ids) {
        const events = await readStream(streamId);
        const indexed = await indexedHead(streamId);
        const headHash =
          indexed && indexed.version >= events.length
            ? indexed.hash
            : (events.at(-1)?.hash ?? null);
        yield { streamId, events, headHash };
      }
    }
    return verifyStreams(streams());
  }

  async #indexedHead(streamId: string): Promise<{ version: number; hash: string } | undefined> {
    const { rows } = await this.#db.query<{ stream_version: number; hash: string }>(
      `select stream_version, hash from kurrent_event_ids
       where stream_id = $1 and claim is null
       order by stream_version desc limit 1`,
      [streamId],
    );
    const row = rows[0];
    return row && { version: row.stream_version, hash: row.hash };
  }

  /** Every non-system stream with events, in the order of its first event in `$all`. */
  async #allStreamIds(): Promise<string[]> {
    const ids = new Set<string>();
    let after = 0n;
    for (;;) {
      const page = await this.readAll({ after, maxCount: 500 });
      if (page.length === 0) return [...ids];
      for (const event of page) ids.add(event.streamId);
      after = page.at(-1)!.globalPosition;
    }
  }

  /**
   * Closes the KurrentDB connection it opened (not a client it was given); the SQL database stays
   * open too: its owner closes it.
   */
  async close(): Promise<void> {
    if (this.#ownsClient) await this.#client.dispose();
  }
}
