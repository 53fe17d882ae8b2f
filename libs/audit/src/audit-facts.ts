import type { AgreementVersion, OrganizationDirectory } from '@concord/domain';
import type { EventStore, RecordedEvent } from '@concord/event-store';
import { Registry } from '@concord/ingest';
import { actorOf } from './stored-event.ts';

type AgreementHistory = Awaited<ReturnType<Registry['agreementHistory']>>;

/**
 * What an audit needs from other streams (organizations with their keys and people, agreement
 * versions), read from the event store itself, each stream once per audit. Read in full, never
 * "as of": a key revoked later with an earlier revocation time must make the events it signed
 * after that time fail, and an agreement's versions carry their own effective dates.
 */
export class AuditFacts {
  readonly #registry: Registry;
  readonly #organizations = new Map<string, Promise<OrganizationDirectory | undefined>>();
  readonly #agreements = new Map<string, Promise<AgreementHistory>>();
  readonly #loaded = new Map<string, OrganizationDirectory | undefined>();

  constructor(store: EventStore) {
    this.#registry = new Registry(store);
  }

  async organization(organizationId: string): Promise<OrganizationDirectory | undefined> {
    let directory = this.#organizations.get(organizationId);
    if (!directory) {
      directory = this.#registry.organization(organizationId);
      this.#organizations.set(organizationId, directory);
    }
    const loaded = await directory;
    this.#loaded.set(organizationId, loaded);
    return loaded;
  }

  /** Loads the directories of every organization that acted in or signed `events`. */
  async organizationsOf(events: readonly RecordedEvent[]): Promise<void> {
    const ids = new Set<string>();
    for (const event of events) {
      ids.add(actorOf(event).organizationId);
      const envelope = event.metadata.envelope as { actororg?: unknown } | undefined;
      if (typeof envelope?.actororg === 'string') ids.add(envelope.actororg);
    }
    await Promise.all([...ids].map((id) => this.organization(id)));
  }

  /** A directory already loaded (by `organization` or `organizationsOf`); synchronous for pure code. */
  readonly directoryOf = (organizationId: string): OrganizationDirectory | undefined =>
    this.#loaded.get(organizationId);

  /** The agreement version in force at `at` (undefined before the first or after termination). */
  async agreementAt(agreementId: string, at: string): Promise<AgreementVersion | undefined> {
    return (await this.agreementHistory(agreementId)).at(at);
  }

  agreementHistory(agreementId: string): Promise<AgreementHistory> {
    let history = this.#agreements.get(agreementId);
    if (!history) {
      history = this.#registry.agreementHistory(agreementId);
      this.#agreements.set(agreementId, history);
    }
    return history;
  }
}
