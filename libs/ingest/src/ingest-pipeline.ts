import { createHash } from 'node:crypto';
import {
  verifyEventSignature,
  type EventValidationResult,
  type ValidationError,
} from '@concord/contract';
import {
  batchDecider,
  deviationDecider,
  isDomainError,
  type Actor,
  type BatchCommand,
  type CommandMetadata,
  type DeviationCommand,
  type Role,
} from '@concord/domain';
import { ConcurrencyError, type EventStore, type JsonObject } from '@concord/event-store';
import { handleCommand, type Decider, type HandleResult } from './command-handler.ts';
import { keyValidAt } from './organization-directory.ts';
import {
  INGEST_REJECTION_CODES,
  type IngestRejectionCode,
  type Outcome,
  type Rejection,
} from './outcome.ts';
import { Registry, streams } from './registry.ts';

/** An event as it arrived: on whose channel (topic or authenticated HTTP caller) and decoded how. */
export interface IncomingEvent {
  /** The organization whose channel carried it: `concord.in.<org>`, or the HTTP caller's. */
  channelOrganizationId: string;
  decoded: EventValidationResult;
}

export interface IngestPipelineOptions {
  store: EventStore;
  /** The platform's clock (recorded-at, received-at). @default () => new Date() */
  clock?: () => Date;
}

type StructuredEvent = Record<string, unknown> & {
  id: string;
  source: string;
  type: string;
  subject: string;
  time: string;
  actorid: string;
  actororg: string;
  data: Record<string, unknown>;
};

