// Pure translations between Concord's event-store model and KurrentDB's: expected versions and
// revisions, $all positions and one bigint, the hash-chain envelope in event metadata, stream
// metadata, event ids, and the client's errors. No I/O here, so all of it is unit-tested.
import { createHash } from 'node:crypto';
import {
  ANY,
  AppendRecordSizeExceededError,
  MaxAppendSizeExceededError,
  NO_STREAM,
  STREAM_EXISTS,
  StreamDeletedError,
  StreamTombstonedError,
  TransactionMaxSizeExceededError,
  WrongExpectedVersionError,
  type AppendStreamState,
  type CurrentStreamState,
  type Position,
  type RecordedEvent as KurrentRecordedEvent,
} from '@kurrent/kurrentdb-client';
import {
  ConcurrencyError,
  InvalidAppendError,
  type EventMetadata,
  type ExpectedVersion,
  type Json,
  type JsonObject,
  type NewEvent,
  type RecordedEvent,
  type StreamMetadata,
} from '@concord/event-store';

/** The key of each event's metadata under which Concord keeps its hash chain. */
export const ENVELOPE_KEY = '$concord';

/**
 * The key of a KurrentDB stream's metadata that holds Concord's stream metadata. It is a custom
 * property (no `$`): KurrentDB reads `$maxAge`, `$tb`, `$acl`... itself, so Concord's metadata is
 * kept in one object of its own, where a partner's `maxCount` can never truncate a stream.
 */
export const STREAM_METADATA_KEY = 'concord';

/** What Concord stores beside the caller's metadata: KurrentDB has no columns for it. */
export interface ConcordEnvelope {
  /** The Concord event id (KurrentDB's own id is a UUID derived from it, see kurrentEventId). */
  id: string;
  hash: string;
  previousHash: string | null;
  /** The platform's clock, not KurrentDB's `created`: it is hashed before the write. */
  recordedAt: string;
}

// ---------------------------------------------------------------------------------------------
// Expected versions and revisions

/**
 * Concord's expected version as a KurrentDB stream state. Concord counts events from 1 (version N
 * = N events); KurrentDB numbers them from 0 (revision N-1 is the N-th event). Version 0 is a
 * stream without events: KurrentDB's NO_STREAM.
 */
export function toKurrentStreamState(expected: ExpectedVersion): AppendStreamState {
  switch (expected) {
    case 'no-stream':
      return NO_STREAM;
    case 'any':
      return ANY;
    case 'stream-exists':
      return STREAM_EXISTS;
    default:
      if (!Number.isSafeInteger(expected) || expected < 0) {
        throw new RangeError(`expected version must be a whole number >= 0, not ${expected}`);
      }
      return expected === 0 ? NO_STREAM : BigInt(expected - 1);
  }
}

/** A KurrentDB stream state back as Concord's expected version (the inverse of the above). */
export function fromKurrentStreamState(state: AppendStreamState): ExpectedVersion {
  if (state === NO_STREAM) return 'no-stream';
  if (state === ANY) return 'any';
  if (state === STREAM_EXISTS) return 'stream-exists';
  return versionOfRevision(state);
}

/**
 * Concord version of a stream whose last event has this revision, or 0 when it does not exist
 * (NO_STREAM, or the -1 some servers send in an error's `actual-version`).
 */
export function versionOf(current: CurrentStreamState): number {
  return current === NO_STREAM || current < 0n ? 0 : versionOfRevision(current);
}

/** Concord's 1-based version of the event at a KurrentDB revision. */
export function versionOfRevision(revision: bigint): number {
  if (revision < 0n || revision >= BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new RangeError(`revision ${revision} has no Concord version`);
  }
  return Number(revision) + 1;
}

/** KurrentDB revision of Concord's version N (N >= 1). */
export function revisionOf(version: number): bigint {
  if (!Number.isSafeInteger(version) || version < 1) {
    throw new RangeError(`version must be a whole number >= 1, not ${version}`);
  }
  return BigInt(version - 1);
}

// ---------------------------------------------------------------------------------------------
// Global positions

