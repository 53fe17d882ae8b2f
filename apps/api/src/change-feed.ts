import type { ReadModelChange } from '@concord/read-model';
import { createPubSub, filter, pipe } from 'graphql-yoga';

/**
 * Read-model changes for live subscribers, fed by the projector after each committed chunk (so
 * nobody hears of a change before it can be read) and published only to the two parties of the
 * partnership it belongs to.
 */
export class ChangeFeed {
  readonly #pubsub = createPubSub<{ change: [organizationId: string, change: ReadModelChange] }>();

  publish(changes: readonly ReadModelChange[]): void {
    for (const change of changes)
      for (const organizationId of new Set([change.sponsorId, change.cdmoId]))
        this.#pubsub.publish('change', organizationId, change);
  }

  /** Changes of one kind visible to an organization, optionally about one id. */
  subscribe(
    organizationId: string,
    kind: ReadModelChange['kind'],
    id?: string | null,
  ): AsyncIterable<ReadModelChange> {
    return pipe(
      this.#pubsub.subscribe('change', organizationId),
      filter((change: ReadModelChange) => change.kind === kind && (!id || change.id === id)),
    );
  }
}
