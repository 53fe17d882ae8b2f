// A test double of the part of `KurrentDBClient` the adapter uses, in memory, for machines
// without a KurrentDB server. It models what the adapter relies on, as KurrentDB documents it:
// 0-based revisions, optimistic appends on a stream state with KurrentDB's idempotent replay of
// the same ids at the same revision, `$all` positions that are byte offsets (commit = prepare,
// growing with gaps), system events interleaved in `$all` ($metadata, $stats...), inclusive reads
// from a position, StreamNotFoundError on a missing stream, JSON stored as text. It is no
// substitute for the integration suite against a real server, which is what proves the adapter.
import { randomUUID as uuid } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { setImmediate as yieldToOthers } from 'node:timers/promises';
import {
  ANY,
  BACKWARDS,
  DeadlineExceededError,
  END,
  MaxAppendSizeExceededError,
  NO_STREAM,
  START,
  STREAM_EXISTS,
  StreamNotFoundError,
  WrongExpectedVersionError,
  type AllStreamResolvedEvent,
  type AppendResult,
  type AppendStreamState,
  type EventData,
  type Filter,
  type KurrentDBClient,
  type Position,
  type ReadPosition,
  type ReadRevision,
  type ResolvedEvent,
} from '@kurrent/kurrentdb-client';

interface StoredRecord {
  streamId: string;
  id: string;
  type: string;
  data: string;
  metadata: string;
  revision: bigint;
  created: Date;
  position: bigint;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export class FakeKurrentDbClient {
  readonly #log: StoredRecord[] = [];
  readonly #streams = new Map<string, StoredRecord[]>();
  readonly #live = new EventEmitter();
  #nextPosition = 1_024n;
  #appends = 0;
  readonly #serverFilters: boolean;
  readonly #maxAppendSize: number;
  #failAfterNextWrite = false;

  /**
   * `serverFilters: false` ignores `$all` read filters, so the adapter's own filtering shows;
   * `maxAppendSize` is the server's MaxAppendSize (KurrentDB's default is 1 MiB; Concord's
   * deployments raise it to 16 MiB, the most KurrentDB allows).
   */
  constructor(options: { serverFilters?: boolean; maxAppendSize?: number } = {}) {
    this.#serverFilters = options.serverFilters ?? true;
    this.#maxAppendSize = options.maxAppendSize ?? 16 * 1024 * 1024;
  }

  /** The next append is stored, then fails as a deadline exceeded on the way back would. */
  failAfterNextWrite(): void {
    this.#failAfterNextWrite = true;
  }

  /** The client, as the adapter sees it. */
  asClient(): KurrentDBClient {
    return this as unknown as KurrentDBClient;
  }

  /** Changes a stored event's data behind the store's back (what a disk editor could do). */
  tamper(streamId: string, revision: bigint): void {
    const record = this.#streams.get(streamId)?.[Number(revision)];
    if (!record) throw new Error(`no event ${streamId}@${revision}`);
    const data = JSON.parse(record.data) as Record<string, unknown>;
    record.data = JSON.stringify({ ...data, note: 'edited by hand' });
  }

  #write(streamId: string, type: string, data: unknown, metadata: unknown, id: string): bigint {
    const stream = this.#streams.get(streamId) ?? [];
    this.#streams.set(streamId, stream);
    const record: StoredRecord = {
      streamId,
      id,
      type,
      data: JSON.stringify(data),
      metadata: metadata === undefined ? '' : JSON.stringify(metadata),
      revision: BigInt(stream.length),
      created: new Date(),
      position: this.#nextPosition,
    };
    // Log positions are byte offsets: unique, growing, with gaps the size of each record.
    this.#nextPosition += BigInt(100 + record.data.length + record.metadata.length);
    stream.push(record);
    this.#log.push(record);
    if (!streamId.startsWith('$')) this.#live.emit('record');
    return record.revision;
  }

