import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import {
  AuthenticationError,
  inMemoryStepUpLedger,
  type ApiKeyRecord,
  type Authenticator,
  type Caller,
  type StepUpLedger,
} from '@concord/auth';
import {
  isEventType,
  validateEventData,
  verifyKeyStatement,
  type SigningKeyStatement,
} from '@concord/contract';
import {
  ADMINISTRATION_SOURCE,
  agreementDecider,
  apiKeyRefusalAt,
  assertRegisteredPrintedName,
  DomainError,
  isDomainError,
  keyValidAt,
  toDomainEvent,
  type AgreementDraft,
  type AgreementEvent,
  type AgreementVersionDrafted,
  type Decider,
  type DomainEvent,
  type DraftAgreementVersion,
  type SignAgreementVersion,
  type Signatories,
  mayAdminister,
  organizationDecider,
  PLATFORM_ORGANIZATION_ID,
  type CommandMetadata,
  type OrganizationCommand,
  type OrganizationDirectory,
  type OrganizationKind,
  type Role,
  type SigningKeyProof,
} from '@concord/domain';
import type { EventStore, JsonObject } from '@concord/event-store';
import { decideStreamCommands, Registry, storedEventId, streams } from '@concord/ingest';
import type { SqlDatabase } from '@concord/sql';
import { ActRefusedError } from './human-acts.ts';

/** The role, held at the platform organization, of the platform's own staff. */
export const OPERATOR_ROLE = 'operator';

/** An administrative act: what is asked, and about which organization. */
export type AdministrativeAct =
  | {
      kind: 'register-organization';
      organizationId: string;
      name: string;
      organizationKind: OrganizationKind;
    }
  | { kind: 'appoint-administrator'; organizationId: string; personId: string; printedName: string }
  | { kind: 'remove-administrator'; organizationId: string; personId: string }
  | {
      kind: 'grant-role';
      organizationId: string;
      personId: string;
      printedName: string;
      role: Role;
    }
  | { kind: 'revoke-role'; organizationId: string; personId: string; role: Role }
  | { kind: 'register-partner-system'; organizationId: string; systemId: string; name: string }
  | { kind: 'register-site'; organizationId: string; siteId: string; name: string; country: string }
  | { kind: 'register-product'; organizationId: string; productId: string; name: string }
  | {
      kind: 'issue-api-key';
      organizationId: string;
      systemId: string;
      roles: Role[];
      expiresAt: string;
    }
  | {
      kind: 'revoke-api-key';
      organizationId: string;
      systemId: string;
      keyId: string;
      /** @default now */
      revokedAt?: string;
    };

/** A change to an organization's signing keys: what the organization signs or approves. */
export type SigningKeyChange =
  | {
      kind: 'register-signing-key';
      organizationId: string;
      keyId: string;
      publicKey: string;
      validFrom: string;
    }
  | { kind: 'revoke-signing-key'; organizationId: string; keyId: string; revokedAt: string };

/**
 * How the organization proves a change to its keys: the statement signed with a key it holds,
 * or its administrator's e-signature (the credential re-entered for it, the printed name).
 */
export type SigningKeyProofInput =
  | { heldKey: { keyId: string; signature: string } }
  | { eSignature: { printedName: string; credential: string } };

export interface RecordedAdministration {
  eventId: string;
  streamId: string;
  position: bigint;
  recordedAt: string;
  /** The types recorded, in order (signing an agreement's draft may also approve it). */
  types: string[];
  /** Only for an issued API key: the key itself, which is shown this once and stored nowhere. */
  apiKey?: { keyId: string; key: string; expiresAt: string };
}

/**
 * Stored API keys read `ck1.<organization, base64url>.<key id>.<secret>`: the key names whose it
 * is, so checking it reads that one organization's stream (the source of truth: a revocation
 * holds from the instant it is recorded, in every replica).
 */
const API_KEY_PREFIX = 'ck1';

function newApiKey(organizationId: string) {
  const keyId = `k-${randomBytes(8).toString('hex')}`;
  const org = Buffer.from(organizationId).toString('base64url');
  const key = `${API_KEY_PREFIX}.${org}.${keyId}.${randomBytes(32).toString('base64url')}`;
  return { keyId, key, sha256: sha256Hex(key) };
}

