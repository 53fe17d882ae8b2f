import { eventHash } from './hash-chain.ts';
import type { RecordedEvent, VerifyResult } from './types.ts';

export interface StoredStream {
  streamId: string;
  /** The stream's events as stored, in version order. */
  events: Iterable<RecordedEvent> | AsyncIterable<RecordedEvent>;
  /** The head hash the store keeps for the stream (detects a removed last event). */
  headHash: string | null;
}

export type ChainBreak = Omit<Extract<VerifyResult, { ok: false }>['brokenLink'], 'streamId'>;

/**
 * One stream's hash chain, checked event by event in version order: whoever reads the events (a
 * whole stream, or the global order page by page) hands them over once; nothing is read twice.
 */
export class StreamChain {
  #previousHash: string | null = null;
  #previousPosition = -1n;
  #version = 0;

  /** Events checked so far (the stream's version reached). */
  get version(): number {
    return this.#version;
  }

  /** The next event of the stream; the first link that does not hold, if this is it. */
  next(event: RecordedEvent): ChainBreak | undefined {
    const version = ++this.#version;
    if (event.streamVersion !== version)
      return {
        streamVersion: version,
        eventId: event.id,
        problem: 'version-gap',
        expected: String(version),
        actual: String(event.streamVersion),
      };
    // Positions are bookkeeping outside the hash, but they must still grow along the stream.
    if (event.globalPosition <= this.#previousPosition)
      return {
        streamVersion: version,
        eventId: event.id,
        problem: 'position-out-of-order',
        expected: `> ${this.#previousPosition}`,
        actual: String(event.globalPosition),
      };
    this.#previousPosition = event.globalPosition;
    if (event.previousHash !== this.#previousHash)
      return {
        streamVersion: version,
        eventId: event.id,
        problem: 'previous-hash-mismatch',
        expected: this.#previousHash,
        actual: event.previousHash,
      };
    const recomputed = eventHash({ ...event, previousHash: this.#previousHash });
    if (recomputed !== event.hash)
      return {
        streamVersion: version,
        eventId: event.id,
        problem: 'hash-mismatch',
        expected: recomputed,
        actual: event.hash,
      };
    this.#previousHash = event.hash;
    return undefined;
  }

  /** The head the store keeps must be the last event checked (a removed last event shows here). */
  end(headHash: string | null): ChainBreak | undefined {
    if (headHash === this.#previousHash) return undefined;
    return {
      streamVersion: this.#version,
      eventId: null,
      problem: 'head-mismatch',
      expected: this.#previousHash,
      actual: headHash,
    };
  }
}

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
    const chain = new StreamChain();
    const broken = (link: ChainBreak): VerifyResult => ({
      ok: false,
      streams: streamCount,
      events: eventCount,
      brokenLink: { streamId: stream.streamId, ...link },
    });
    for await (const event of stream.events) {
      eventCount++;
      const link = chain.next(event);
      if (link) return broken(link);
    }
    const head = chain.end(stream.headHash);
    if (head) return broken(head);
  }
  return { ok: true, streams: streamCount, events: eventCount };
}
