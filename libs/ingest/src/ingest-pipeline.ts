import { createHash } from 'node:crypto';
import {
  canonicalJson,
  verifyEventSignatureAsync,
  type ClaimedIdentity,
  type ConcordEvent,
  type EventValidationResult,
  type ValidationError,
} from '@concord/contract';
import {
  batchDecider,
  deviationDecider,
  isDomainError,
  keyValidAt,
  assertInOwnNamespace,
  assertSubjectKnownTo,
  unknownSubject,
  type Actor,
  type AgreementVersion,
  type AuthorizationSubject,
  type BatchCommand,
  type CommandMetadata,
  type DeviationCommand,
  type NamedSubject,
  type OrganizationDirectory,
  type Role,
  type SubjectParties,
} from '@concord/domain';
import {
  ConcurrencyError,
  EventIdConflictError,
  InvalidAppendError,
  type EventStore,
  type JsonObject,
} from '@concord/event-store';
import {
  contextOf,
  linksTo,
  SpanKind,
  SpanStatusCode,
  traceparentOf,
  tracer,
} from '@concord/telemetry';
import { RECEIPT_FORMAT, type SignedReceipt } from '@concord/verifier';
import {
  decideAcrossStreams,
  streamJob,
  StreamStateCache,
  type StreamCommand,
  type RecordedPlaces,
  type StreamCommandResult,
  type StreamJob,
} from './command-handler.ts';
import { outcomeKeyString, type OutcomeKey, type OutcomeLog } from './outcome-log.ts';
import {
  INGEST_REJECTION_CODES,
  type IngestRejectionCode,
  type Outcome,
  type ReceiptSigner,
  type Rejection,
} from './outcome.ts';
import { Registry, streams } from './registry.ts';

/** An event as it arrived: on whose channel (topic or authenticated HTTP caller) and decoded how. */
export interface IncomingEvent {
  /** The organization whose channel carried it: `concord.in.<org>`, or the HTTP caller's. */
  channelOrganizationId: string;
  decoded: EventValidationResult;
  /**
   * The W3C `traceparent` the transport received with it (a Kafka or HTTP header), if any: its
   * ingest span continues that trace, and the stored event carries the span's own.
   */
  traceparent?: string;
}

export interface IngestPipelineOptions {
  store: EventStore;
  /**
   * Where every answer is kept (`sqlOutcomeLog` on a server or PGlite): a redelivered event gets
   * the answer it got the first time, and an event once rejected is never decided again.
   */
  outcomes: OutcomeLog;
  /** The platform's clock (recorded-at, received-at). @default () => new Date() */
  clock?: () => Date;
  /**
   * How far ahead of the platform's clock a partner's `time` may be.
   * @default DEFAULT_CLOCK_TOLERANCE_MS (5 minutes)
   */
  clockToleranceMs?: number;
  /**
   * Signs a receipt for every answer, as the platform (`receiptSigner(key)` of
   * `@concord/evidence`): an accepted event's names its stored hash and global position, a
   * refusal's its code and the digest of what was refused. A receipt is made once, when the
   * answer is first given, kept with the answer in the outcome log and given again on every
   * redelivery. A refusal that is not on record (unreadable input, which has no source + id to
   * key it; a clash with another event's answer on record) is signed each time it is given.
   * Answers recorded before receipts existed are given again without one.
   * @default no receipts
   */
  receipts?: ReceiptSigner;
}

/** The organization an event claims to come from, and its key the event names, both registered. */
interface ClaimedSigner {
  directory: OrganizationDirectory;
  keyId: string;
  key: NonNullable<ReturnType<typeof keyValidAt>>;
}

/** A validated event as the pipeline reads it: its attributes, and its data as a JSON object. */
type StructuredEvent = Omit<ConcordEvent, 'data'> &
  Record<string, unknown> & {
    data: Record<string, unknown>;
  };

const structured = ({ data, ...attributes }: ConcordEvent): StructuredEvent => ({
  ...attributes,
  data: { ...data },
});

/** The id an event is stored under: one per (source, id), so a redelivery maps to the same id. */
export function storedEventId(source: string, id: string): string {
  return `ev-${createHash('sha256').update(`${source}\u0000${id}`).digest('hex').slice(0, 40)}`;
}

const STORED_ID = /^ev-[0-9a-f]{40}(:.+)?$/;

/**
 * A partner names the event it corrects by the id it sent it with, from the same source; the
 * platform's own events (an OOS investigation, a late-notification flag) by the id they carry on
 * the outbound topics. Returns the correction's data with the stored id, or undefined when the
 * event is not a correction.
 */
