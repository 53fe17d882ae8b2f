/** A JSON value as stored in event data and metadata. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

/**
 * Who said what, when and on whose authority. Time and actor come from the caller (the ingest
 * pipeline or the API), never from the store's clock; `recordedAt` is the store's own.
 */
export interface EventMetadata {
  /** The partner system that emitted the event (CloudEvents `source`); with the id it identifies the event. */
  source?: string;
  /** When it happened, according to the party that acted (RFC 3339; CloudEvents `time`). */
  time?: string;
  /** The person who acted. */
  actorid?: string;
  /** The organization the person acted for. */
  actororg?: string;
  /** The role the platform checked that the person acted in. */
  actorrole?: string;
  correlationid?: string;
  causationid?: string;
  /** The partner's Ed25519 signature over the canonical event (base64), kept to prove origin later. */
  signature?: string;
  /** The registered key that signature is made with. */
  signaturekeyid?: string;
  /** Anything else the writer records (the partner's envelope, the agreement version in force…). */
  [key: string]: Json | undefined;
}

/** An event to append. `id` is globally unique: a re-append of the same id is a redelivery. */
export interface NewEvent<Type extends string = string, Data extends JsonObject = JsonObject> {
  id: string;
  type: Type;
  data: Data;
  metadata?: EventMetadata;
}

/**
 * A stored event. `streamVersion` counts from 1 within its stream; `globalPosition` orders all
 * events of the store; `hash` chains it to the previous event of its stream (`previousHash`).
 */
export interface RecordedEvent<Type extends string = string, Data extends JsonObject = JsonObject>
  extends Required<Pick<NewEvent<Type, Data>, 'id' | 'type' | 'data'>> {
  metadata: EventMetadata;
  streamId: string;
  streamVersion: number;
  globalPosition: bigint;
  /** When the store recorded it (RFC 3339, the platform's clock). */
  recordedAt: string;
  hash: string;
  previousHash: string | null;
}

/**
 * What the writer believes about the stream: `no-stream` (it must not exist yet), `any`,
 * `stream-exists`, or the exact current version (the number of events in it).
 */
export type ExpectedVersion = 'no-stream' | 'any' | 'stream-exists' | number;

export interface AppendOptions {
  /** @default 'any' */
  expectedVersion?: ExpectedVersion;
}

export interface AppendResult {
  streamId: string;
  /** The stream's version after the append: pass it as the next expected version. */
  nextExpectedVersion: number;
  /** Positions of the appended events, in order (for a redelivery: the original ones). */
  positions: bigint[];
  /** Their hashes as stored, in the same order: what a receipt for them states. */
  hashes: string[];
  /** When the store recorded the first of them (RFC 3339, the platform's clock). */
  recordedAt: string;
  /** True when every event was already stored: nothing was written. */
  duplicate: boolean;
}

/** One stream's part of `appendMany`. */
export interface AppendRequest extends AppendOptions {
  streamId: string;
  events: NewEvent[];
}

/**
 * One stream's answer from `appendMany`: appended (or a redelivery, as from `append`), or a
 * conflict: the stream was not at the expected version and nothing of it was written. A conflict
 * is an answer, not an error: the caller reads the stream again and decides again.
 */
export type StreamAppendOutcome =
  | ({ status: 'appended' } & AppendResult)
  | { status: 'conflict'; streamId: string; actualVersion: number };

export interface ReadStreamOptions {
  /** @default 'forwards' */
  direction?: 'forwards' | 'backwards';
  /**
   * First version to read (inclusive). Forwards it defaults to 1, backwards to the last event.
   */
  fromVersion?: number;
  /** @default unlimited */
  maxCount?: number;
}

export interface ReadAllOptions {
  /** Read events after this position (exclusive). @default 0n (from the start) */
  after?: bigint;
  /** @default 1000 */
  maxCount?: number;
}

export interface StreamMetadata {
  [key: string]: Json;
}

export interface StreamInfo {
  streamId: string;
  version: number;
  /** Hash of the stream's last event: the head of its chain. */
  headHash: string | null;
  metadata: StreamMetadata;
}

