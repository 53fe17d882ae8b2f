import { ConcurrencyError, InvalidAppendError } from './errors.ts';
import { assertValidAppend } from './validation.ts';
import type { AppendRequest, EventStore, RecordedEvent, StreamAppendOutcome } from './types.ts';

type Overridable = 'append' | 'appendMany' | 'readStream' | 'readStreamsFrom' | 'readAll';

/**
 * The store with some of its methods replaced and every other one its own: what a decorator
 * (signing what is appended, filtering what is read) needs without restating the interface. The
 * store's own methods run bound to it, since its private state is not reachable through a proxy;
 * each is bound once. A decorator that replaces `append` (or `readStream`) and not its batched
 * twin gets one that goes through the replacement stream by stream, so nothing bypasses it.
 */
export function decorateStore<Store extends EventStore>(
  store: Store,
  overrides: Partial<Pick<EventStore, Overridable>>,
): Store {
  const bound = new Map<PropertyKey, unknown>();
  const decorated: Store = new Proxy(store, {
    get(target, property, receiver) {
      const override = (all as Record<PropertyKey, unknown>)[property];
      if (override !== undefined) return override;
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      if (!bound.has(property)) bound.set(property, value.bind(target));
      return bound.get(property);
    },
  });
  const all: Partial<Pick<EventStore, Overridable>> = {
    ...(overrides.append && !overrides.appendMany
      ? { appendMany: (requests) => appendEachInTurn(decorated, requests) }
      : {}),
    ...(overrides.readStream && !overrides.readStreamsFrom
      ? { readStreamsFrom: (requests) => readEachStream(decorated, requests) }
      : {}),
    ...overrides,
  };
  return decorated;
}

/**
 * `appendMany` for a store without multi-stream transactions: each stream appended in turn, a
 * stream that moved answered as a conflict. Not atomic: a failure leaves the earlier streams
 * written (a retry finds them as redeliveries).
 */
export async function appendEachInTurn(
  store: Pick<EventStore, 'append'>,
  requests: readonly AppendRequest[],
): Promise<StreamAppendOutcome[]> {
  assertValidAppendMany(requests);
  const outcomes: StreamAppendOutcome[] = [];
  for (const { streamId, events, ...options } of requests) {
    try {
      outcomes.push({ status: 'appended', ...(await store.append(streamId, events, options)) });
    } catch (error) {
      if (!(error instanceof ConcurrencyError)) throw error;
      outcomes.push({ status: 'conflict', streamId, actualVersion: error.actualVersion });
    }
  }
  return outcomes;
}

/** `readStreamsFrom` as one `readStream` per stream. */
export async function readEachStream(
  store: Pick<EventStore, 'readStream'>,
  requests: readonly { streamId: string; fromVersion: number }[],
): Promise<Map<string, RecordedEvent[]>> {
  const streams = new Map<string, RecordedEvent[]>();
  for (const { streamId, fromVersion } of requests)
    streams.set(streamId, await store.readStream(streamId, { fromVersion }));
  return streams;
}

/**
 * One request per stream (two parts of one stream would race each other's expected version), each
 * a valid append, and no event id in two of them.
 */
export function assertValidAppendMany(requests: readonly AppendRequest[]): void {
  const streams = new Set<string>();
  const ids = new Set<string>();
  for (const { streamId, events } of requests) {
    assertValidAppend(streamId, events);
    if (streams.has(streamId))
      throw new InvalidAppendError(`appendMany got stream ${streamId} more than once`);
    streams.add(streamId);
    for (const { id } of events) {
      if (ids.has(id)) throw new InvalidAppendError(`appendMany got event ${id} more than once`);
      ids.add(id);
    }
  }
}