  async appendToStream(
    streamId: string,
    event: EventData | EventData[],
    options: { streamState?: AppendStreamState } = {},
  ): Promise<AppendResult> {
    const events = Array.isArray(event) ? event : [event];
    const state = options.streamState ?? ANY;
    await yieldToOthers();
    let size = 0;
    for (const e of events) {
      if (!UUID.test(e.id)) throw new Error(`event id ${e.id} is not a UUID`);
      size += JSON.stringify(e.data).length + JSON.stringify(e.metadata ?? '').length;
    }
    if (size > this.#maxAppendSize) {
      throw MaxAppendSizeExceededError.fromMaxAppendSize(this.#maxAppendSize);
    }
    // Some system activity now and then, as a real server has.
    if (++this.#appends % 3 === 0) {
      this.#write('$stats-127.0.0.1:2113', '$statsCollected', { proc: 1 }, undefined, uuid());
    }
    const stream = this.#streams.get(streamId) ?? [];
    const current = stream.length === 0 ? NO_STREAM : BigInt(stream.length - 1);
    const wrong = () =>
      new WrongExpectedVersionError(undefined, { streamName: streamId, expected: state, current });
    const replayed = (expectedCount: number): AppendResult | undefined => {
      // KurrentDB answers an append of the same ids at the same place as a success, writing nothing.
      const at = stream.slice(expectedCount, expectedCount + events.length);
      if (at.length === events.length && at.every((r, i) => r.id === events[i]!.id)) {
        return { success: true, nextExpectedRevision: BigInt(expectedCount + events.length - 1) };
      }
      return undefined;
    };
    if (state === NO_STREAM && current !== NO_STREAM) {
      const replay = replayed(0);
      if (replay) return replay;
      throw wrong();
    }
    if (state === STREAM_EXISTS && current === NO_STREAM) throw wrong();
    if (typeof state === 'bigint' && state !== current) {
      const replay =
        current !== NO_STREAM && current > state ? replayed(Number(state) + 1) : undefined;
      if (replay) return replay;
      throw wrong();
    }
    let revision = -1n;
    let first: bigint | undefined;
    for (const e of events) {
      revision = this.#write(streamId, e.type, e.data, e.metadata, e.id);
      first ??= this.#streams.get(streamId)![Number(revision)]!.position;
    }
    if (this.#failAfterNextWrite) {
      this.#failAfterNextWrite = false;
      throw new DeadlineExceededError();
    }
    return {
      success: true,
      nextExpectedRevision: revision,
      position: { commit: first!, prepare: first! },
    };
  }

  #resolved(record: StoredRecord): ResolvedEvent & AllStreamResolvedEvent {
    const position: Position = { commit: record.position, prepare: record.position };
    return {
      event: {
        streamId: record.streamId,
        id: record.id,
        isJson: true,
        revision: record.revision,
        type: record.type,
        created: record.created,
        data: JSON.parse(record.data) as Record<string, unknown>,
        metadata: record.metadata
          ? (JSON.parse(record.metadata) as Record<string, unknown>)
          : undefined,
        position,
      },
      commitPosition: record.position,
    } as ResolvedEvent & AllStreamResolvedEvent;
  }

  async *readStream(
    streamId: string,
    options: { direction?: string; fromRevision?: ReadRevision; maxCount?: number | bigint } = {},
  ): AsyncGenerator<ResolvedEvent> {
    const { direction, fromRevision = START, maxCount = Number.MAX_SAFE_INTEGER } = options;
    await yieldToOthers();
    const stream = this.#streams.get(streamId);
    if (!stream) throw new StreamNotFoundError(undefined, streamId);
    const records = [...stream];
    let selected: StoredRecord[];
    if (direction === BACKWARDS) {
      const from =
        fromRevision === END || fromRevision === START ? records.length - 1 : Number(fromRevision);
      selected = records.slice(0, from + 1).reverse();
    } else {
      const from =
        fromRevision === START ? 0 : fromRevision === END ? records.length : Number(fromRevision);
      selected = records.slice(from);
    }
    for (const record of selected.slice(0, Number(maxCount))) yield this.#resolved(record);
  }

  async *readAll(
    options: {
      direction?: string;
      fromPosition?: ReadPosition;
      maxCount?: number | bigint;
      filter?: Filter;
    } = {},
  ): AsyncGenerator<AllStreamResolvedEvent> {
    const { direction, fromPosition = START, maxCount = Number.MAX_SAFE_INTEGER, filter } = options;
    await yieldToOthers();
    const log = [...this.#log];
    const matches = (record: StoredRecord) => {
      if (!filter || !('regex' in filter) || !this.#serverFilters) return true;
      const subject = filter.filterOn === 'eventType' ? record.type : record.streamId;
      return new RegExp(filter.regex).test(subject);
    };
    let selected: StoredRecord[];
    if (direction === BACKWARDS) {
      const below =
        fromPosition === END || fromPosition === START
          ? log
          : log.filter((r) => r.position < (fromPosition as Position).commit);
      selected = below.reverse();
    } else {
      selected =
        fromPosition === START || fromPosition === END
          ? fromPosition === END
            ? []
            : log
          : log.filter((r) => r.position >= (fromPosition as Position).commit);
    }
    let count = 0;
    for (const record of selected) {
      if (count >= Number(maxCount)) return;
      if (!matches(record)) continue;
      count++;
      yield this.#resolved(record);
    }
  }

  async getStreamMetadata(
    streamId: string,
  ): Promise<{ streamName: string; metadata?: Record<string, unknown> }> {
    await yieldToOthers();
    const last = this.#streams.get(`$$${streamId}`)?.at(-1);
    if (!last) return { streamName: streamId };
    return { streamName: streamId, metadata: JSON.parse(last.data) as Record<string, unknown> };
  }

  async setStreamMetadata(
    streamId: string,
    metadata: Record<string, unknown>,
  ): Promise<AppendResult> {
    await yieldToOthers();
    const revision = this.#write(`$$${streamId}`, '$metadata', metadata, undefined, uuid());
    return { success: true, nextExpectedRevision: revision };
  }

  subscribeToAll(): EventEmitter & { unsubscribe(): Promise<void> } {
    const live = new EventEmitter() as EventEmitter & { unsubscribe(): Promise<void> };
    const forward = () => live.emit('data', {});
    this.#live.on('record', forward);
    live.unsubscribe = async () => {
      this.#live.off('record', forward);
    };
    return live;
  }

  async dispose(): Promise<void> {
    this.#live.removeAllListeners();
  }
}
