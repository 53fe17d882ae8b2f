import type { IncomingEvent, IngestPipeline, Outcome } from '@concord/ingest';

type Pipeline = Pick<IngestPipeline, 'ingestMany'>;

interface Waiting {
  items: readonly IncomingEvent[];
  /** When each item was produced (Kafka's timestamp, ms): the order across chunks. */
  producedAt: readonly number[];
  resolve: (outcomes: Outcome[]) => void;
  reject: (error: unknown) => void;
}

/**
 * Hands the chunks that arrive together (kafkajs starts the batches of one fetch, one per
 * partition, at once) to the pipeline as one call: one outcome lookup, one read of the streams,
 * one append and one record of answers for all of them, instead of as many of each as there are
 * partitions. Each chunk gets its own outcomes, in its own order; a partition's next chunk comes
 * only after its previous one was answered, so the order within a partition is kept.
 *
 * A joint call takes the records in the order they were produced (their Kafka timestamps),
 * each chunk's own order kept: where two records of different partitions claim the same id, the
 * one sent first is the event, as when the partitions were decided one after the other.
 *
 * When a joint call fails, each of its chunks is tried again alone: a fault in one partner's
 * chunk is never answered to another's, which then goes through its own fallback.
 */
export class CoalescedIngest {
  readonly #pipeline: Pipeline;
  readonly #maxEvents: number;
  #gathering: Waiting[] | undefined;

  /** `maxEvents`: the most records one joint call carries (a larger gathering is split). */
  constructor(pipeline: Pipeline, maxEvents = 2_000) {
    this.#pipeline = pipeline;
    this.#maxEvents = maxEvents;
  }

  /** `producedAt`: when each item was produced (ms), for the order across chunks. */
  ingestMany(items: readonly IncomingEvent[], producedAt: readonly number[]): Promise<Outcome[]> {
    if (!this.#gathering) {
      this.#gathering = [];
      // Once every batch started by the same fetch has handed over its chunk.
      setImmediate(() => this.#flush());
    }
    const gathering = this.#gathering;
    return new Promise((resolve, reject) => gathering.push({ items, producedAt, resolve, reject }));
  }

  #flush(): void {
    const waiting = this.#gathering ?? [];
    this.#gathering = undefined;
    let call: Waiting[] = [];
    let size = 0;
    for (const chunk of waiting) {
      if (call.length > 0 && size + chunk.items.length > this.#maxEvents) {
        void this.#jointly(call);
        call = [];
        size = 0;
      }
      call.push(chunk);
      size += chunk.items.length;
    }
    if (call.length > 0) void this.#jointly(call);
  }

  async #jointly(call: Waiting[]): Promise<void> {
    if (call.length > 1) {
      const order = productionOrder(call);
      let outcomes: Outcome[] | undefined;
      try {
        outcomes = await this.#pipeline.ingestMany(
          order.map(([chunk, index]) => call[chunk]!.items[index]!),
        );
      } catch {
        // Each chunk alone below: the fault is found where it lies.
      }
      if (outcomes) {
        const answers = call.map((chunk) => new Array<Outcome>(chunk.items.length));
        order.forEach(([chunk, index], k) => (answers[chunk]![index] = outcomes[k]!));
        call.forEach((chunk, k) => chunk.resolve(answers[k]!));
        return;
      }
    }
    for (const chunk of call)
      this.#pipeline.ingestMany(chunk.items).then(chunk.resolve, chunk.reject);
  }
}

/**
 * The records of the chunks as [chunk, index] in the order they were produced: a merge that
 * always takes the earliest next record of any chunk, so each chunk keeps its own order (even
 * where its timestamps go back) and ties go to the chunk handed over first.
 */
function productionOrder(call: readonly Waiting[]): [number, number][] {
  const next = call.map(() => 0);
  const order: [number, number][] = [];
  for (;;) {
    let earliest = -1;
    for (const [chunk, { items, producedAt }] of call.entries()) {
      if (next[chunk]! >= items.length) continue;
      if (earliest < 0 || producedAt[next[chunk]!]! < call[earliest]!.producedAt[next[earliest]!]!)
        earliest = chunk;
    }
    if (earliest < 0) return order;
    order.push([earliest, next[earliest]!]);
    next[earliest]! += 1;
  }
}
