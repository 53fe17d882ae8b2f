import { hash as digest } from 'node:crypto';
import { configure } from 'safe-stable-stringify';
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
 * RFC 8785 canonical JSON of a value as a store keeps it, in one pass: keys sorted by UTF-16 code
 * units, JSON.stringify's rules for what has no JSON form of its own (toJSON used, undefined
 * members left out, undefined array items null), except that NaN, Infinity, BigInt, functions
 * and cycles throw instead of being written as null or dropped. For JSON values it writes the
 * same bytes as the `canonicalize` package the chain was first hashed with (property-tested in
 * hash-chain.unit.spec.ts), several times faster: the hash chain is most of an append's CPU.
 */
const storedCanonical = configure({ deterministic: true, strict: true, circularValue: TypeError });

function canonicalOf(value: unknown): string {
  const text = storedCanonical(value);
  if (text === undefined) throw new TypeError('event fields are not serializable to JSON');
  return text;
}

/** An event's fields with its data and metadata already in canonical JSON. */
interface CanonicalFields extends Omit<HashedFields, 'data' | 'metadata'> {
  /** Canonical JSON of the data: what a store writes, and reads back as `data`. */
  dataJson: string;
  metadataJson: string;
}

/**
 * SHA-256 (hex) of the canonical JSON (RFC 8785) of the whole event, written key by key in
 * sorted order around the canonical data and metadata: the same bytes as canonicalizing the
 * object, without walking data and metadata twice.
 */
function canonicalHash(fields: CanonicalFields): string {
  const text =
    `{"data":${fields.dataJson},"id":${canonicalOf(fields.id)},` +
    `"metadata":${fields.metadataJson},"previousHash":${canonicalOf(fields.previousHash)},` +
    `"recordedAt":${canonicalOf(fields.recordedAt)},"streamId":${canonicalOf(fields.streamId)},` +
    `"streamVersion":${canonicalOf(fields.streamVersion)},"type":${canonicalOf(fields.type)}}`;
  return digest('sha256', text, 'hex');
}

/**
 * SHA-256 (hex) of the event's canonical JSON (RFC 8785), which includes the previous event's
 * hash: changing any covered byte of any earlier event of the stream changes every later hash.
 * The global position is left out because some stores (KurrentDB) assign it after the write.
 */
export function eventHash(fields: HashedFields): string {
  return canonicalHash({
    ...fields,
    dataJson: canonicalOf(fields.data),
    metadataJson: canonicalOf(fields.metadata),
  });
}

/** SHA-256 (hex) of a value's canonical JSON: tells whether a redelivery carries the same content. */
export function contentHash(value: { type: string; data: JsonObject }): string {
  return digest('sha256', canonicalOf({ type: value.type, data: value.data }), 'hex');
}

/** An event chained for storage, its data and metadata as the JSON text to store. */
export interface ChainedEvent extends CanonicalFields {
  hash: string;
}

/**
 * The events as a store writes them after version `headVersion` of a stream whose last hash is
 * `headHash`, each hash chained to the one before: data and metadata as canonical JSON text,
 * which reads back (JSON.parse, or a database's JSON type) as the values the hash covers.
 */
export function chainEventTexts(
  streamId: string,
  headVersion: number,
  headHash: string | null,
  events: readonly NewEvent[],
  recordedAt: string,
): ChainedEvent[] {
  let previousHash = headHash;
  return events.map((event, index) => {
    const fields: CanonicalFields = {
      streamId,
      streamVersion: headVersion + index + 1,
      id: event.id,
      type: event.type,
      dataJson: canonicalOf(event.data),
      metadataJson: canonicalOf(event.metadata ?? {}),
      recordedAt,
      previousHash,
    };
    const hash = canonicalHash(fields);
    previousHash = hash;
    return { ...fields, hash };
  });
}

/** `chainEventTexts` with data and metadata as the values a store reads back. */
export function chainEvents(
  streamId: string,
  headVersion: number,
  headHash: string | null,
  events: readonly NewEvent[],
  recordedAt: string,
): (HashedFields & { hash: string })[] {
  return chainEventTexts(streamId, headVersion, headHash, events, recordedAt).map(
    ({ dataJson, metadataJson, ...event }) => ({
      ...event,
      data: JSON.parse(dataJson) as JsonObject,
      metadata: JSON.parse(metadataJson) as EventMetadata,
    }),
  );
}