function resolvedCorrection(event: StructuredEvent): Record<string, unknown> | undefined {
  if (event.type !== 'concord.correction.recorded.v1') return undefined;
  const named = String(event.data.correctedEventId);
  const correctedEventId = STORED_ID.test(named) ? named : storedEventId(event.source, named);
  return { ...event.data, correctedEventId };
}

class Refusal extends Error {
  readonly code: string;
  readonly path?: string;
  constructor(code: IngestRejectionCode, message?: string, path?: string) {
    super(message ?? INGEST_REJECTION_CODES[code]);
    this.code = code;
    this.path = path;
  }
}

/** A decoded event's key in the outcome log and the digest of its whole signed content. */
interface Identity {
  key: OutcomeKey;
  digest: string;
  event: StructuredEvent;
}

const digests = new WeakMap<StructuredEvent, string>();

/** SHA-256 (hex) of the event's whole signed content, as sent (computed once per event). */
function digestOf(event: StructuredEvent): string {
  let digest = digests.get(event);
  if (digest === undefined) {
    digest = createHash('sha256').update(canonicalJson(event)).digest('hex');
    digests.set(event, digest);
  }
  return digest;
}

function identityOf(incoming: IncomingEvent): Identity | undefined {
  if (!incoming.decoded.ok) return undefined;
  const event = structured(incoming.decoded.event);
  return {
    key: {
      channelOrganizationId: incoming.channelOrganizationId,
      source: event.source,
      id: event.id,
    },
    digest: digestOf(event),
    event,
  };
}

/** An answer given again: an accepted event is now a redelivery; a rejection is word for word. */
const answerAgain = (outcome: Outcome): Outcome =>
  outcome.status === 'accepted' ? { ...outcome, duplicate: true } : outcome;

const idConflict = (event: StructuredEvent) =>
  new Refusal(
    'event.id-conflict',
    `${event.source} already sent a different event with the id ${event.id}; a new event needs a new id.`,
    '/id',
  );

/** The refusal of content whose source + id another event had already taken. */
const isClashRefusal = (outcome: Outcome) =>
  outcome.status === 'rejected' && outcome.rejection.code === 'event.id-conflict';

/** A failure of the record itself, which retrying cannot cure (as opposed to the database's). */
function recordFault(error: unknown): Refusal | undefined {
  if (error instanceof EventIdConflictError)
    return new Refusal(
      'event.id-conflict',
      'The source and id were already used for a different event; a new event needs a new id.',
      '/id',
    );
  if (error instanceof InvalidAppendError)
    return new Refusal('event.unstorable', `The event cannot be stored: ${error.message}`);
  return undefined;
}

const validationCode = (error: ValidationError): IngestRejectionCode => {
  switch (error.code) {
    case 'too-large':
      return 'event.too-large';
    case 'too-many-headers':
      return 'transport.too-many-headers';
    case 'unknown-type':
      return 'event.unknown-type';
    case 'undecodable':
    case 'missing-data':
      return 'transport.undecodable';
    case 'unsupported-content-type':
      return 'transport.unsupported-content-type';
    default:
      return error.path.startsWith('/data') ? 'event.invalid-data' : 'event.invalid-envelope';
  }
};

/**
 * What one batch of events needs from other streams, read once per batch and completed by the
 * batch's own events (a batch scheduled earlier in the same batch is known to later events).
 */
class BatchFacts {
  readonly #registry: Registry;
  readonly #memo = new Map<string, Promise<unknown>>();
  readonly #scheduled = new Map<string, AuthorizationSubject>();
  readonly #reported = new Map<string, string>();

  constructor(registry: Registry) {
    this.#registry = registry;
  }

