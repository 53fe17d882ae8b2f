import { randomUUID } from 'node:crypto';
import {
  AuthenticationError,
  inMemoryStepUpLedger,
  type Authenticator,
  type Caller,
  type StepUpLedger,
} from '@concord/auth';
import {
  assertRegisteredPrintedName,
  batchDecider,
  deviationDecider,
  isDomainError,
  signatureRules,
  toDomainEvent,
  type BatchCommandOf,
  type SignedEventType,
  type BatchEvent,
  type DeviationEvent,
  type CommandMetadata,
  type DeviationCommandOf,
  type ElectronicSignature,
  type Role,
  type SignatureMeaning,
} from '@concord/domain';
import type { EventStore } from '@concord/event-store';
import { decideStreamCommands, Registry, storedEventId, streams } from '@concord/ingest';

/** What the person signing states, plus the credential they re-entered for this signature. */
export interface SignatureInput {
  printedName: string;
  meaning: SignatureMeaning;
  reason: string;
  /** A step-up token from the identity provider, issued for e-signatures moments ago. */
  credential: string;
}

export type HumanAct =
  | { kind: 'approve-capa'; deviationId: string; capaId: string }
  | { kind: 'approve-deviation-closure'; deviationId: string }
  | {
      kind: 'record-disposition';
      batchId: string;
      decision: 'released' | 'rejected' | 'quarantined' | 'conditionally-released';
      conditions?: string;
    }
  | { kind: 'certify-batch'; batchId: string; registerEntryId: string };

/** A human act refused before the domain decided (who may sign, what may be seen). */
export class ActRefusedError extends Error {
  readonly code: string;

  constructor(code: string, message: string) {
    super(message);
    this.name = 'ActRefusedError';
    this.code = code;
  }
}

export interface RecordedAct {
  eventId: string;
  streamId: string;
  position: bigint;
  signature: ElectronicSignature;
}

/**
 * Human acts through the API (approve a CAPA or a deviation closure, record a disposition,
 * certify a batch) take the same path as partner events: the domain's decider, authorization by
 * the quality agreement in force, one append with the expected version. What the API adds is the
 * e-signature ceremony: a person (never a system) re-enters their credential, states their
 * printed name as registered, the meaning and the reason; the signature binds to the event.
 */
export class HumanActs {
  readonly #store: EventStore;
  readonly #registry: Registry;
  readonly #authenticator: Authenticator;
  readonly #clock: () => Date;
  readonly #stepUps: StepUpLedger;

  constructor(options: {
    store: EventStore;
    authenticator: Authenticator;
    clock?: () => Date;
    /** @default this process's memory */
    stepUps?: StepUpLedger;
  }) {
    this.#store = options.store;
    this.#registry = new Registry(options.store);
    this.#authenticator = options.authenticator;
    this.#clock = options.clock ?? (() => new Date());
    this.#stepUps = options.stepUps ?? inMemoryStepUpLedger();
  }