const sha256Hex = (value: string) => createHash('sha256').update(value).digest('hex');

function parseApiKey(key: string): { organizationId: string; keyId: string } | undefined {
  const parts = key.split('.');
  if (parts.length !== 4 || parts[0] !== API_KEY_PREFIX) return undefined;
  const organizationId = Buffer.from(parts[1]!, 'base64url').toString('utf8');
  return organizationId && parts[2] ? { organizationId, keyId: parts[2] } : undefined;
}

/**
 * Organizations, their administrators, people, partner systems and API keys, administered
 * through the organization decider like every other record: who acts is the caller (a platform
 * operator, or an administrator the organization's stream names), why is the reason they give,
 * recorded with the act, and the platform's store signs what is recorded.
 */
export class Administration {
  readonly #store: EventStore;
  readonly #registry: Registry;
  readonly #clock: () => Date;
  readonly #usage: ApiKeyUsage | undefined;

  readonly #authenticator: Authenticator | undefined;
  readonly #stepUps: StepUpLedger;

  constructor(options: {
    store: EventStore;
    clock?: () => Date;
    db?: SqlDatabase;
    /** Checks the credential an administrator re-enters to sign. @default no e-signatures */
    authenticator?: Authenticator;
    /** @default this process's memory */
    stepUps?: StepUpLedger;
  }) {
    this.#store = options.store;
    this.#registry = new Registry(options.store);
    this.#clock = options.clock ?? (() => new Date());
    this.#usage = options.db ? new ApiKeyUsage(options.db) : undefined;
    this.#authenticator = options.authenticator;
    this.#stepUps = options.stepUps ?? inMemoryStepUpLedger();
  }

