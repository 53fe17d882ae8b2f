import type { IncomingEvent, IngestPipeline, Outcome } from '@concord/ingest';

type Pipeline = Pick<IngestPipeline, 'ingestMany'>;

interface Waiting {
  items: readonly IncomingEvent[];
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

  ingestMany(items: readonly IncomingEvent[]): Promise<Outcome[]> {
    if (!this.#gathering) {
      this.#gathering = [];
      // Once every batch started by the same fetch has handed over its chunk.
      setImmediate(() => this.#flush());
    }
    const gathering = this.#gathering;
    return new Promise((resolve, reject) => gathering.push({ items, resolve, reject }));
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
      let outcomes: Outcome[] | undefined;
      try {
        outcomes = await this.#pipeline.ingestMany(call.flatMap((chunk) => chunk.items));
      } catch {
        // Each chunk alone below: the fault is found where it lies.
      }
      if (outcomes) {
        let start = 0;
        for (const chunk of call) {
          chunk.resolve(outcomes.slice(start, (start += chunk.items.length)));
        }
        return;
      }
    }
    for (const chunk of call)
      this.#pipeline.ingestMany(chunk.items).then(chunk.resolve, chunk.reject);
  }
}