/**
 * One bigint for an event's place in `$all`. A KurrentDB position is a pair (commit, prepare) of
 * byte offsets in the transaction log, and `$all` is ordered by commit, then prepare.
 *
 * Every append through the gRPC API (KurrentDB 20+; explicit TCP transactions are gone) is an
 * implicit transaction whose events are prepare records flagged as committed: each event is its
 * own log record, so its commit position equals its prepare position, which is the record's
 * offset in the log. Offsets are unique (two records never start at the same byte) and the log is
 * only appended to, in the single writer's order, so a later event always has a larger offset:
 * the commit position alone is unique and grows with `$all` order. An event that breaks that
 * (commit != prepare: written by a legacy explicit transaction, whose events share one commit
 * position) cannot be given one number; it is refused rather than mis-ordered.
 */
export function positionToBigInt(position: Position | undefined): bigint {
  // Stream reads carry positions since server 22.6; without one the event cannot be ordered.
  if (!position || position.commit <= 0n) {
    throw new Error('KurrentDB returned an event without a $all position (server < 22.6?)');
  }
  if (position.commit !== position.prepare) {
    throw new Error(
      `$all position C:${position.commit}/P:${position.prepare} comes from an explicit transaction: ` +
        'its commit position is shared, so Concord cannot order it with one number',
    );
  }
  return position.commit;
}

/** The `$all` position of the event whose global position is `value` (see positionToBigInt). */
export function bigIntToPosition(value: bigint): Position {
  if (value < 0n) throw new RangeError(`global position must be >= 0, not ${value}`);
  return { commit: value, prepare: value };
}

// ---------------------------------------------------------------------------------------------
// Event ids

/**
 * KurrentDB event ids must be UUIDs; Concord's are any string of up to 200 characters (CloudEvents
 * ids). The KurrentDB id is a name-based UUIDv8 (RFC 9562, SHA-256) of the Concord id: the same
 * Concord id always gives the same UUID, so KurrentDB's own idempotency check still applies. The
 * Concord id itself travels in the envelope, which is what every read returns.
 */