  #once<T>(key: string, load: () => Promise<T>): Promise<T> {
    let value = this.#memo.get(key) as Promise<T> | undefined;
    if (!value) {
      value = load();
      this.#memo.set(key, value);
    }
    return value;
  }

  organization(id: string): Promise<OrganizationDirectory | undefined> {
    return this.#once(`org:${id}`, () => this.#registry.organization(id));
  }

  #agreementHistory(agreementId: string) {
    return this.#once(`agreement:${agreementId}`, () =>
      this.#registry.agreementHistory(agreementId),
    );
  }

  agreementAt(agreementId: string, at: string): Promise<AgreementVersion | undefined> {
    return this.#agreementHistory(agreementId).then((history) => history.at(at));
  }

  agreementParties(agreementId: string): Promise<SubjectParties | undefined> {
    return this.#agreementHistory(agreementId).then((history) => history.parties);
  }

  async batchParties(batchId: string): Promise<AuthorizationSubject | undefined> {
    return (
      this.#scheduled.get(batchId) ??
      this.#once(`batch:${batchId}`, () => this.#registry.batchParties(batchId))
    );
  }

  async deviationAgreement(deviationId: string): Promise<string | undefined> {
    return (
      this.#reported.get(deviationId) ??
      this.#once(`deviation:${deviationId}`, () => this.#registry.deviationAgreement(deviationId))
    );
  }

  /**
   * Starts reading the facts deciding a call's events will ask for (each sender's directory,
   * each batch's or deviation's parties, their agreement), so that they are read side by side
   * instead of one after another as the events are routed in order. Only reads, of what is
   * stored: what they answer is used, and refused, exactly as when asked for later; a read that
   * fails fails that event's turn as before. A batch or deviation the call itself opens is not
   * looked up (routing takes its parties from its first event, once that event is allowed).
   */
  prefetch(events: readonly { event: StructuredEvent; channelOrg: string }[]): void {
    const settled = (read: Promise<unknown> | undefined) => void read?.catch(() => undefined);
    const agreement = (agreementId: unknown) =>
      typeof agreementId === 'string' ? this.#agreementHistory(agreementId) : undefined;
    const opens = (event: StructuredEvent) =>
      event.type === 'concord.batch.scheduled.v1' || event.type === 'concord.deviation.reported.v1';
    const opened = new Set(events.flatMap(({ event }) => (opens(event) ? [event.subject] : [])));
    for (const { event, channelOrg } of events) {
      settled(this.organization(channelOrg));
      if (opens(event)) settled(agreement((event.data as Record<string, unknown>).agreementId));
      else if (opened.has(event.subject)) continue;
      else if (event.type.startsWith('concord.batch.'))
        settled(
          this.batchParties(event.subject).then((parties) => agreement(parties?.agreementId)),
        );
      else if (event.type.startsWith('concord.deviation.'))
        settled(this.deviationAgreement(event.subject).then(agreement));
    }
  }

  scheduled(batchId: string, parties: AuthorizationSubject): void {
    if (!this.#scheduled.has(batchId)) this.#scheduled.set(batchId, parties);
  }

  reported(deviationId: string, agreementId: string): void {
    if (!this.#reported.has(deviationId)) this.#reported.set(deviationId, agreementId);
  }
}

/** An event routed to its stream, as the command its aggregate's decider takes. */
type Routed = { index: number; event: StructuredEvent; streamId: string } & (
  | { aggregate: 'batch'; command: StreamCommand<BatchCommand> }
  | { aggregate: 'deviation'; command: StreamCommand<DeviationCommand> }
);

/**
 * The work of one stream's group: its commands under its aggregate's decider (a stream holds one
 * aggregate's events, so every command of a group is of the same kind as the first).
 */
function jobOf(group: readonly Routed[]): StreamJob {
  const { streamId } = group[0]!;
  const batches = group.flatMap((routed) => (routed.aggregate === 'batch' ? [routed.command] : []));
  const deviations = group.flatMap((routed) =>
    routed.aggregate === 'deviation' ? [routed.command] : [],
  );
  if (batches.length > 0 && deviations.length > 0)
    throw new Error(`defect: stream ${streamId} holds more than one aggregate`);
  return batches.length > 0
    ? streamJob({ streamId, decider: batchDecider, commands: batches })
    : streamJob({ streamId, decider: deviationDecider, commands: deviations });
}

/**
 * The front door. For each event: validated envelope and data → the sender proven (channel,
 * source, actor organization and Ed25519 signature all agree) → the actor's roles → routed to
 * its stream with the facts the domain needs → decided and appended exactly once → an outcome.
 * Every failure becomes a rejection with a stable code; only infrastructure errors throw.
 *
 * Events are taken in batches: the facts from other streams are read once per batch, every stream
 * of the batch is caught up in one read, its events decided in arrival order, and everything
 * decided appended in one `appendMany` (one transaction), so a batch costs a handful of round
 * trips whatever the number of streams in it. A stream that moved meanwhile is decided again on
 * its own; a record the store refuses makes the batch go stream by stream to isolate it.
 */
export class IngestPipeline {
  readonly #store: EventStore;
  readonly #outcomes: OutcomeLog;
  readonly #registry: Registry;
  readonly #clock: () => Date;
  readonly #clockToleranceMs: number | undefined;
  readonly #receipts: ReceiptSigner | undefined;
  readonly #streamStates = new StreamStateCache();
  /** Receipts being signed (on the thread pool) for outcomes of the batches in progress. */
  readonly #signing = new WeakMap<Outcome, Promise<SignedReceipt>>();

  constructor(options: IngestPipelineOptions) {
    this.#store = options.store;
    this.#outcomes = options.outcomes;
    this.#registry = new Registry(options.store);
    this.#clock = options.clock ?? (() => new Date());
    this.#clockToleranceMs = options.clockToleranceMs;
    this.#receipts = options.receipts;
  }

  async ingest(incoming: IncomingEvent): Promise<Outcome> {
    const [outcome] = await this.ingestMany([incoming]);
    return outcome!;
  }

  /**
   * Outcomes in the order of `items`; events about one stream are decided in that order. An event
   * answered before gets that answer again; every new answer is on record before this resolves.
   * Throws only when the infrastructure fails (or on a defect): then nothing new was answered.
   */
  async ingestMany(items: readonly IncomingEvent[]): Promise<Outcome[]> {
    // One span per event, in the trace its sender started (if it said so); the stored event
    // carries it on, to the projector and the subscribers it reaches.
    const spans = items.map((incoming) =>
      tracer.startSpan(
        'concord.ingest',
        {
          kind: SpanKind.CONSUMER,
          attributes: { 'concord.channel.organization': incoming.channelOrganizationId },
        },
        contextOf(incoming.traceparent),
      ),
    );
    try {
      const outcomes = await this.#ingestMany(items, spans.map(traceparentOf));
      for (const [index, span] of spans.entries()) {
        const outcome = outcomes[index]!;
        span.setAttribute('concord.outcome', outcome.status);
        if (outcome.status === 'accepted') span.setAttribute('concord.event.id', outcome.eventId);
        else if (outcome.status === 'rejected')
          span.setAttribute('concord.rejection.code', outcome.rejection.code);
      }
      return outcomes;
    } catch (error) {
      for (const span of spans)
        span.setStatus({ code: SpanStatusCode.ERROR, message: String(error) });
      throw error;
    } finally {
      for (const span of spans) span.end();
    }
  }

  async #ingestMany(
    items: readonly IncomingEvent[],
    traceparents: readonly (string | undefined)[],
  ): Promise<Outcome[]> {
    const receivedAt = this.#clock().toISOString();
    const facts = new BatchFacts(this.#registry);
    const outcomes: Outcome[] = new Array(items.length);
    const byStream = new Map<string, Routed[]>();
    const toAuthenticate: {
      index: number;
      event: StructuredEvent;
      organizationId: string;
      signer: ClaimedSigner;
      verified: Promise<boolean>;
    }[] = [];

    const identities = items.map((incoming) => identityOf(incoming));
    facts.prefetch(
      identities.flatMap((identity, index) =>
        identity
          ? [{ event: identity.event, channelOrg: items[index]!.channelOrganizationId }]
          : [],
      ),
    );
    const onRecord = await this.#outcomes.find(
      identities.flatMap((identity) => (identity ? [identity.key] : [])),
    );
    for (const [index, incoming] of items.entries()) {
      const organizationId = incoming.channelOrganizationId;
      if (!incoming.decoded.ok) {
        const rejection = this.#invalid(
          incoming.decoded.errors,
          receivedAt,
          incoming.decoded.claimed,
        );
        outcomes[index] = this.#refusal(organizationId, rejection);
        continue;
      }
      const identity = identities[index]!;
      const { event } = identity;
      const answered = onRecord.get(outcomeKeyString(identity.key));
      if (answered?.digest === identity.digest) {
        outcomes[index] = answerAgain(answered.outcome);
        continue;
      }
      if (answered && !isClashRefusal(answered.outcome)) {
        outcomes[index] = this.#rejected(idConflict(event), event, organizationId, receivedAt);
        continue;
      }
      // Nothing on record for this content, or only the refusal of a clash: the answer on record
      // then belongs to other content that was refused because this source + id was already
      // taken, possibly by this very event, stored but its answer lost (an instance stopped
      // between the append and the record). The store settles it: deciding again answers the
      // stored original as a redelivery and any other content as the clash.

      try {
        const signer = await this.#claimedSigner(event, organizationId, facts, receivedAt);
        // Verified on the thread pool, all of the batch at once; answered in order below.
        const verified = verifyEventSignatureAsync(event, signer.key.publicKey);
        toAuthenticate.push({ index, event, organizationId, signer, verified });
      } catch (error) {
        outcomes[index] = this.#rejected(error, event, organizationId, receivedAt);
      }
    }
    for (const { index, event, organizationId, signer, verified } of toAuthenticate) {
      try {
        const actor = this.#actor(event, organizationId, signer, await verified);
        const routed = await this.#route(
          index,
          event,
          actor,
          receivedAt,
          facts,
          traceparents[index],
        );
        byStream.set(routed.streamId, [...(byStream.get(routed.streamId) ?? []), routed]);
      } catch (error) {
        outcomes[index] = this.#rejected(error, event, organizationId, receivedAt);
      }
    }

    const groups = [...byStream.values()];
    let results: StreamCommandResult[][] | undefined;
    const appending = tracer.startSpan('concord.store.append', {
      links: linksTo(traceparents),
      attributes: { 'concord.streams': groups.length },
    });
    try {
      results = await decideAcrossStreams(this.#store, groups.map(jobOf), this.#streamStates);
    } catch (error) {
      if (!recordFault(error)) {
        appending.setStatus({ code: SpanStatusCode.ERROR, message: String(error) });
        throw error;
      }
      // Something in the batch is at fault, not the database: stream by stream, isolating it.
    } finally {
      appending.end();
    }
    if (results) {
      for (const [k, group] of groups.entries())
        this.#answerGroup(group, results[k]!, items, outcomes, receivedAt);
    } else {
      for (const group of groups) await this.#decideAndAppend(group, items, outcomes, receivedAt);
    }
    await this.#withReceipts(outcomes);
    await this.#keepAnswers(identities, onRecord, outcomes, receivedAt);
    await this.#withReceipts(outcomes); // refusals of a repeated id found while keeping answers
    return outcomes;
  }

  /**
   * Puts this batch's new answers on record. Another instance handling the same records (a
   * rebalance, a second group) may have answered first: its answer is the one on record, and the
   * one given.
   */
  async #keepAnswers(
    identities: readonly (Identity | undefined)[],
    answeredBefore: Map<string, unknown>,
    outcomes: Outcome[],
    receivedAt: string,
  ) {
    const fresh = identities.flatMap((identity, index) =>
      identity && !answeredBefore.has(outcomeKeyString(identity.key)) ? [{ index, identity }] : [],
    );
    if (fresh.length === 0) return;
    const onRecord = await this.#outcomes.record(
      fresh.map(({ index, identity }) => ({
        key: identity.key,
        digest: identity.digest,
        outcome: outcomes[index]!,
      })),
    );
    for (const { index, identity } of fresh) {
      const answered = onRecord.get(outcomeKeyString(identity.key));
      if (!answered) continue;
      const { event } = identity;
      if (answered.digest !== identity.digest) {
        // The same source + id twice in one batch with other content: the first is the event.
        outcomes[index] = this.#rejected(
          idConflict(event),
          event,
          identity.key.channelOrganizationId,
          receivedAt,
        );
      } else if (
        answered.outcome.status !== outcomes[index]!.status ||
        answered.outcome.receipt?.signature !== outcomes[index]!.receipt?.signature
      ) {
        // Another instance answered first: its answer, receipt included, is the one on record.
        outcomes[index] = answerAgain(answered.outcome);
      }
    }
  }

  /**
   * Decides and appends one stream's events. A fault of a record rather than of the database (an
   * id already used elsewhere, content PostgreSQL refuses) is isolated: the events are retried one
   * by one, and the one at fault is rejected; the others are recorded.
   */
  async #decideAndAppend(
    group: Routed[],
    items: readonly IncomingEvent[],
    outcomes: Outcome[],
    receivedAt: string,
  ): Promise<void> {
    let results;
    try {
      [results] = await decideAcrossStreams(this.#store, [jobOf(group)], this.#streamStates);
    } catch (error) {
      const refusal = recordFault(error);
      if (!refusal) throw error;
      if (group.length === 1) {
        const { index, event } = group[0]!;
        const organizationId = items[index]!.channelOrganizationId;
        outcomes[index] = this.#rejected(refusal, event, organizationId, receivedAt);
        return;
      }
      for (const routed of group)
        await this.#decideAndAppend([routed], items, outcomes, receivedAt);
      return;
    }
    this.#answerGroup(group, results!, items, outcomes, receivedAt);
  }

  /** The outcomes of one stream's events, from what deciding and appending them came to. */
  #answerGroup(
    group: readonly Routed[],
    results: readonly StreamCommandResult[],
    items: readonly IncomingEvent[],
    outcomes: Outcome[],
    receivedAt: string,
  ): void {
    const { streamId } = group[0]!;
    for (const [k, result] of results.entries()) {
      const { index, event } = group[k]!;
      const organizationId = items[index]!.channelOrganizationId;
      if (result.status === 'refused') {
        outcomes[index] = this.#rejected(result.error, event, organizationId, receivedAt);
        continue;
      }
      const accepted: Extract<Outcome, { status: 'accepted' }> = {
        status: 'accepted',
        id: event.id,
        source: event.source,
        eventId: group[k]!.command.eventId,
        streamId,
        positions: result.positions,
        recordedTypes: result.status === 'recorded' ? result.types : [],
        duplicate: result.status === 'duplicate',
        organizationId,
      };
      const receipt = this.#acceptedReceipt(accepted, digestOf(event), result, receivedAt);
      if (receipt) this.#signing.set(accepted, receipt);
      outcomes[index] = accepted;
    }
  }

  /** The signed receipt of an acceptance: the event and what was derived, as stored. */
  #acceptedReceipt(
    outcome: Extract<Outcome, { status: 'accepted' }>,
    digest: string,
    stored: RecordedPlaces,
    receivedAt: string,
  ): Promise<SignedReceipt> | undefined {
    if (!this.#receipts) return undefined;
    if (stored.ids.length === 0)
      throw new Error(`defect: no stored events are known for ${outcome.eventId}`);
    return this.#receipts.sign({
      format: RECEIPT_FORMAT,
      status: 'accepted',
      organizationId: outcome.organizationId,
      source: outcome.source,
      id: outcome.id,
      digest,
      eventId: outcome.eventId,
      streamId: outcome.streamId,
      events: stored.ids.map((eventId, k) => ({
        eventId,
        type: stored.types[k]!,
        globalPosition: String(stored.positions[k]!),
        hash: stored.hashes[k]!,
      })),
      receivedAt,
      recordedAt: stored.recordedAt,
      logOrigin: this.#receipts.logOrigin,
      issuedAt: this.#clock().toISOString(),
    });
  }

  /** A refusal, with its signed receipt when the pipeline signs. */
  #refusal(organizationId: string, rejection: Rejection, digest?: string): Outcome {
    const outcome: Outcome = { status: 'rejected', organizationId, rejection };
    if (!this.#receipts) return outcome;
    const receipt = this.#receipts.sign({
      format: RECEIPT_FORMAT,
      status: 'rejected',
      organizationId,
      source: rejection.rejectedEventSource,
      id: rejection.rejectedEventId,
      ...(rejection.rejectedEventType ? { type: rejection.rejectedEventType } : {}),
      ...(digest ? { digest } : {}),
      code: rejection.code,
      message: rejection.message,
      receivedAt: rejection.receivedAt,
      issuedAt: this.#clock().toISOString(),
    });
    this.#signing.set(outcome, receipt);
    return outcome;
  }

  /** The outcomes with the receipts signed for them meanwhile. */
  async #withReceipts(outcomes: Outcome[]): Promise<void> {
    await Promise.all(
      outcomes.map(async (outcome, index) => {
        const receipt = this.#signing.get(outcome);
        if (receipt) outcomes[index] = { ...outcome, receipt: await receipt };
      }),
    );
  }

  #rejected(
    error: unknown,
    event: StructuredEvent,
    organizationId: string,
    receivedAt: string,
  ): Outcome {
    const refusal = this.#refusalOf(error);
    if (!refusal) throw error;
    const rejection: Rejection = {
      rejectedEventId: event.id,
      rejectedEventSource: event.source,
      rejectedEventType: event.type,
      code: refusal.code,
      message: refusal.message,
      ...(refusal.path ? { path: refusal.path } : {}),
      receivedAt,
    };
    return this.#refusal(organizationId, rejection, digestOf(event));
  }

  #invalid(
    errors: readonly ValidationError[],
    receivedAt: string,
    claimed: ClaimedIdentity | undefined,
  ): Rejection {
    const first = errors[0] ?? { path: '', code: 'invalid', message: 'The event is invalid.' };
    return {
      rejectedEventId: claimed?.id ?? '',
      rejectedEventSource: claimed?.source ?? '',
      ...(claimed?.type ? { rejectedEventType: claimed.type } : {}),
      code: validationCode(first as ValidationError),
      message: first.message,
      path: first.path,
      errors: errors.slice(0, 100).map(({ path, code, message }) => ({ path, code, message })),
      receivedAt,
    };
  }

  #refusalOf(error: unknown): { code: string; message: string; path?: string } | undefined {
    if (error instanceof Refusal) return error;
    if (isDomainError(error)) return { code: error.code, message: error.message };
    if (error instanceof ConcurrencyError) return new Refusal('store.conflict');
    return undefined;
  }

  /**
   * The channel, the source, the claimed organization and the key must all agree: the registered
   * key the event claims to be signed with, valid when it was made and when it was received.
   * Whether the signature verifies with it is checked next, for the whole batch at once.
   */
  async #claimedSigner(
    event: StructuredEvent,
    channelOrg: string,
    facts: BatchFacts,
    receivedAt: string,
  ): Promise<ClaimedSigner> {
    if (!event.source.startsWith(`urn:concord:${channelOrg}:`)) {
      throw new Refusal(
        'sender.forged-source',
        `The source ${event.source} is not one of ${channelOrg}'s (expected urn:concord:${channelOrg}:<system>).`,
        '/source',
      );
    }
    if (event.actororg !== channelOrg) {
      throw new Refusal(
        'sender.organization-mismatch',
        `The event claims organization ${event.actororg} but came from ${channelOrg}.`,
        '/actororg',
      );
    }
    const directory = await facts.organization(channelOrg);
    if (!directory)
      throw new Refusal('sender.unknown-organization', `${channelOrg} is not registered.`);
    const keyId = event.signaturekeyid;
    if (typeof event.signature !== 'string' || typeof keyId !== 'string') {
      throw new Refusal(
        'sender.unsigned',
        'The event carries no signature and signaturekeyid.',
        '/signature',
      );
    }
    const key = keyValidAt(directory, keyId, event.time);
    const known = directory.keys.get(keyId);
    // A revoked key is named as revoked, whichever instant it is judged at.
    if (
      !key &&
      known?.revokedAt !== undefined &&
      Date.parse(known.revokedAt) <= Date.parse(event.time)
    ) {
      throw new Refusal(
        'sender.signing-key-revoked',
        `Key ${keyId} of ${channelOrg} was revoked at ${known.revokedAt}, before the event's time (${event.time}).`,
        '/signaturekeyid',
      );
    }
    if (!key) {
      throw new Refusal(
        'sender.unknown-signing-key',
        `Key ${keyId} is not a key of ${channelOrg} valid at ${event.time}.`,
        '/signaturekeyid',
      );
    }
    // A key revoked before the event reached Concord signs nothing received after: a backdated
    // event cannot borrow the validity its claimed time would give it.
    if (!keyValidAt(directory, keyId, receivedAt)) {
      throw key.revokedAt !== undefined && Date.parse(key.revokedAt) <= Date.parse(receivedAt)
        ? new Refusal(
            'sender.signing-key-revoked',
            `Key ${keyId} of ${channelOrg} was revoked at ${key.revokedAt}, before this event was received (${receivedAt}).`,
            '/signaturekeyid',
          )
        : new Refusal(
            'sender.unknown-signing-key',
            `Key ${keyId} is not a key of ${channelOrg} valid at ${receivedAt}, when the event was received.`,
            '/signaturekeyid',
          );
    }
    return { directory, keyId, key };
  }

  /** The person who acted, once the signature is known to verify with the claimed key. */
  #actor(
    event: StructuredEvent,
    channelOrg: string,
    { directory, keyId }: ClaimedSigner,
    signatureVerifies: boolean,
  ): Actor {
    if (!signatureVerifies) {
      throw new Refusal(
        'sender.invalid-signature',
        `The signature does not verify with key ${keyId}.`,
        '/signature',
      );
    }
    const person = directory.people.get(event.actorid);
    if (!person || person.roles.size === 0) {
      throw new Refusal(
        'sender.unknown-person',
        `${event.actorid} holds no role at ${channelOrg}.`,
        '/actorid',
      );
    }
    // The registered facts travel with the claims; the domain judges the claims against them.
    return {
      personId: event.actorid,
      organizationId: channelOrg,
      roles: [...person.roles] as Role[],
      printedName: person.printedName,
      ...(typeof event.actorrole === 'string' ? { role: event.actorrole as Role } : {}),
    };
  }

  /** The stream an event belongs to, its decider, and its command with the facts it needs. */
  async #route(
    index: number,
    event: StructuredEvent,
    actor: Actor,
    receivedAt: string,
    facts: BatchFacts,
    traceparent: string | undefined,
  ): Promise<Routed> {
    const eventId = storedEventId(event.source, event.id);
    const metadata: CommandMetadata = {
      eventId,
      source: event.source,
      actor,
      occurredAt: event.time,
      recordedAt: receivedAt,
      ...(typeof event.correlationid === 'string' ? { correlationId: event.correlationid } : {}),
      ...(typeof event.causationid === 'string' ? { causationId: event.causationid } : {}),
      signature: event.signature as string,
      signatureKeyId: event.signaturekeyid as string,
      ...(this.#clockToleranceMs !== undefined ? { clockToleranceMs: this.#clockToleranceMs } : {}),
    };
    // The partner's envelope, kept whole so its signature can be checked again later.
    const { data: _data, ...envelope } = event;
    const correction = resolvedCorrection(event);
    const extraMetadata: JsonObject = {
      envelope: envelope as JsonObject,
      ...(correction ? { correctedStoredEventId: String(correction.correctedEventId) } : {}),
      // The ingest span's trace context, for what follows from this event (W3C, not evidence).
      ...(traceparent ? { traceparent } : {}),
    };
    // The event validated against its published schema, so its type and data are those of one
    // of the aggregate's commands; the facts the decider needs come from the registry.
    const commandOf = <Command>(context: Record<string, unknown>): StreamCommand<Command> => ({
      eventId,
      extraMetadata,
      ...(correction ? { storedData: event.data as JsonObject } : {}),
      command: { type: event.type, data: correction ?? event.data, metadata, context } as Command,
    });

    const aggregate = await this.#aggregateOf(event, facts);
    const actorOrg = actor.organizationId;
    // The kind the event's type names, so that the answer depends on nothing but the claim.
    const named = (id: string): NamedSubject => ({
      kind: event.type === 'concord.correction.recorded.v1' ? 'either' : aggregate,
      id,
    });
    if (aggregate === 'batch') {
      const batchId = event.subject;
      if (event.type === 'concord.batch.scheduled.v1') {
        // Before anything is looked up, so that the answer cannot depend on what exists.
        assertInOwnNamespace(actorOrg, named(batchId));
        const { agreementId, productId, sponsorId, cdmoId } = event.data as Record<string, string>;
        facts.scheduled(batchId, {
          agreementId: agreementId!,
          productId: productId!,
          sponsorId: sponsorId!,
          cdmoId: cdmoId!,
        });
      }
      const parties = await facts.batchParties(batchId);
      assertSubjectKnownTo(actorOrg, named(batchId), parties);
      const { agreementId } = parties!;
      // Judged under the agreement in force when the act occurred and when it was received.
      const agreement = await facts.agreementAt(agreementId, event.time);
      const agreementAtReceipt = (await facts.agreementAt(agreementId, receivedAt)) ?? null;
      return {
        index,
        event,
        streamId: streams.batch(batchId),
        aggregate: 'batch',
        command: commandOf<BatchCommand>({ agreement, agreementAtReceipt }),
      };
    }

    const deviationId = event.subject;
    if (event.type === 'concord.deviation.reported.v1') {
      assertInOwnNamespace(actorOrg, named(deviationId));
      facts.reported(deviationId, String(event.data.agreementId));
    }
    const agreementId = await facts.deviationAgreement(deviationId);
    assertSubjectKnownTo(
      actorOrg,
      named(deviationId),
      agreementId === undefined ? undefined : await facts.agreementParties(agreementId),
    );
    if (agreementId === undefined) throw new Error('unreachable: an unknown subject is refused');
    const agreement = await facts.agreementAt(agreementId, event.time);
    const agreementAtReceipt = (await facts.agreementAt(agreementId, receivedAt)) ?? null;
    const linkedBatches: Record<string, AuthorizationSubject> = {};
    if (event.type === 'concord.deviation.reported.v1') {
      for (const batchId of event.data.linkedBatchIds as string[]) {
        const parties = await facts.batchParties(batchId);
        if (parties) linkedBatches[batchId] = parties;
      }
    }
    return {
      index,
      event,
      streamId: streams.deviation(deviationId),
      aggregate: 'deviation',
      command: commandOf<DeviationCommand>({ agreement, agreementAtReceipt, linkedBatches }),
    };
  }

  /** Which aggregate an event is about; corrections go wherever their subject lives. */
  async #aggregateOf(event: StructuredEvent, facts: BatchFacts): Promise<'batch' | 'deviation'> {
    if (event.type.startsWith('concord.batch.')) return 'batch';
    if (event.type.startsWith('concord.deviation.')) return 'deviation';
    if (event.type === 'concord.correction.recorded.v1') {
      if (await facts.batchParties(event.subject)) return 'batch';
      if (await facts.deviationAgreement(event.subject)) return 'deviation';
      throw unknownSubject({ kind: 'either', id: event.subject });
    }
    throw new Refusal(
      'routing.platform-only',
      `Only the platform may emit ${event.type}.`,
      '/type',
    );
  }
}