/** The id an event is stored under: one per (source, id), so a redelivery maps to the same id. */
export function storedEventId(source: string, id: string): string {
  return `ev-${createHash('sha256').update(`${source}\u0000${id}`).digest('hex').slice(0, 40)}`;
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

const validationCode = (error: ValidationError): IngestRejectionCode => {
  switch (error.code) {
    case 'too-large':
      return 'event.too-large';
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
 * The front door. For each event: validated envelope and data → the sender proven (channel,
 * source, actor organization and Ed25519 signature all agree) → the actor's roles → routed to
 * its stream with the facts the domain needs → decided and appended exactly once → an outcome.
 * Every failure becomes a rejection with a stable code; only infrastructure errors throw.
 */
export class IngestPipeline {
  readonly #store: EventStore;
  readonly #registry: Registry;
  readonly #clock: () => Date;

  constructor(options: IngestPipelineOptions) {
    this.#store = options.store;
    this.#registry = new Registry(options.store);
    this.#clock = options.clock ?? (() => new Date());
  }

  async ingest(incoming: IncomingEvent): Promise<Outcome> {
    const receivedAt = this.#clock().toISOString();
    const organizationId = incoming.channelOrganizationId;
    if (!incoming.decoded.ok) {
      return {
        status: 'rejected',
        organizationId,
        rejection: this.#invalid(incoming.decoded.errors, receivedAt),
      };
    }
    const event = incoming.decoded.event as unknown as StructuredEvent;
    try {
      const actor = await this.#authenticate(event, organizationId);
      const eventId = storedEventId(event.source, event.id);
      const { streamId, result } = await this.#record(event, actor, eventId, receivedAt);
      return {
        status: 'accepted',
        id: event.id,
        source: event.source,
        eventId,
        streamId,
        positions: result.positions,
        recordedTypes: result.duplicate ? [] : result.events.map((e) => e.type),
        duplicate: result.duplicate,
        organizationId,
      };
    } catch (error) {
      const refusal = this.#refusalOf(error);
      if (!refusal) throw error;
      return {
        status: 'rejected',
        organizationId,
        rejection: {
          rejectedEventId: event.id,
          rejectedEventSource: event.source,
          rejectedEventType: event.type,
          code: refusal.code,
          message: refusal.message,
          ...(refusal.path ? { path: refusal.path } : {}),
          receivedAt,
        },
      };
    }
  }

  #invalid(errors: readonly ValidationError[], receivedAt: string): Rejection {
    const first = errors[0] ?? { path: '', code: 'invalid', message: 'The event is invalid.' };
    return {
      rejectedEventId: '',
      rejectedEventSource: '',
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

  /** The channel, the source, the claimed organization and the signature must all agree. */
  async #authenticate(event: StructuredEvent, channelOrg: string): Promise<Actor> {
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
    const directory = await this.#registry.organization(channelOrg);
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
    if (!key) {
      throw new Refusal(
        'sender.unknown-signing-key',
        `Key ${keyId} is not a key of ${channelOrg} valid at ${event.time}.`,
        '/signaturekeyid',
      );
    }
    if (!verifyEventSignature(event, key.publicKey)) {
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
    return {
      personId: event.actorid,
      organizationId: channelOrg,
      roles: [...person.roles] as Role[],
    };
  }

  async #record(
    event: StructuredEvent,
    actor: Actor,
    eventId: string,
    receivedAt: string,
  ): Promise<{ streamId: string; result: HandleResult }> {
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
    };
    // The partner's envelope, kept whole so its signature can be checked again later.
    const { data: _data, ...envelope } = event;
    const extraMetadata = { envelope: envelope as JsonObject };
    const aggregate = await this.#route(event);
    const handle = <C, S>(streamId: string, decider: Decider<C, S>, command: C) =>
      handleCommand({
        store: this.#store,
        streamId,
        decider,
        command,
        eventId,
        extraMetadata,
      }).then((result) => ({ streamId, result }));

    if (aggregate === 'batch') {
      const batchId = event.subject;
      const agreementId =
        event.type === 'concord.batch.scheduled.v1'
          ? String(event.data.agreementId)
          : (await this.#registry.batchParties(batchId))?.agreementId;
      if (agreementId === undefined)
        throw new Refusal('routing.unknown-subject', `Batch ${batchId} is not known.`, '/subject');
      const agreement = await this.#registry.agreementAt(agreementId, event.time);
      const command = {
        type: event.type,
        data: event.data,
        metadata,
        context: { agreement },
      } as unknown as BatchCommand;
      return handle(
        streams.batch(batchId),
        batchDecider as unknown as Decider<BatchCommand, unknown>,
        command,
      );
    }

    const deviationId = event.subject;
    const agreementId =
      event.type === 'concord.deviation.reported.v1'
        ? String(event.data.agreementId)
        : await this.#registry.deviationAgreement(deviationId);
    if (agreementId === undefined) {
      throw new Refusal(
        'routing.unknown-subject',
        `Deviation ${deviationId} is not known.`,
        '/subject',
      );
    }
    const agreement = await this.#registry.agreementAt(agreementId, event.time);
    const linkedBatches: Record<string, unknown> = {};
    if (event.type === 'concord.deviation.reported.v1') {
      for (const batchId of event.data.linkedBatchIds as string[]) {
        const parties = await this.#registry.batchParties(batchId);
        if (parties) linkedBatches[batchId] = parties;
      }
    }
    const command = {
      type: event.type,
      data: event.data,
      metadata,
      context: { agreement, linkedBatches },
    } as unknown as DeviationCommand;
    return handle(
      streams.deviation(deviationId),
      deviationDecider as unknown as Decider<DeviationCommand, unknown>,
      command,
    );
  }

  /** Which aggregate an event is about; corrections go wherever their subject lives. */
  async #route(event: StructuredEvent): Promise<'batch' | 'deviation'> {
    if (event.type.startsWith('concord.batch.')) return 'batch';
    if (event.type.startsWith('concord.deviation.')) return 'deviation';
    if (event.type === 'concord.correction.recorded.v1') {
      if (await this.#store.streamInfo(streams.batch(event.subject))) return 'batch';
      if (await this.#store.streamInfo(streams.deviation(event.subject))) return 'deviation';
      throw new Refusal(
        'routing.unknown-subject',
        `Nothing is known about ${event.subject}.`,
        '/subject',
      );
    }
    throw new Refusal(
      'routing.platform-only',
      `Only the platform may emit ${event.type}.`,
      '/type',
    );
  }
}
