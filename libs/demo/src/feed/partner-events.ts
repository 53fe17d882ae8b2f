import type {
  ConcordEvent,
  ElectronicSignature,
  EventData,
  EventType,
  Role,
  SignatureMeaning,
} from '@concord/contract';
import { createPartner, type Partner } from '@concord/partner-client';
import { keysOf, type DemoKeys } from '../demo-keys.ts';
import { worldPerson } from '@concord/contract/world';
import { stableUuid } from '../stable-ids.ts';

/** The partner system an event comes from: its source is `urn:concord:<org>:<system>`. */
export type PartnerSystem = 'mes' | 'lims' | 'qms';

/** How long before the act a person pressed "sign" (well inside the platform's tolerance). */
const SIGNING_LEAD_MS = 35_000;

export interface PartnerEventOptions {
  system: PartnerSystem;
  /** The role of the acting person (the organization's person holding it acts). */
  role: Role;
  time: Date;
  /**
   * Names the act within its subject (e.g. `qc-sec`): the event id is derived from subject and
   * step, so a step sent again after a restart or a lost answer is a recognized redelivery.
   */
  step: string;
  correlationId: string;
}

/**
 * Builds the demo partners' events: each organization's person in the role acts, the event is
 * completed, validated against the contract and signed with the organization's key by the
 * partner client (the library partners embed).
 */
export class PartnerEvents {
  readonly #keys: DemoKeys;
  readonly #partners = new Map<string, Partner>();

  constructor(keys: DemoKeys) {
    this.#keys = keys;
  }

  #partner(organizationId: string): Partner {
    let partner = this.#partners.get(organizationId);
    if (!partner) {
      const { signingKey } = keysOf(this.#keys, organizationId);
      partner = createPartner({
        organizationId,
        keyId: signingKey.keyId,
        privateKeyPem: signingKey.privateKeyPem,
        defaultSource: `urn:concord:${organizationId}:qms`,
      });
      this.#partners.set(organizationId, partner);
    }
    return partner;
  }

  /** A signed event of `organizationId`; throws InvalidEventError when it breaks the contract. */
  event<T extends EventType>(
    organizationId: string,
    type: T,
    subject: string,
    data: EventData<T>,
    options: PartnerEventOptions,
  ): ConcordEvent {
    const actor = worldPerson(organizationId, options.role);
    return this.#partner(organizationId).event(type, subject, data, {
      id: stableUuid(`${subject}/${options.step}`),
      source: `urn:concord:${organizationId}:${options.system}`,
      actorId: actor.personId,
      actorRole: options.role,
      time: options.time,
      correlationId: options.correlationId,
    }) as ConcordEvent;
  }

  /** The e-signature of the organization's person in `role`, applied just before `time`. */
  signature(
    organizationId: string,
    role: Role,
    time: Date,
    meaning: SignatureMeaning,
    reason: string,
  ): ElectronicSignature {
    const signer = worldPerson(organizationId, role);
    return {
      signerId: signer.personId,
      printedName: signer.printedName,
      signedAt: new Date(time.getTime() - SIGNING_LEAD_MS).toISOString(),
      meaning,
      reason,
    };
  }
}
