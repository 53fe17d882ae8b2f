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
import type { EventStore } from '@concord/event-store';
import { LRUCache } from 'lru-cache';

export { streams };

/** Batches and deviations whose first event's facts are kept (a few hundred bytes each). */
const REMEMBERED_SUBJECTS = 20_000;

/**
 * The facts ingest needs from other streams, read from the event store itself (the source of
 * truth), never from a projection that may lag. A directory or an agreement can change, so they
 * are read for every call; who a batch belongs to and which agreement a deviation was reported
 * under come from the stream's first event, which never changes once stored: read once, kept.
 * (A busy feed names the same batches call after call: the ingest bench read them 2,100 times
 * for 7,000 events.)
 */
export class Registry {
  readonly #store: EventStore;
  readonly #batchParties = new LRUCache<string, AuthorizationSubject>({ max: REMEMBERED_SUBJECTS });
  readonly #deviationAgreements = new LRUCache<string, string>({ max: REMEMBERED_SUBJECTS });

  constructor(store: EventStore) {
    this.#store = store;
  }

  async organization(organizationId: string): Promise<OrganizationDirectory | undefined> {
    const events = await this.#store.readStream(streams.organization(organizationId));
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
    const events = await this.#store.readStream(streams.agreement(agreementId));
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
