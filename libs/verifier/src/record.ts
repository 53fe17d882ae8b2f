// What one stored event proves on its own, recomputed independently of the platform's code: its
// hash (which chains it to the event before it in its stream), the id ingest derives from what
// the partner sent, and the signed form a partner's or the platform's Ed25519 signature covers.
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import canonicalize from 'canonicalize';

/** An event as the store holds it, with every field its hash covers. */
export interface StoredEventRecord {
  streamId: string;
  streamVersion: number;
  /** The store's order across streams (decimal); not covered by the hash. */
  globalPosition: string;
  id: string;
  type: string;
  data: { [key: string]: unknown };
  metadata: { [key: string]: unknown };
  recordedAt: string;
  previousHash: string | null;
  hash: string;
}

/** RFC 8785 canonical JSON: the one form hashes and signatures are computed over. */
export function canonicalJson(value: unknown): string {
  const text = canonicalize(value);
  if (text === undefined) throw new TypeError('the value has no JSON form');
  return text;
}

const sha256Hex = (text: string) => bytesToHex(sha256(new TextEncoder().encode(text)));

/**
 * SHA-256 (hex) of the event's canonical JSON: stream, version, id, type, data, metadata,
 * recorded-at and the previous event's hash; everything but the global position.
 */
export function recomputeEventHash(event: StoredEventRecord): string {
  return sha256Hex(
    canonicalJson({
      streamId: event.streamId,
      streamVersion: event.streamVersion,
      id: event.id,
      type: event.type,
      data: event.data,
      metadata: event.metadata,
      recordedAt: event.recordedAt,
      previousHash: event.previousHash,
    }),
  );
}

/** The id ingest stores a partner's event under: derived from the source and id it signed. */
export function storedEventId(source: string, id: string): string {
  return `ev-${sha256Hex(`${source}\u0000${id}`).slice(0, 40)}`;
}

/** Attributes no signature covers: the signature itself and the time the platform recorded. */
const UNSIGNED_ATTRIBUTES = ['signature', 'recordedtime'];

/** What an Ed25519 signature over a CloudEvent covers: its canonical JSON without those. */
export function signingInput(event: { [key: string]: unknown }): string {
  const copy = { ...event };
  for (const attribute of UNSIGNED_ATTRIBUTES) delete copy[attribute];
  return canonicalJson(copy);
}

/** The CloudEvent the platform signs for an event it records: attributes, id, type, stream, data. */
export function platformSignedForm(event: StoredEventRecord): { [key: string]: unknown } {
  return {
    ...event.metadata,
    id: event.id,
    type: event.type,
    subject: event.streamId,
    data: event.data,
  };
}

/** The fields the stored metadata repeats from the envelope a partner signed. */
export const BOUND_ATTRIBUTES = [
  'signature',
  'signaturekeyid',
  'actorid',
  'actororg',
  'time',
  'source',
] as const;

/** Platform keys are named `concord:…`; partner keys never are. */
export const isPlatformKeyId = (keyId: string): boolean => keyId.startsWith('concord:');
