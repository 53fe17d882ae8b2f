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

export { streams };

/**
 * The facts ingest needs from other streams, read from the event store itself (the source of
 * truth), never from a projection that may lag.
 */
export class Registry {
  readonly #store: EventStore;

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
    const [first] = await this.#store.readStream(streams.batch(batchId), { maxCount: 1 });
    if (!first) return undefined;
    const { agreementId, productId, sponsorId, cdmoId } = first.data as Record<string, string>;
    return {
      agreementId: agreementId!,
      productId: productId!,
      sponsorId: sponsorId!,
      cdmoId: cdmoId!,
    };
  }

  /** The agreement a deviation was reported under (undefined: no such deviation). */
  async deviationAgreement(deviationId: string): Promise<string | undefined> {
    const [first] = await this.#store.readStream(streams.deviation(deviationId), { maxCount: 1 });
    return first ? String(first.data.agreementId) : undefined;
  }
}