/** A handler of a subscription: gets events in global order, in batches. */
export type SubscriptionHandler<Context = unknown> = (
  events: RecordedEvent[],
  context: Context,
) => Promise<void>;

export interface SubscribeOptions {
  /** Events handed to the handler at once. @default 500 */
  batchSize?: number;
  /** Longest wait for new events before polling anyway (a safety net under notifications). @default 1000 */
  pollIntervalMs?: number;
  /** Called when the handler or the store fails; the subscription stops after it. */
  onError?: (error: unknown) => void;
}

export interface Subscription {
  /** Resolves when the subscription has stopped (after `stop()` or an error). */
  readonly done: Promise<void>;
  /** The last position whose checkpoint is durable. */
  readonly position: bigint;
  /** Resolves once the subscription has handled everything up to `position`. */
  waitFor(position: bigint): Promise<void>;
  stop(): Promise<void>;
}

export type VerifyResult =
  | { ok: true; streams: number; events: number }
  | {
      ok: false;
      streams: number;
      events: number;
      /** The first broken link: where the recomputed chain stops matching what is stored. */
      brokenLink: {
        streamId: string;
        streamVersion: number;
        eventId: string | null;
        problem:
          | 'hash-mismatch'
          | 'previous-hash-mismatch'
          | 'version-gap'
          | 'head-mismatch'
          | 'position-out-of-order';
        expected: string | null;
        actual: string | null;
      };
    };

/**
 * The event store. The source of truth: append-only, optimistic concurrency per stream,
 * idempotent by event id, one global order that readers never see with holes, tamper-evident.
 */
export interface EventStore {
  append(streamId: string, events: NewEvent[], options?: AppendOptions): Promise<AppendResult>;
  /**
   * Appends to several distinct streams, in one transaction where the store has them (PostgreSQL:
   * one commit and two round trips for them all). Answers in the order asked. Each stream's
   * expected version is checked on its own: a stream that moved is a `conflict` and the others are
   * written. Any other failure (a clashing event id, content the store refuses) throws, and then
   * nothing of the call was written.
   */
  appendMany(requests: readonly AppendRequest[]): Promise<StreamAppendOutcome[]>;
  readStream(streamId: string, options?: ReadStreamOptions): Promise<RecordedEvent[]>;
  /**
   * The events of several streams from a version each (inclusive), by stream id, in stream order:
   * what a writer that caches streams' state reads to catch up on all of them at once.
   */
  readStreamsFrom(
    requests: readonly { streamId: string; fromVersion: number }[],
  ): Promise<Map<string, RecordedEvent[]>>;
  /**
   * Events after a global position, in global order. Never returns an event while an earlier one
   * may still become visible, so a reader that resumes from the last position it saw skips nothing.
   */
  readAll(options?: ReadAllOptions): Promise<RecordedEvent[]>;
  /** Latest position a reader may currently see (the store's high-water mark). */
  headPosition(): Promise<bigint>;
  /**
   * The position of the last event committed, which may not be readable yet: a store that hands
   * events out in order (PostgreSQL) holds back those committed after a transaction that is still
   * open. What a reader that must see everything appended so far waits for. Stores that show
   * every committed event at once leave it out (`headPosition` is the same).
   */
  committedHeadPosition?(): Promise<bigint>;
  streamInfo(streamId: string): Promise<StreamInfo | undefined>;
  setStreamMetadata(streamId: string, metadata: StreamMetadata): Promise<void>;
  /** Durable checkpoints of subscribers (for adapters whose store holds them). */
  loadCheckpoint(subscriberId: string): Promise<bigint>;
  saveCheckpoint(subscriberId: string, position: bigint): Promise<void>;
  /**
   * Follows the global order from the subscriber's checkpoint, handing batches to `handler` and
   * saving the checkpoint after each one. Each batch is handled at least once; adapters that can
   * (PostgreSQL) save the checkpoint in the handler's own transaction, making it exactly once.
   */
  subscribe(
    subscriberId: string,
    handler: SubscriptionHandler,
    options?: SubscribeOptions,
  ): Subscription;
  /** Recomputes the hash chain of one stream, or of every stream, and names the first broken link. */
  verify(scope: { streamId: string } | 'all'): Promise<VerifyResult>;
  close(): Promise<void>;
}