  async perform(caller: Caller, act: HumanAct, input: SignatureInput): Promise<RecordedAct> {
    if (caller.kind !== 'person')
      throw new ActRefusedError('act.person-required', 'Only a person can sign; systems cannot.');
    const subject = await this.#subject(caller.organizationId, act);
    let credential;
    try {
      credential = await this.#authenticator.verifyStepUp(input.credential, caller.personId);
    } catch (error) {
      if (error instanceof AuthenticationError)
        throw new ActRefusedError('signature.credential-refused', error.message);
      throw error;
    }
    const directory = await this.#registry.organization(caller.organizationId);
    const person = directory?.people.get(caller.personId);
    if (!person || person.roles.size === 0)
      throw new ActRefusedError(
        'signature.unknown-person',
        `${caller.personId} holds no role at ${caller.organizationId}.`,
      );
    // The ceremony answers a wrong name before anything is decided; the domain's rule, the same
    // one partner events meet, judges it.
    try {
      assertRegisteredPrintedName(input.printedName, person.printedName);
    } catch (error) {
      if (isDomainError(error)) throw new ActRefusedError(error.code, error.message);
      throw error;
    }
    if (input.reason.trim() === '')
      throw new ActRefusedError('signature.reason-required', 'State the reason for signing.');
    const now = this.#clock().toISOString();
    const eventId = storedEventId(apiSource(caller.organizationId), randomUUID());
    const signature: ElectronicSignature = {
      signerId: caller.personId,
      printedName: person.printedName,
      signedAt: now,
      meaning: input.meaning,
      reason: input.reason.trim(),
    };
    const metadata = commandMetadata(caller, person, eventId, now);
    // The re-entered credential signs this act and nothing else, even if the act is refused.
    if (!(await this.#stepUps.consume(credential)))
      throw new ActRefusedError(
        'signature.credential-used',
        'The re-entered credential has already signed an act; re-enter it for this signature.',
      );
    const agreement = await this.#registry.agreementAt(subject.agreementId, now);
    const recorded = eventOf(act, signature, now);
    const { streamId } = subject;
    const context = { agreement };
    // The evidence of the signing ceremony, stored with the act and so covered by the platform's
    // signature: which re-authentication it was (a digest of the step-up token, never the token)
    // and when it happened.
    const extraMetadata = {
      signingCeremony: {
        reauthenticationId: credential.id,
        reauthenticatedAt: credential.issuedAt.toISOString(),
      },
    };
    const [result] =
      recorded.aggregate === 'batch'
        ? await decideStreamCommands({
            store: this.#store,
            streamId,
            decider: batchDecider,
            commands: [
              { eventId, extraMetadata, command: { ...recorded.event, metadata, context } },
            ],
          })
        : await decideStreamCommands({
            store: this.#store,
            streamId,
            decider: deviationDecider,
            commands: [
              { eventId, extraMetadata, command: { ...recorded.event, metadata, context } },
            ],
          });
    if (!result || result.status === 'refused') throw result?.error ?? new Error('not recorded');
    return { eventId, streamId: subject.streamId, position: result.positions[0]!, signature };
  }

  /**
   * Which of `acts` (all about one batch or one deviation) the caller could sign now: each is
   * decided by the domain, as `perform` would decide it, against the record as it stands (its
   * authorization under the agreement in force, the lifecycle, the release rules), with the
   * meaning its signature rule asks for; nothing is recorded and no credential is used. What the
   * caller may not see, and anyone who is no registered person, can sign nothing.
   */
  async allowed(caller: Caller | undefined, acts: readonly HumanAct[]): Promise<boolean[]> {
    const none = acts.map(() => false);
    if (caller?.kind !== 'person' || acts.length === 0) return none;
    let subject;
    try {
      subject = await this.#subject(caller.organizationId, acts[0]!);
    } catch (error) {
      if (error instanceof ActRefusedError) return none;
      throw error;
    }
    const directory = await this.#registry.organization(caller.organizationId);
    const person = directory?.people.get(caller.personId);
    if (!person) return none;
    const now = this.#clock().toISOString();
    const metadata = commandMetadata(caller, person, 'viewer-can', now);
    const context = { agreement: await this.#registry.agreementAt(subject.agreementId, now) };
    // The stream is read and folded once; each act is decided against that state.
    const stored = await this.#store.readStream(subject.streamId);
    const fold = <State, Event extends BatchEvent | DeviationEvent>(decider: {
      evolve: (state: State, event: Event) => State;
      initialState: () => State;
    }) =>
      stored.reduce(
        (state, event) => decider.evolve(state, toDomainEvent<Event>(event)),
        decider.initialState(),
      );
    const isBatch = 'batchId' in acts[0]!;
    const batch = isBatch ? fold(batchDecider) : batchDecider.initialState();
    const deviation = isBatch ? deviationDecider.initialState() : fold(deviationDecider);
    return acts.map((act) => {
      const recorded = eventOf(act, dryRunSignature(act, caller.personId, person, now), now);
      try {
        if (recorded.aggregate === 'batch')
          batchDecider.decide({ ...recorded.event, metadata, context }, batch);
        else deviationDecider.decide({ ...recorded.event, metadata, context }, deviation);
        return true;
      } catch (error) {
        if (isDomainError(error)) return false;
        throw error;
      }
    });
  }

  /**
   * The stream an act is about, if the caller's organization is party to it. Anything else is
   * answered exactly like a subject that does not exist.
   */
  async #subject(organizationId: string, act: HumanAct) {
    const notFound = () =>
      new ActRefusedError(
        'act.unknown-subject',
        `No such ${'batchId' in act ? 'batch' : 'deviation'}.`,
      );
    if ('batchId' in act) {
      const parties = await this.#registry.batchParties(act.batchId);
      if (!parties || ![parties.sponsorId, parties.cdmoId].includes(organizationId))
        throw notFound();
      return {
        streamId: streams.batch(act.batchId),
        agreementId: parties.agreementId,
      };
    }
    const agreementId = await this.#registry.deviationAgreement(act.deviationId);
    const agreement = agreementId
      ? await this.#registry.agreementAt(agreementId, this.#clock().toISOString())
      : undefined;
    if (
      !agreementId ||
      !agreement ||
      ![agreement.sponsorId, agreement.cdmoId].includes(organizationId)
    )
      throw notFound();
    return {
      streamId: streams.deviation(act.deviationId),
      agreementId,
    };
  }
}

/** The source of the acts an organization's people sign through the API. */
const apiSource = (organizationId: string) => `urn:concord:${organizationId}:concord-api`;

/**
 * The actor of a command: the person signs in the roles the platform registered for them *and*
 * the session was issued with (someone registered as QA who signed in as an auditor does not
 * sign as QA).
 */
function commandMetadata(
  caller: Extract<Caller, { kind: 'person' }>,
  person: { printedName: string; roles: ReadonlySet<Role> },
  eventId: string,
  now: string,
): CommandMetadata {
  return {
    eventId,
    source: apiSource(caller.organizationId),
    actor: {
      personId: caller.personId,
      organizationId: caller.organizationId,
      roles: [...person.roles].filter((role) => caller.roles.includes(role)),
      printedName: person.printedName,
    },
    occurredAt: now,
    recordedAt: now,
  };
}

/** The event type each act records. */
const ACT_TYPES = {
  'approve-capa': 'concord.deviation.capa-approved.v1',
  'approve-deviation-closure': 'concord.deviation.closure-approved.v1',
  'record-disposition': 'concord.batch.disposition-recorded.v1',
  'certify-batch': 'concord.batch.qp-certified.v1',
} as const satisfies Record<HumanAct['kind'], SignedEventType>;

/** The signature a dry run signs with: the registered name and the meaning the act's rule asks. */
function dryRunSignature(
  act: HumanAct,
  signerId: string,
  person: { printedName: string },
  now: string,
): ElectronicSignature {
  return {
    signerId,
    printedName: person.printedName,
    signedAt: now,
    meaning: signatureRules[ACT_TYPES[act.kind]].meanings[0]!,
    reason: 'What the viewer could sign',
  };
}

/** The type and data of a command, without the metadata and facts added when it is decided. */
type ActEvent<Command> = Command extends { type: infer Type; data: infer Data }
  ? { type: Type; data: Data }
  : never;

type ActCommand =
  | {
      aggregate: 'batch';
      event: ActEvent<
        BatchCommandOf<'concord.batch.disposition-recorded.v1' | 'concord.batch.qp-certified.v1'>
      >;
    }
  | {
      aggregate: 'deviation';
      event: ActEvent<
        DeviationCommandOf<
          'concord.deviation.capa-approved.v1' | 'concord.deviation.closure-approved.v1'
        >
      >;
    };

function eventOf(act: HumanAct, signature: ElectronicSignature, now: string): ActCommand {
  switch (act.kind) {
    case 'approve-capa':
      return {
        aggregate: 'deviation',
        event: {
          type: ACT_TYPES['approve-capa'],
          data: { deviationId: act.deviationId, capaId: act.capaId, signature },
        },
      };
    case 'approve-deviation-closure':
      return {
        aggregate: 'deviation',
        event: {
          type: ACT_TYPES['approve-deviation-closure'],
          data: { deviationId: act.deviationId, signature },
        },
      };
    case 'record-disposition':
      return {
        aggregate: 'batch',
        event: {
          type: ACT_TYPES['record-disposition'],
          data: {
            batchId: act.batchId,
            decision: act.decision,
            ...(act.conditions ? { conditions: act.conditions } : {}),
            signature,
          },
        },
      };
    case 'certify-batch':
      return {
        aggregate: 'batch',
        event: {
          type: ACT_TYPES['certify-batch'],
          data: {
            batchId: act.batchId,
            registerEntryId: act.registerEntryId,
            certifiedAt: now,
            signature,
          },
        },
      };
  }
}
