import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';
import type { EventMetadata, JsonObject, NewEvent } from './types.ts';

/** The fields of a stored event that its hash covers: everything but the store's global position. */
export interface HashedFields {
  streamId: string;
  streamVersion: number;
  id: string;
  type: string;
  data: JsonObject;
  metadata: EventMetadata;
  recordedAt: string;
  previousHash: string | null;
}

/**
 * SHA-256 (hex) of the event's canonical JSON (RFC 8785), which includes the previous event's
 * hash: changing any covered byte of any earlier event of the stream changes every later hash.
 * The global position is left out because some stores (KurrentDB) assign it after the write.
 */
export function eventHash(fields: HashedFields): string {
  const canonical = canonicalize({
    streamId: fields.streamId,
    streamVersion: fields.streamVersion,
    id: fields.id,
    type: fields.type,
    data: fields.data,
    metadata: fields.metadata,
    recordedAt: fields.recordedAt,
    previousHash: fields.previousHash,
  });
  if (canonical === undefined) throw new TypeError('event fields are not serializable to JSON');
  return createHash('sha256').update(canonical).digest('hex');
}

/** SHA-256 (hex) of a value's canonical JSON: tells whether a redelivery carries the same content. */
export function contentHash(value: { type: string; data: JsonObject }): string {
  return createHash('sha256')
    .update(canonicalize({ type: value.type, data: value.data }) ?? '')
    .digest('hex');
}

/** Stored JSON comes back as JSON.parse(JSON.stringify(x)): an event is hashed exactly as read. */
const asStored = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

/**
 * The events as a store keeps them after version `headVersion` of a stream whose last hash is
 * `headHash`: data and metadata as they will read back, each hash chained to the one before.
 */
export function chainEvents(
  streamId: string,
  headVersion: number,
  headHash: string | null,
  events: readonly NewEvent[],
  recordedAt: string,
): (HashedFields & { hash: string })[] {
  let previousHash = headHash;
  return events.map((event, index) => {
    const fields = {
      streamId,
      streamVersion: headVersion + index + 1,
      id: event.id,
      type: event.type,
      data: asStored(event.data),
      metadata: asStored(event.metadata ?? {}),
      recordedAt,
      previousHash,
    };
    const hash = eventHash(fields);
    previousHash = hash;
    return { ...fields, hash };
  });
}
