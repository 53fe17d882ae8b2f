import { assertValidAppendMany, readEachStream } from './decorate.ts';
import { EventIdConflictError } from './errors.ts';
import { chainEvents, contentHash } from './hash-chain.ts';
import { delay, runSubscription } from './subscription-runner.ts';
import type {
  AppendOptions,
  AppendRequest,
  AppendResult,
  EventStore,
  NewEvent,
  ReadAllOptions,
  ReadStreamOptions,
  RecordedEvent,
  StreamAppendOutcome,
  StreamInfo,
  StreamMetadata,
  SubscribeOptions,
  Subscription,
  SubscriptionHandler,
  VerifyResult,
} from './types.ts';
import { assertExpectedVersion, assertValidAppend, meetsExpectedVersion } from './validation.ts';
import { verifyStreams } from './verify.ts';

/**
 * An event store in memory, for fast unit tests of code that uses the store. It follows the same
 * contract suite as the real adapters; it is never a substitute for testing one of them.
 */
export class InMemoryEventStore implements EventStore {
  readonly #events: RecordedEvent[] = [];
  readonly #streams = new Map<string, RecordedEvent[]>();
  readonly #metadata = new Map<string, StreamMetadata>();
  readonly #checkpoints = new Map<string, bigint>();
  readonly #byId = new Map<string, RecordedEvent>();
  readonly #listeners = new Set<() => void>();
  readonly #clock: () => Date;

  constructor(options: { clock?: () => Date } = {}) {
    this.#clock = options.clock ?? (() => new Date());
  }

  async append(
    streamId: string,
    events: NewEvent[],
    options: AppendOptions = {},
  ): Promise<AppendResult> {
    assertValidAppend(streamId, events);
    const duplicate = this.#duplicateOf(streamId, events);
    if (duplicate) return duplicate;
    const stream = this.#streams.get(streamId) ?? [];
    assertExpectedVersion(streamId, options.expectedVersion ?? 'any', stream.length);
    return this.#write(streamId, events);
  }