export function kurrentEventId(eventId: string): string {
  const bytes = createHash('sha256').update(`concord-event-id:${eventId}`, 'utf8').digest();
  bytes[6] = (bytes[6]! & 0x0f) | 0x80;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

// ---------------------------------------------------------------------------------------------
// Event metadata envelope

/** A plain JSON object: not an array, and not the raw bytes the client returns for non-JSON. */
const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' &&
  value !== null &&
  !Array.isArray(value) &&
  !ArrayBuffer.isView(value);

/** Stored JSON comes back as JSON.parse(JSON.stringify(x)): hash exactly that. */
export const asStored = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

/**
 * Refuses what KurrentDB would store differently from what Concord means: `$`-prefixed stream ids
 * and event types are KurrentDB's system streams and events (skipped by every `$all` read), and a
 * caller's metadata may not carry the reserved envelope key (a partner could otherwise forge a
 * chain link, or have its key silently replaced).
 */
export function assertStorableInKurrentDb(streamId: string, events: NewEvent[]): void {
  if (streamId.startsWith('$')) {
    throw new InvalidAppendError(`stream id ${streamId} starts with $ (reserved by KurrentDB)`);
  }
  for (const event of events) {
    if (event.type.startsWith('$')) {
      throw new InvalidAppendError(`event ${event.id} type ${event.type} starts with $`);
    }
    if (event.metadata !== undefined && !isObject(event.metadata)) {
      throw new InvalidAppendError(`event ${event.id} metadata must be a JSON object`);
    }
    if (event.metadata && Object.hasOwn(event.metadata, ENVELOPE_KEY)) {
      throw new InvalidAppendError(
        `event ${event.id} metadata has the key ${ENVELOPE_KEY}, which the store reserves`,
      );
    }
  }
}

/** The metadata KurrentDB stores: the caller's, plus the envelope under its reserved key. */
export function wrapMetadata(metadata: EventMetadata, envelope: ConcordEnvelope): JsonObject {
  if (Object.hasOwn(metadata, ENVELOPE_KEY)) {
    throw new InvalidAppendError(`metadata has the key ${ENVELOPE_KEY}, which the store reserves`);
  }
  return {
    ...(asStored(metadata) as JsonObject),
    [ENVELOPE_KEY]: {
      id: envelope.id,
      hash: envelope.hash,
      previousHash: envelope.previousHash,
      recordedAt: envelope.recordedAt,
    },
  };
}

const isEnvelope = (value: unknown): value is ConcordEnvelope =>
  isObject(value) &&
  typeof value.id === 'string' &&
  typeof value.hash === 'string' &&
  (value.previousHash === null || typeof value.previousHash === 'string') &&
  typeof value.recordedAt === 'string';

/**
 * Splits stored metadata into the caller's metadata (the reserved key stripped) and the envelope;
 * `envelope` is undefined for an event Concord did not write (or whose envelope is malformed).
 */
export function unwrapMetadata(stored: unknown): {
  metadata: EventMetadata;
  envelope: ConcordEnvelope | undefined;
} {
  if (!isObject(stored)) return { metadata: {}, envelope: undefined };
  const { [ENVELOPE_KEY]: envelope, ...metadata } = stored;
  return {
    metadata: metadata as EventMetadata,
    envelope: isEnvelope(envelope)
      ? {
          id: envelope.id,
          hash: envelope.hash,
          previousHash: envelope.previousHash,
          recordedAt: envelope.recordedAt,
        }
      : undefined,
  };
}

/**
 * A stored KurrentDB event as Concord's. An event without an envelope (written to KurrentDB behind
 * Concord's back) keeps KurrentDB's id and time and gets an empty hash: `verify` then names it.
 */
export function toRecordedEvent(event: KurrentRecordedEvent): RecordedEvent {
  if (!event.isJson || !isObject(event.data)) {
    throw new Error(
      `event ${event.id} at ${event.streamId}@${event.revision} is not a JSON object: not a Concord event`,
    );
  }
  const { metadata, envelope } = unwrapMetadata(event.metadata);
  return {
    id: envelope?.id ?? event.id,
    type: event.type,
    data: event.data as JsonObject,
    metadata,
    streamId: event.streamId,
    streamVersion: versionOfRevision(event.revision),
    globalPosition: positionToBigInt(event.position),
    recordedAt: envelope?.recordedAt ?? event.created.toISOString(),
    hash: envelope?.hash ?? '',
    previousHash: envelope?.previousHash ?? null,
  };
}

// ---------------------------------------------------------------------------------------------
// Stream metadata

/** KurrentDB stream metadata with Concord's replaced, every other property kept. */
export function withConcordStreamMetadata(
  current: Record<string, unknown> | undefined,
  metadata: StreamMetadata,
): Record<string, unknown> {
  if (!isObject(metadata)) throw new TypeError('stream metadata must be a JSON object');
  return { ...current, [STREAM_METADATA_KEY]: asStored(metadata) };
}

/** Concord's stream metadata out of KurrentDB's, or undefined if Concord never set any. */
export function concordStreamMetadata(
  current: Record<string, unknown> | undefined,
): StreamMetadata | undefined {
  const value = current?.[STREAM_METADATA_KEY];
  return isObject(value) ? (value as { [key: string]: Json }) : undefined;
}

// ---------------------------------------------------------------------------------------------
// Errors

/**
 * The client's append errors as Concord's: a wrong expected version becomes a ConcurrencyError
 * carrying the stream's actual version (revision + 1, or 0 without a stream); content KurrentDB
 * refuses becomes InvalidAppendError. Anything else (unavailable, deadline...) is returned as is.
 */
export function toConcordError(
  error: unknown,
  streamId: string,
  expected: ExpectedVersion,
): unknown {
  if (error instanceof WrongExpectedVersionError) {
    return new ConcurrencyError(streamId, expected, versionOf(error.actualState));
  }
  if (
    error instanceof MaxAppendSizeExceededError ||
    error instanceof AppendRecordSizeExceededError ||
    error instanceof TransactionMaxSizeExceededError
  ) {
    return new InvalidAppendError(`events for ${streamId} are too large: ${error.message}`);
  }
  if (error instanceof StreamDeletedError || error instanceof StreamTombstonedError) {
    return new InvalidAppendError(`stream ${streamId} was deleted in KurrentDB: ${error.message}`);
  }
  return error;
}
