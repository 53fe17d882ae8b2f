import { eventHash } from './hash-chain.ts';
import type { RecordedEvent, VerifyResult } from './types.ts';

export interface StoredStream {
  streamId: string;
  /** The stream's events as stored, in version order. */
  events: Iterable<RecordedEvent> | AsyncIterable<RecordedEvent>;
  /** The head hash the store keeps for the stream (detects a removed last event). */
  headHash: string | null;
}

type BrokenLink = Extract<VerifyResult, { ok: false }>['brokenLink'];

/**
 * Recomputes every stream's chain from its stored fields and stops at the first link that does
 * not match: a changed byte, a removed or reordered event, or a head that points elsewhere.
 */
export async function verifyStreams(
  streams: Iterable<StoredStream> | AsyncIterable<StoredStream>,
): Promise<VerifyResult> {
  let streamCount = 0;
  let eventCount = 0;
  for await (const stream of streams) {
    streamCount++;
    let previousHash: string | null = null;
    let previousPosition = -1n;
    let version = 0;
    const broken = (link: Omit<BrokenLink, 'streamId'>): VerifyResult => ({
      ok: false,
      streams: streamCount,
      events: eventCount,
      brokenLink: { streamId: stream.streamId, ...link },
    });
    for await (const event of stream.events) {
      eventCount++;
      version++;
      if (event.streamVersion !== version) {
        return broken({
          streamVersion: version,
          eventId: event.id,
          problem: 'version-gap',
          expected: String(version),
          actual: String(event.streamVersion),
        });
      }
      // Positions are bookkeeping outside the hash, but they must still grow along the stream.
      if (event.globalPosition <= previousPosition) {
        return broken({
          streamVersion: version,
          eventId: event.id,
          problem: 'position-out-of-order',
          expected: `> ${previousPosition}`,
          actual: String(event.globalPosition),
        });
      }
      previousPosition = event.globalPosition;
      if (event.previousHash !== previousHash) {
        return broken({
          streamVersion: version,
          eventId: event.id,
          problem: 'previous-hash-mismatch',
          expected: previousHash,
          actual: event.previousHash,
        });
      }
      const recomputed = eventHash({ ...event, previousHash });
      if (recomputed !== event.hash) {
        return broken({
          streamVersion: version,
          eventId: event.id,
          problem: 'hash-mismatch',
          expected: recomputed,
          actual: event.hash,
        });
      }
      previousHash = event.hash;
    }
    if (stream.headHash !== previousHash) {
      return broken({
        streamVersion: version,
        eventId: null,
        problem: 'head-mismatch',
        expected: previousHash,
        actual: stream.headHash,
      });
    }
  }
  return { ok: true, streams: streamCount, events: eventCount };
}
