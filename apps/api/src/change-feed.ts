import type { ReadModelChange } from '@concord/read-model';

/**
 * One committed chunk as one organization's subscribers take it: which rows of each kind they
 * are waiting for, and what has been read of them. Every subscriber of the organization reads
 * the chunk's rows through it, once per kind and selection (push-reads.ts): one statement for a
 * chunk, however many subscribers and changes it reaches, instead of one per change per
 * subscriber.
 */
export class PublishedChunk {
  readonly organizationId: string;
  readonly #wanted = new Map<ReadModelChange['kind'], Set<string>>();
  readonly #reads = new Map<string, Promise<unknown>>();

  constructor(organizationId: string) {
    this.organizationId = organizationId;
  }

  /** A subscriber of the organization took this change (its row is read with the others). */
  want(change: ReadModelChange): void {
    const ids = this.#wanted.get(change.kind) ?? new Set<string>();
    this.#wanted.set(change.kind, ids.add(change.id));
  }

  /** The ids of one kind some subscriber of the organization took from this chunk. */
  wanted(kind: ReadModelChange['kind']): string[] {
    return [...(this.#wanted.get(kind) ?? [])];
  }

  /** `read()` the first time `key` is asked for in this chunk; its promise after that. */
  once<T>(key: string, read: () => Promise<T>): Promise<T> {
    let reading = this.#reads.get(key) as Promise<T> | undefined;
    if (!reading) this.#reads.set(key, (reading = read()));
    return reading;
  }
}

/** A change as a subscriber receives it: with the chunk it was published in, for its reads. */
export interface PublishedChange {
  change: ReadModelChange;
  chunk: PublishedChunk;
}

/** Takes a change (with its organization's chunk), answering whether it was taken. */
type Listener = (published: PublishedChange) => boolean;

/**
 * Read-model changes for live subscribers, fed by the projector after each committed chunk (so
 * nobody hears of a change before it can be read) and published only to the two parties of the
 * partnership it belongs to.
 *
 * Each subscriber keeps what it has not taken yet by row: a row that changes again before the
 * subscriber took it is delivered once, in its first place, with the latest chunk (its resolver
 * reads the row as that chunk left it, so nothing is lost). A subscriber slower than the
 * projector (a whole chunk is published at once) thus holds at most one pending change per row
 * it may see, and a burst never overflows.
 */
export class ChangeFeed {
  readonly #listeners = new Map<string, Set<Listener>>();

  /** Subscriptions listening right now, all organizations together. */
  get subscribers(): number {
    let count = 0;
    for (const listeners of this.#listeners.values()) count += listeners.size;
    return count;
  }

  publish(changes: readonly ReadModelChange[]): void {
    const chunks = new Map<string, PublishedChunk>();
    for (const change of changes)
      for (const organizationId of new Set([change.sponsorId, change.cdmoId])) {
        const listeners = this.#listeners.get(organizationId);
        if (!listeners) continue;
        let chunk = chunks.get(organizationId);
        if (!chunk) chunks.set(organizationId, (chunk = new PublishedChunk(organizationId)));
        let taken = false;
        for (const listener of listeners) taken = listener({ change, chunk }) || taken;
        if (taken) chunk.want(change);
      }
  }

  /** Changes of one kind visible to an organization, optionally about one id. */
  subscribe(
    organizationId: string,
    kind: ReadModelChange['kind'],
    id?: string | null,
  ): AsyncIterable<PublishedChange> {
    const listeners = this.#listeners;
    return {
      [Symbol.asyncIterator]() {
        const pending = new Map<string, PublishedChange>();
        let wake: (() => void) | undefined;
        let done = false;
        const listener: Listener = (published) => {
          const { change } = published;
          if (change.kind !== kind || (id && change.id !== id)) return false;
          pending.set(change.id, published);
          wake?.();
          return true;
        };
        const ofOrganization = listeners.get(organizationId) ?? new Set<Listener>();
        listeners.set(organizationId, ofOrganization.add(listener));
        const end = (): IteratorReturnResult<undefined> => {
          done = true;
          pending.clear();
          ofOrganization.delete(listener);
          if (ofOrganization.size === 0 && listeners.get(organizationId) === ofOrganization)
            listeners.delete(organizationId);
          wake?.();
          return { done: true, value: undefined };
        };
        return {
          async next(): Promise<IteratorResult<PublishedChange, undefined>> {
            while (!done && pending.size === 0)
              await new Promise<void>((resolve) => (wake = resolve));
            wake = undefined;
            const first = pending.entries().next();
            if (done || first.done) return { done: true, value: undefined };
            pending.delete(first.value[0]);
            return { done: false, value: first.value[1] };
          },
          async return() {
            return end();
          },
          async throw(error: unknown) {
            end();
            throw error;
          },
        };
      },
    };
  }
}