  /**
   * Registers or revokes a signing key on the organization's proof, checked here (the signature
   * of the statement with the key it names, or the re-entered credential) and judged by the
   * organization decider. The proof is recorded with the change, under the platform's signature.
   */
  async changeSigningKey(
    caller: Caller,
    change: SigningKeyChange,
    proofInput: SigningKeyProofInput,
    reason: string,
  ): Promise<RecordedAdministration> {
    if (reason.trim() === '')
      throw new ActRefusedError('administration.reason-required', 'State why.');
    const now = this.#clock().toISOString();
    const statement = statementOf(change, reason.trim());
    let proof: SigningKeyProof;
    let keyProof: JsonObject;
    if ('heldKey' in proofInput) {
      const { keyId, signature } = proofInput.heldKey;
      const directory = await this.#registry.organization(change.organizationId);
      const key = directory && keyValidAt(directory, keyId, now);
      // A key the organization does not hold is the decider's refusal; a signature that does
      // not verify with one it holds is refused here.
      if (key && !verifyKeyStatement(statement, { keyId, signature }, key.publicKey))
        throw new ActRefusedError(
          'signature.invalid',
          `The signature does not verify with ${keyId}: sign the statement as documented, with that key.`,
        );
      proof = { method: 'held-key', keyId };
      keyProof = { method: 'held-key', keyId, signature, statement };
    } else {
      if (caller.kind !== 'person')
        throw new ActRefusedError('act.person-required', 'Only a person can sign; systems cannot.');
      const credential = await this.#stepUp(proofInput.eSignature.credential, caller.personId);
      const signature = {
        signerId: caller.personId,
        printedName: proofInput.eSignature.printedName,
        signedAt: now,
        meaning: 'approval' as const,
        reason: reason.trim(),
      };
      proof = { method: 'administrator-signature', signature };
      keyProof = {
        method: 'administrator-signature',
        signature,
        signingCeremony: {
          reauthenticationId: credential.id,
          reauthenticatedAt: credential.issuedAt.toISOString(),
        },
      };
    }
    // The event records what the organization signed or approved, nothing else.
    const { statement: _kind, ...data } = statement;
    const recorded = {
      type:
        statement.statement === 'concord.signing-key-registration.v1'
          ? ('concord.organization.signing-key-registered.v1' as const)
          : ('concord.organization.signing-key-revoked.v1' as const),
      data,
    };
    return this.#record(caller, change.organizationId, now, reason, (metadata) => ({
      command: { ...recorded, metadata, context: { proof } } as OrganizationCommand,
      extraMetadata: { keyProof },
    }));
  }

  async perform(
    caller: Caller,
    act: AdministrativeAct,
    reason: string,
  ): Promise<RecordedAdministration> {
    if (caller.kind !== 'person')
      throw new ActRefusedError(
        'act.person-required',
        'Only a person administers; systems cannot.',
      );
    if (reason.trim() === '')
      throw new ActRefusedError('administration.reason-required', 'State why.');
    const now = this.#clock().toISOString();
    const issued = act.kind === 'issue-api-key' ? newApiKey(act.organizationId) : undefined;
    const recorded = await this.#record(caller, act.organizationId, now, reason, (metadata) => ({
      command: {
        ...commandOf(act, reason.trim(), now, issued),
        metadata,
        context: {},
      } as OrganizationCommand,
    }));
    return issued && act.kind === 'issue-api-key'
      ? { ...recorded, apiKey: { keyId: issued.keyId, key: issued.key, expiresAt: act.expiresAt } }
      : recorded;
  }

  /** Decides one command on the organization's stream and appends what it records. */
  #record(
    caller: Caller,
    organizationId: string,
    now: string,
    reason: string,
    commandFor: (metadata: CommandMetadata) => {
      command: OrganizationCommand;
      extraMetadata?: JsonObject;
    },
  ): Promise<RecordedAdministration> {
    const metadata = this.#metadata(caller, now);
    const { command, extraMetadata } = commandFor(metadata);
    return this.#decide(
      streams.organization(organizationId),
      organizationDecider,
      metadata,
      command,
      { ...extraMetadata, reason: reason.trim() },
    );
  }

  #metadata(caller: Caller, now: string): CommandMetadata {
    const eventId = storedEventId(
      ADMINISTRATION_SOURCE,
      `${now}:${randomBytes(8).toString('hex')}`,
    );
    return {
      eventId,
      source: ADMINISTRATION_SOURCE,
      actor: actorOf(caller),
      occurredAt: now,
      recordedAt: now,
    };
  }

  /** One command decided on its stream; the reason (why) recorded with what it records. */
  async #decide<State, Command>(
    streamId: string,
    decider: Decider<State, Command, DomainEvent>,
    metadata: CommandMetadata,
    command: Command,
    extraMetadata: JsonObject,
  ): Promise<RecordedAdministration> {
    checkPublishedShape(command as { type: string; data: unknown });
    const [result] = await decideStreamCommands({
      store: this.#store,
      streamId,
      decider,
      // Why, recorded with the act (and covered by the platform's signature of it).
      commands: [{ eventId: metadata.eventId, command, extraMetadata }],
    });
    if (!result || result.status === 'refused') throw result?.error ?? new Error('not recorded');
    if (result.status === 'duplicate') throw new Error('an administrative act was recorded twice');
    return {
      eventId: metadata.eventId,
      streamId,
      position: result.positions[0]!,
      recordedAt: metadata.recordedAt,
      types: result.types,
    };
  }

  /**
   * Drafts the next version of a quality agreement (a new agreement's first): an administrator
   * of either party, or an operator. It takes effect only when both parties' QA have signed it.
   */
  async draftAgreementVersion(
    caller: Caller,
    version: Omit<AgreementVersionDrafted['data'], 'reason'>,
    reason: string,
  ): Promise<RecordedAdministration> {
    const now = this.#clock().toISOString();
    checkReason(caller, reason);
    const administrators: Record<string, string[]> = {};
    for (const organizationId of [version.sponsorId, version.cdmoId]) {
      const directory = await this.#registry.organization(organizationId);
      administrators[organizationId] = [...(directory?.administrators.keys() ?? [])];
    }
    const metadata = this.#metadata(caller, now);
    const command: DraftAgreementVersion = {
      // The newest version of the draft's type: it carries the deviation due days, if any.
      type: 'concord.agreement.version-drafted.v2',
      data: { ...version, reason: reason.trim() },
      metadata,
      context: { administrators },
    };
    return this.#decide(
      streams.agreement(version.agreementId),
      agreementDecider,
      metadata,
      command,
      {
        reason: reason.trim(),
      },
    );
  }

  /** The draft of an agreement, for its parties' people and the operators; else undefined. */
  async agreementDraft(caller: Caller, agreementId: string): Promise<AgreementDraft | undefined> {
    const { draft } = await this.#agreement(agreementId);
    if (!draft) return undefined;
    const { sponsorId, cdmoId } = draft.content;
    const operator =
      caller.organizationId === PLATFORM_ORGANIZATION_ID && caller.roles.includes(OPERATOR_ROLE);
    return operator || [sponsorId, cdmoId].includes(caller.organizationId) ? draft : undefined;
  }

  /**
   * Whether the caller may read an agreement's record: a person of either party, or an operator.
   * An agreement that does not exist is answered the same as one of others.
   */
  async mayReadAgreement(caller: Caller, agreementId: string): Promise<boolean> {
    const state = await this.#agreement(agreementId);
    const parties = state.status === 'empty' ? state.draft?.content : state.versions[0];
    if (!parties) return false;
    const operator =
      caller.organizationId === PLATFORM_ORGANIZATION_ID && caller.roles.includes(OPERATOR_ROLE);
    return operator || [parties.sponsorId, parties.cdmoId].includes(caller.organizationId);
  }

  async #agreement(agreementId: string) {
    const events = await this.#store.readStream(streams.agreement(agreementId));
    return events.reduce(
      (state, event) => agreementDecider.evolve(state, toDomainEvent<AgreementEvent>(event)),
      agreementDecider.initialState(),
    );
  }

  /**
   * A party's QA signs the draft (an e-signature: the credential re-entered, the printed name as
   * registered, meaning approval); the second party's signature approves the version.
   */
  async signAgreementVersion(
    caller: Caller,
    act: { agreementId: string; version: number; draftId: string },
    eSignature: { printedName: string; credential: string },
    reason: string,
  ): Promise<RecordedAdministration> {
    checkReason(caller, reason);
    if (caller.kind !== 'person') throw new Error('unreachable: checkReason refuses systems');
    const draft = await this.agreementDraft(caller, act.agreementId);
    // An agreement the caller is no party to is answered as one without a draft.
    if (!draft || draft.content.version !== act.version)
      throw new DomainError(
        'agreement.no-draft',
        `Version ${act.version} of agreement ${act.agreementId} is not drafted.`,
      );
    const { sponsorId, cdmoId } = draft.content;
    const party = caller.organizationId === sponsorId ? 'sponsor' : 'cdmo';
    const credential = await this.#stepUp(eSignature.credential, caller.personId);
    const now = this.#clock().toISOString();
    const directory = await this.#registry.organization(caller.organizationId);
    const person = directory?.people.get(caller.personId);
    if (!person)
      throw new ActRefusedError(
        'signature.unknown-person',
        `${caller.personId} holds no role at ${caller.organizationId}.`,
      );
    try {
      assertRegisteredPrintedName(eSignature.printedName, person.printedName);
    } catch (error) {
      if (isDomainError(error)) throw new ActRefusedError(error.code, error.message);
      throw error;
    }
    // The signer signs in the roles registered for them that the session was issued with.
    const signatories: Record<string, Signatories[string]> = {
      [caller.personId]: {
        organizationId: caller.organizationId,
        roles: [...person.roles].filter((role) => caller.roles.includes(role)),
      },
    };
    for (const organizationId of [sponsorId, cdmoId]) {
      if (organizationId === caller.organizationId) continue;
      for (const [personId, other] of (await this.#registry.organization(organizationId))?.people ??
        [])
        signatories[personId] = { organizationId, roles: [...other.roles] };
    }
    const metadata = this.#metadata(caller, now);
    const command: SignAgreementVersion = {
      type: 'concord.agreement.version-signed.v1',
      data: {
        agreementId: act.agreementId,
        version: act.version,
        draftId: act.draftId,
        party,
        signature: {
          signerId: caller.personId,
          printedName: person.printedName,
          signedAt: now,
          meaning: 'approval',
          reason: reason.trim(),
        },
      },
      metadata,
      context: { signatories },
    };
    return this.#decide(streams.agreement(act.agreementId), agreementDecider, metadata, command, {
      reason: reason.trim(),
      signingCeremony: {
        reauthenticationId: credential.id,
        reauthenticatedAt: credential.issuedAt.toISOString(),
      },
    });
  }

  /** The credential re-entered for one e-signature: checked, and used up. */
  async #stepUp(token: string, personId: string) {
    if (!this.#authenticator) throw new Error('no authenticator for e-signatures');
    let credential;
    try {
      credential = await this.#authenticator.verifyStepUp(token, personId);
    } catch (error) {
      if (error instanceof AuthenticationError)
        throw new ActRefusedError('signature.credential-refused', error.message);
      throw error;
    }
    if (!(await this.#stepUps.consume(credential)))
      throw new ActRefusedError(
        'signature.credential-used',
        'The re-entered credential has already signed an act; re-enter it for this signature.',
      );
    return credential;
  }

  /**
   * The organization as its administration sees it, for an operator or one of its
   * administrators; undefined otherwise, exactly as for an organization that does not exist.
   */
  async organization(caller: Caller, organizationId: string) {
    if (caller.kind !== 'person') return undefined;
    let actor;
    try {
      actor = actorOf(caller);
    } catch {
      return undefined;
    }
    const directory = await this.#registry.organization(organizationId);
    const probe = { eventId: 'read', actor, occurredAt: '', recordedAt: '' };
    if (!directory || !mayAdminister(probe, directory)) return undefined;
    const lastUse = (await this.#usage?.lastUse(organizationId)) ?? new Map<string, Date>();
    return { directory, lastUse, now: this.#clock().toISOString() };
  }

  /**
   * The partner system a stored API key belongs to, if the key is one and is accepted now;
   * undefined for a key of another form (the authenticator's static keys may know it).
   */
  async findApiKey(key: string): Promise<ApiKeyRecord | undefined> {
    const named = parseApiKey(key);
    if (!named) return undefined;
    const refused = () => new AuthenticationError('The API key is not known.');
    const directory = await this.#registry.organization(named.organizationId);
    const stored = directory?.apiKeys.get(named.keyId);
    if (!directory || !stored) throw refused();
    const given = Buffer.from(sha256Hex(key), 'hex');
    if (!timingSafeEqual(given, Buffer.from(stored.sha256, 'hex'))) throw refused();
    // Only whoever holds the whole key learns that it has expired or was revoked.
    const now = this.#clock();
    const refusal = apiKeyRefusalAt(directory, named.keyId, now.toISOString());
    if (refusal === 'revoked')
      throw new AuthenticationError(`The API key was revoked as of ${stored.revokedAt}.`);
    if (refusal === 'expired')
      throw new AuthenticationError(`The API key expired at ${stored.expiresAt}.`);
    if (refusal) throw refused();
    this.#usage?.used(named.organizationId, named.keyId, now);
    return {
      sha256: stored.sha256,
      organizationId: directory.organizationId,
      systemId: stored.systemId,
      roles: [...stored.roles],
    };
  }
}

export type AdministeredOrganization = NonNullable<
  Awaited<ReturnType<Administration['organization']>>
>;

function statementOf(change: SigningKeyChange, reason: string): SigningKeyStatement {
  return change.kind === 'register-signing-key'
    ? {
        statement: 'concord.signing-key-registration.v1',
        organizationId: change.organizationId,
        keyId: change.keyId,
        algorithm: 'Ed25519',
        publicKey: change.publicKey,
        validFrom: change.validFrom,
      }
    : {
        statement: 'concord.signing-key-revocation.v1',
        organizationId: change.organizationId,
        keyId: change.keyId,
        revokedAt: change.revokedAt,
        reason,
      };
}

/** Every administrative act is a person's, and says why. */
/**
 * What administration records meets the published schema of its type, as a partner's event
 * must: a malformed id, country or name is refused with where and why, never stored.
 */
function checkPublishedShape(command: { type: string; data: unknown }): void {
  if (!isEventType(command.type)) return;
  const checked = validateEventData(command.type, command.data);
  if (checked.ok) return;
  throw new ActRefusedError(
    'command.invalid',
    checked.errors.map((error) => error.message).join('; '),
  );
}

function checkReason(caller: Caller, reason: string): void {
  if (caller.kind !== 'person')
    throw new ActRefusedError('act.person-required', 'Only a person administers; systems cannot.');
  if (reason.trim() === '')
    throw new ActRefusedError('administration.reason-required', 'State why.');
}

/**
 * Who acts: a person (a system administers nothing). An operator acts for the platform; anyone
 * else for their own organization, where the decider checks they administer it.
 */
function actorOf(caller: Caller): CommandMetadata['actor'] {
  // A partner system acts only by relaying a proof its organization signed (the decider
  // refuses it anything an administrator must do).
  if (caller.kind === 'system')
    return { personId: caller.systemId, organizationId: caller.organizationId, roles: [] };
  if (caller.organizationId === PLATFORM_ORGANIZATION_ID && !caller.roles.includes(OPERATOR_ROLE))
    throw new ActRefusedError(
      'administration.operator-required',
      `Platform staff administer with the ${OPERATOR_ROLE} role.`,
    );
  return {
    personId: caller.personId,
    organizationId: caller.organizationId,
    roles: [],
    ...(caller.name ? { printedName: caller.name } : {}),
  };
}

function commandOf(
  act: AdministrativeAct,
  reason: string,
  now: string,
  issued: ReturnType<typeof newApiKey> | undefined,
): Pick<OrganizationCommand, 'type' | 'data'> {
  const { organizationId } = act;
  switch (act.kind) {
    case 'register-organization':
      return {
        type: 'concord.organization.registered.v1',
        data: { organizationId, name: act.name, kind: act.organizationKind },
      };
    case 'appoint-administrator':
      return {
        type: 'concord.organization.administrator-appointed.v1',
        data: { organizationId, personId: act.personId, printedName: act.printedName },
      };
    case 'remove-administrator':
      return {
        type: 'concord.organization.administrator-removed.v1',
        data: { organizationId, personId: act.personId, reason },
      };
    case 'grant-role':
      return {
        type: 'concord.organization.role-granted.v1',
        data: {
          organizationId,
          personId: act.personId,
          printedName: act.printedName,
          role: act.role,
        },
      };
    case 'revoke-role':
      return {
        type: 'concord.organization.role-revoked.v1',
        data: { organizationId, personId: act.personId, role: act.role, reason },
      };
    case 'register-partner-system':
      return {
        type: 'concord.organization.partner-system-registered.v1',
        data: { organizationId, systemId: act.systemId, name: act.name },
      };
    case 'register-site':
      return {
        type: 'concord.organization.site-registered.v1',
        data: { organizationId, siteId: act.siteId, name: act.name, country: act.country },
      };
    case 'register-product':
      return {
        type: 'concord.organization.product-registered.v1',
        data: { organizationId, productId: act.productId, name: act.name },
      };
    case 'issue-api-key':
      return {
        type: 'concord.organization.api-key-issued.v1',
        data: {
          organizationId,
          systemId: act.systemId,
          keyId: issued!.keyId,
          sha256: issued!.sha256,
          roles: [...new Set(act.roles)],
          expiresAt: act.expiresAt,
        },
      };
    case 'revoke-api-key':
      return {
        type: 'concord.organization.api-key-revoked.v1',
        data: {
          organizationId,
          systemId: act.systemId,
          keyId: act.keyId,
          revokedAt: act.revokedAt ?? now,
          reason,
        },
      };
  }
}

/**
 * When each stored API key was last used, in the platform's SQL database: operational data, not
 * a record (it is not in the event store). Written at most once a minute per key and process,
 * and never in the way of the request that used the key.
 */
class ApiKeyUsage {
  readonly #db: SqlDatabase;
  readonly #written = new Map<string, number>();

  constructor(db: SqlDatabase) {
    this.#db = db;
  }

  used(organizationId: string, keyId: string, at: Date): void {
    const name = `${organizationId}/${keyId}`;
    if (at.getTime() - (this.#written.get(name) ?? 0) < 60_000) return;
    this.#written.set(name, at.getTime());
    this.#db
      .query(
        `insert into api_key_use (organization_id, key_id, last_used_at) values ($1, $2, $3)
         on conflict (organization_id, key_id)
         do update set last_used_at = greatest(api_key_use.last_used_at, excluded.last_used_at)`,
        [organizationId, keyId, at.toISOString()],
      )
      .catch(() => this.#written.delete(name));
  }

  async lastUse(organizationId: string): Promise<Map<string, Date>> {
    const { rows } = await this.#db.query<{ key_id: string; last_used_at: Date | string }>(
      'select key_id, last_used_at from api_key_use where organization_id = $1',
      [organizationId],
    );
    return new Map(rows.map((row) => [row.key_id, new Date(row.last_used_at)]));
  }
}

export type { OrganizationDirectory };
