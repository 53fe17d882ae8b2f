import {
  agreementVersionAt,
  evolveAgreement,
  foldOrganization,
  initialAgreementState,
  streams,
  toDomainEvent,
  type AgreementEvent,
  type AgreementVersion,
  type AuthorizationSubject,
  type OrganizationDirectory,
  type OrganizationEvent,
  type SubjectParties,
} from '@concord/domain';
import type { EventStore, RecordedEvent } from '@concord/event-store';
import DataLoader from 'dataloader';
import { LRUCache } from 'lru-cache';

export { streams };

/** Batches and deviations whose first event's facts are kept (a few hundred bytes each). */
const REMEMBERED_SUBJECTS = 20_000;
/** Organization and agreement histories kept to be caught up (there are few of either). */
const KEPT_HISTORIES = 2_000;

/**
 * Streams read whole on every call (an organization's directory, an agreement's versions): kept
 * as read, and caught up on each call with what was appended since, every stream asked for in the
 * same turn in one `readStreamsFrom`. A call sees exactly what a whole read would (streams only
 * grow), for one round trip instead of one per stream, and only the new events to parse.
 */
class StreamHistories {
  readonly #kept = new LRUCache<string, readonly RecordedEvent[]>({ max: KEPT_HISTORIES });
  readonly #reads: DataLoader<string, readonly RecordedEvent[]>;

  constructor(store: EventStore) {
    // Not a cache (each call reads again): gathers the streams asked for in the same turn.
    this.#reads = new DataLoader((streamIds) => this.#catchUp(store, streamIds), { cache: false });
  }

  read(streamId: string): Promise<readonly RecordedEvent[]> {
    return this.#reads.load(streamId);
  }

  async #catchUp(store: EventStore, streamIds: readonly string[]) {
    const kept = streamIds.map((streamId) => this.#kept.get(streamId) ?? []);
    const newer = await store.readStreamsFrom(
      streamIds.map((streamId, k) => ({
        streamId,
        fromVersion: (kept[k]!.at(-1)?.streamVersion ?? 0) + 1,
      })),
    );
    return streamIds.map((streamId, k) => {
      // What another read in flight kept meanwhile may already hold some of these.
      const held = this.#kept.get(streamId) ?? kept[k]!;
      const last = held.at(-1)?.streamVersion ?? 0;
      const added = (newer.get(streamId) ?? []).filter((event) => event.streamVersion > last);
      const history = added.length === 0 ? held : [...held, ...added];
      this.#kept.set(streamId, history);
      return history;
    });
  }
}

/**
 * The facts ingest needs from other streams, read from the event store itself (the source of
 * truth), never from a projection that may lag. A directory or an agreement can change, so they
 * are read for every call (what was appended since the last, `StreamHistories`); who a batch
 * belongs to and which agreement a deviation was reported under come from the stream's first
 * event, which never changes once stored: read once, kept.
 * (A busy feed names the same batches call after call: the ingest bench read them 2,100 times
 * for 7,000 events.)
 */
export class Registry {
  readonly #store: EventStore;
  readonly #batchParties = new LRUCache<string, AuthorizationSubject>({ max: REMEMBERED_SUBJECTS });
  readonly #deviationAgreements = new LRUCache<string, string>({ max: REMEMBERED_SUBJECTS });
  readonly #histories: StreamHistories;

  constructor(store: EventStore) {
    this.#store = store;
    this.#histories = new StreamHistories(store);
  }

  async organization(organizationId: string): Promise<OrganizationDirectory | undefined> {
    const events = await this.#histories.read(streams.organization(organizationId));
    return foldOrganization(events.map((event) => toDomainEvent<OrganizationEvent>(event)));
  }

  /** The agreement version in force at `at`, if any. */
  async agreementAt(agreementId: string, at: string): Promise<AgreementVersion | undefined> {
    return (await this.agreementHistory(agreementId)).at(at);
  }

  /** Every version of an agreement, to ask which one was in force at any instant. */
  async agreementHistory(agreementId: string): Promise<{
    at(instant: string): AgreementVersion | undefined;
    /** The two parties (they never change between versions); undefined: no such agreement. */
    parties: SubjectParties | undefined;
  }> {
    const events = await this.#histories.read(streams.agreement(agreementId));
    // The agreement's own decider folds its history: one rule for what is in force when.
    const state = events.reduce(
      (folded, event) => evolveAgreement(folded, toDomainEvent<AgreementEvent>(event)),
      initialAgreementState(),
    );
    const first = state.status === 'empty' ? undefined : state.versions[0];
    return {
      at: (instant) => agreementVersionAt(state, instant),
      parties: first && { sponsorId: first.sponsorId, cdmoId: first.cdmoId },
    };
  }

  /** Who a batch belongs to, from the event that scheduled it (undefined: no such batch). */
  async batchParties(batchId: string): Promise<AuthorizationSubject | undefined> {
    const known = this.#batchParties.get(batchId);
    if (known) return known;
    const [first] = await this.#store.readStream(streams.batch(batchId), { maxCount: 1 });
    if (!first) return undefined;
    const { agreementId, productId, sponsorId, cdmoId } = first.data as Record<string, string>;
    const parties = {
      agreementId: agreementId!,
      productId: productId!,
      sponsorId: sponsorId!,
      cdmoId: cdmoId!,
    };
    this.#batchParties.set(batchId, parties);
    return parties;
  }

  /** The agreement a deviation was reported under (undefined: no such deviation). */
  async deviationAgreement(deviationId: string): Promise<string | undefined> {
    const known = this.#deviationAgreements.get(deviationId);
    if (known !== undefined) return known;
    const [first] = await this.#store.readStream(streams.deviation(deviationId), { maxCount: 1 });
    if (!first) return undefined;
    const agreementId = String(first.data.agreementId);
    this.#deviationAgreements.set(deviationId, agreementId);
    return agreementId;
  }
}