  /** All or nothing, like a transaction: every stream is checked before any is written. */
  async appendMany(requests: readonly AppendRequest[]): Promise<StreamAppendOutcome[]> {
    assertValidAppendMany(requests);
    const checked = requests.map(({ streamId, events, expectedVersion = 'any' }) => {
      const duplicate = this.#duplicateOf(streamId, events);
      if (duplicate) return { status: 'appended' as const, ...duplicate };
      const actualVersion = this.#streams.get(streamId)?.length ?? 0;
      return meetsExpectedVersion(expectedVersion, actualVersion)
        ? undefined
        : { status: 'conflict' as const, streamId, actualVersion };
    });
    return requests.map(
      ({ streamId, events }, index) =>
        checked[index] ?? { status: 'appended', ...this.#write(streamId, events) },
    );
  }

  #write(streamId: string, events: NewEvent[]): AppendResult {
    const stream = this.#streams.get(streamId) ?? [];
    const recordedAt = this.#clock().toISOString();
    const appended = chainEvents(
      streamId,
      stream.length,
      stream.at(-1)?.hash ?? null,
      events,
      recordedAt,
    ).map((event, index) => ({
      ...event,
      globalPosition: BigInt(this.#events.length + index + 1),
    }));
    for (const event of appended) {
      this.#events.push(event);
      this.#byId.set(event.id, event);
    }
    this.#streams.set(streamId, [...stream, ...appended]);
    for (const listener of this.#listeners) listener();
    return {
      streamId,
      nextExpectedVersion: stream.length + appended.length,
      positions: appended.map((e) => e.globalPosition),
      hashes: appended.map((e) => e.hash),
      recordedAt,
      duplicate: false,
    };
  }

  #duplicateOf(streamId: string, events: NewEvent[]): AppendResult | undefined {
    const stored = events.map((event) => this.#byId.get(event.id));
    if (stored.every((event) => event === undefined)) return undefined;
    for (const [index, event] of events.entries()) {
      const original = stored[index];
      if (!original)
        throw new EventIdConflictError(event.id, 'partially: the rest of its batch is new');
      if (original.streamId !== streamId) {
        throw new EventIdConflictError(event.id, `in another stream (${original.streamId})`);
      }
      if (contentHash(original) !== contentHash(event)) {
        throw new EventIdConflictError(event.id, 'with different content');
      }
    }
    return {
      streamId,
      nextExpectedVersion: this.#streams.get(streamId)?.length ?? 0,
      positions: stored.map((event) => event!.globalPosition),
      hashes: stored.map((event) => event!.hash),
      recordedAt: stored[0]!.recordedAt,
      duplicate: true,
    };
  }

  async readStreamsFrom(
    requests: readonly { streamId: string; fromVersion: number }[],
  ): Promise<Map<string, RecordedEvent[]>> {
    return readEachStream(this, requests);
  }

  async readStream(streamId: string, options: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
    const stream = this.#streams.get(streamId) ?? [];
    const { direction = 'forwards', maxCount = Number.POSITIVE_INFINITY } = options;
    const selected =
      direction === 'forwards'
        ? stream.filter((e) => e.streamVersion >= (options.fromVersion ?? 1))
        : stream.filter((e) => e.streamVersion <= (options.fromVersion ?? stream.length)).reverse();
    return structuredClone(selected.slice(0, maxCount));
  }

  async readAll(options: ReadAllOptions = {}): Promise<RecordedEvent[]> {
    const { after = 0n, maxCount = 1000 } = options;
    const start = Number(after);
    return structuredClone(this.#events.slice(start, start + maxCount));
  }

  async headPosition(): Promise<bigint> {
    return BigInt(this.#events.length);
  }

  async streamInfo(streamId: string): Promise<StreamInfo | undefined> {
    const stream = this.#streams.get(streamId);
    const metadata = this.#metadata.get(streamId);
    if (!stream && !metadata) return undefined;
    return {
      streamId,
      version: stream?.length ?? 0,
      headHash: stream?.at(-1)?.hash ?? null,
      metadata: structuredClone(metadata ?? {}),
    };
  }

  async setStreamMetadata(streamId: string, metadata: StreamMetadata): Promise<void> {
    this.#metadata.set(streamId, structuredClone(metadata));
  }

  async loadCheckpoint(subscriberId: string): Promise<bigint> {
    return this.#checkpoints.get(subscriberId) ?? 0n;
  }

  async saveCheckpoint(subscriberId: string, position: bigint): Promise<void> {
    this.#checkpoints.set(subscriberId, position);
  }

  subscribe(
    subscriberId: string,
    handler: SubscriptionHandler,
    options?: SubscribeOptions,
  ): Subscription {
    return runSubscription(
      {
        loadCheckpoint: () => this.loadCheckpoint(subscriberId),
        read: (after, maxCount) => this.readAll({ after, maxCount }),
        handle: async (events) => {
          const last = events[events.length - 1]!.globalPosition;
          await handler(events, undefined);
          await this.saveCheckpoint(subscriberId, last);
          return last;
        },
        waitForChange: (timeoutMs, signal) => {
          const wake = new AbortController();
          const listener = () => wake.abort();
          this.#listeners.add(listener);
          const stopped = () => wake.abort();
          signal.addEventListener('abort', stopped, { once: true });
          return delay(timeoutMs, wake.signal).finally(() => {
            this.#listeners.delete(listener);
            signal.removeEventListener('abort', stopped);
          });
        },
      },
      options,
    );
  }

  async verify(scope: { streamId: string } | 'all'): Promise<VerifyResult> {
    const ids = scope === 'all' ? [...this.#streams.keys()] : [scope.streamId];
    return verifyStreams(
      ids.map((streamId) => ({
        streamId,
        events: this.#streams.get(streamId) ?? [],
        headHash: this.#streams.get(streamId)?.at(-1)?.hash ?? null,
      })),
    );
  }

  async close(): Promise<void> {
    this.#listeners.clear();
  }
}
