import type { AgreementVersion, OrganizationDirectory } from '@concord/domain';
import { decorateStore, type EventStore, type RecordedEvent } from '@concord/event-store';
import { isPlatformSigned, verifyPlatformSignature, type PlatformKeyring } from '@concord/evidence';
import { Registry } from '@concord/ingest';
import type { SignedCheckpoint } from '@concord/verifier';
import { actorOf } from './stored-event.ts';

type AgreementHistory = Awaited<ReturnType<Registry['agreementHistory']>>;

/** What every audit may be given: the platform's public keys, from outside the database. */
export interface AuditOptions {
  /** Checks every platform-recorded event's signature; undefined: not checked. */
  platformKeyring?: PlatformKeyring;
  /**
   * The latest checkpoint the platform signed (its tree head): the store must still hold exactly
   * the events it covers, in order. Checked only with the keyring; undefined: not checked.
   */
  checkpoint?: SignedCheckpoint;
}

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

  /** The platform's public keys, from outside the database; undefined: not checked. */
  readonly platformKeyring: PlatformKeyring | undefined;

  constructor(store: EventStore, options: AuditOptions = {}) {
    this.platformKeyring = options.platformKeyring;
    this.#registry = new Registry(
      options.platformKeyring ? onlyPlatformSigned(store, options.platformKeyring) : store,
    );
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

/**
 * The store as an audit may trust it for organizations and agreements: only the events of those
 * streams that the platform signed (keys, people and terms an insider inserted or changed in the
 * database are not believed; the audit reports them where they are in scope).
 */
function onlyPlatformSigned(store: EventStore, keyring: PlatformKeyring): EventStore {
  const registryStream = /^(organization|agreement)-/;
  const trusted = (event: RecordedEvent) =>
    isPlatformSigned(event) && verifyPlatformSignature(event, keyring).status === 'valid';
  return decorateStore(store, {
    readStream: async (streamId, options) => {
      const events = await store.readStream(streamId, options);
      return registryStream.test(streamId) ? events.filter(trusted) : events;
    },
  });
}
