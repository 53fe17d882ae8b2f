import type { ReadModelChange } from '@concord/read-model';

type Listener = (change: ReadModelChange) => void;

/**
 * Read-model changes for live subscribers, fed by the projector after each committed chunk (so
 * nobody hears of a change before it can be read) and published only to the two parties of the
 * partnership it belongs to.
 *
 * Each subscriber keeps what it has not taken yet by row: a row that changes again before the
 * subscriber took it is delivered once, in its first place (its resolver reads the row as it is
 * then, so nothing is lost). A subscriber slower than the projector (a whole chunk is published
 * at once) thus holds at most one pending change per row it may see, and a burst never overflows.
 */
export class ChangeFeed {
  readonly #listeners = new Map<string, Set<Listener>>();

  publish(changes: readonly ReadModelChange[]): void {
    for (const change of changes)
      for (const organizationId of new Set([change.sponsorId, change.cdmoId]))
        for (const listener of this.#listeners.get(organizationId) ?? []) listener(change);
  }

  /** Changes of one kind visible to an organization, optionally about one id. */
  subscribe(
    organizationId: string,
    kind: ReadModelChange['kind'],
    id?: string | null,
  ): AsyncIterable<ReadModelChange> {
    const listeners = this.#listeners;
    return {
      [Symbol.asyncIterator]() {
        const pending = new Map<string, ReadModelChange>();
        let wake: (() => void) | undefined;
        let done = false;
        const listener: Listener = (change) => {
          if (change.kind !== kind || (id && change.id !== id)) return;
          pending.set(change.id, change);
          wake?.();
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
          async next(): Promise<IteratorResult<ReadModelChange, undefined>> {
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
