import { encodeKafkaRecord } from '@concord/contract';
import { streamOf, streams } from '@concord/domain';
import type { EventStore, RecordedEvent, Subscription } from '@concord/event-store';
import type { Producer } from 'kafkajs';
import { LRUCache } from 'lru-cache';
import type { Logger } from 'pino';
import type { IngestMetrics } from './metrics.ts';
import type { Topics } from './topics.ts';

export interface OutboundPublisherOptions {
  store: EventStore;
  producer: Producer;
  topics: Topics;
  metrics: IngestMetrics;
  logger: Logger;
  /** @default 'outbound-kafka' */
  subscriberId?: string;
  /**
   * How long a send may wait for Kafka's acknowledgement. Past it the publisher stops with an
   * error (its supervisor starts it again from the checkpoint, so nothing is skipped): kafkajs
   * bounds each request, but a send can still wait without end, and the publisher would stop
   * announcing events to every partner while looking alive. @default 60000
   */
  sendTimeoutMs?: number;
}

/** Kafka did not acknowledge an outbound send in time. */
export class OutboundSendTimeoutError extends Error {
  override readonly name = 'OutboundSendTimeoutError';
}

const PLATFORM_SOURCE = 'urn:concord:platform';

/**
 * Publishes every recorded event to the outbound topic of each organization entitled to see it,
 * and of no other: a batch's events to its sponsor and CDMO, a deviation's to the parties of its
 * agreement, an agreement's to its parties, an organization's to itself. Driven by a checkpointed
 * subscription to the event store, so a crash between recording and publishing loses nothing; a
 * batch may be published again after a crash, which consumers that dedupe by (source, id) absorb.
 */
export class OutboundPublisher {
  readonly #options: OutboundPublisherOptions;
  /** Who may see each stream's events (parties never change), for the streams seen lately. */
  readonly #parties = new LRUCache<string, string[]>({ max: 50_000 });
  #subscription: Subscription | undefined;

  constructor(options: OutboundPublisherOptions) {
    this.#options = options;
  }

  /** Its checkpoint's name, and its role in leader elections. */
  get subscriberId(): string {
    return this.#options.subscriberId ?? 'outbound-kafka';
  }

  start(onError: (error: unknown) => void): Subscription {
    this.#subscription = this.#options.store.subscribe(
      this.subscriberId,
      (events) => this.#publish(events),
      { batchSize: 200, pollIntervalMs: 500, onError },
    );
    return this.#subscription;
  }

  async stop(): Promise<void> {
    await this.#subscription?.stop();
  }

  async #publish(events: RecordedEvent[]): Promise<void> {
    const { producer, topics, metrics, logger } = this.#options;
    const byTopic = new Map<string, ReturnType<typeof encodeKafkaRecord>[]>();
    for (const event of events) {
      const recipients = await this.#recipients(event);
      let record: ReturnType<typeof encodeKafkaRecord>;
      try {
        record = encodeKafkaRecord(toCloudEvent(event));
      } catch (error) {
        // A stored event the contract cannot carry is a bug to fix, not a reason to stop
        // announcing every later event to every partner: log it loudly and go on.
        metrics.deadLettered++;
        logger.error(
          { err: error, eventId: event.id, position: String(event.globalPosition) },
          'cannot publish event',
        );
        continue;
      }
      for (const organizationId of recipients) {
        const topic = topics.outbound(organizationId);
        const messages = byTopic.get(topic);
        if (messages) messages.push(record);
        else byTopic.set(topic, [record]);
      }
    }
    if (byTopic.size === 0) return;
    const sendTimeoutMs = this.#options.sendTimeoutMs ?? 60_000;
    let timer: NodeJS.Timeout | undefined;
    const send = producer.sendBatch({
      acks: -1,
      topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })),
    });
    try {
      await Promise.race([
        send,
        new Promise<never>((_resolve, reject) => {
          timer = setTimeout(
            () =>
              reject(
                new OutboundSendTimeoutError(
                  `Kafka did not acknowledge ${events.length} events (positions ${events[0]!.globalPosition}–${events.at(-1)!.globalPosition}) on the outbound topics within ${sendTimeoutMs} ms`,
                ),
              ),
            sendTimeoutMs,
          );
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
    metrics.published += events.length;
  }

  /**
   * Who may see an event, from the stream it belongs to (cached per stream: parties never
   * change). A stream's first event names them itself: a new batch costs no read.
   */
  async #recipients(event: RecordedEvent): Promise<string[]> {
    const cached = this.#parties.get(event.streamId);
    if (cached) return cached;
    const { kind, id } = streamOf(event.streamId) ?? {};
    const first = async () =>
      event.streamVersion === 1
        ? event
        : (await this.#options.store.readStream(event.streamId, { maxCount: 1 }))[0];
    let parties: string[] = [];
    if (kind === 'organization') parties = [id!];
    else if (kind === 'batch' || kind === 'agreement') parties = partiesIn(await first());
    else if (kind === 'deviation') {
      const agreementId = (await first())?.data.agreementId;
      if (typeof agreementId === 'string') parties = await this.#agreementParties(agreementId);
    }
    if (parties.length > 0) this.#parties.set(event.streamId, parties);
    return parties;
  }

  async #agreementParties(agreementId: string): Promise<string[]> {
    const streamId = streams.agreement(agreementId);
    const cached = this.#parties.get(streamId);
    if (cached) return cached;
    const [first] = await this.#options.store.readStream(streamId, { maxCount: 1 });
    const parties = partiesIn(first);
    if (parties.length > 0) this.#parties.set(streamId, parties);
    return parties;
  }
}

/** The sponsor and CDMO a stream's first event names. */
function partiesIn(first: RecordedEvent | undefined): string[] {
  const { sponsorId, cdmoId } = (first?.data ?? {}) as { sponsorId?: unknown; cdmoId?: unknown };
  return [sponsorId, cdmoId].filter((party): party is string => typeof party === 'string');
}

/**
 * The canonical CloudEvent of a stored event: a partner's event keeps its original envelope (so
 * the partner recognizes its id and anyone can check its signature), plus the platform's
 * recorded-at; events the platform derived carry the platform as their source.
 */
export function toCloudEvent(event: RecordedEvent): Readonly<Record<string, unknown>> {
  const metadata = event.metadata as Record<string, unknown>;
  const envelope = metadata.envelope as Record<string, unknown> | undefined;
  const recordedtime = String(metadata.recordedtime ?? event.recordedAt);
  if (envelope) return { ...envelope, recordedtime, data: event.data };
  const subject = streamOf(event.streamId)?.id ?? event.streamId;
  const attributes: Record<string, unknown> = {
    specversion: '1.0',
    id: event.id,
    source: PLATFORM_SOURCE,
    type: event.type,
    subject,
    time: String(metadata.time ?? event.recordedAt),
    recordedtime,
    actorid: String(metadata.actorid ?? 'concord-platform'),
    actororg: String(metadata.actororg ?? 'concord'),
  };
  for (const name of ['correlationid', 'causationid', 'actorrole'] as const) {
    if (typeof metadata[name] === 'string') attributes[name] = metadata[name];
  }
  return { ...attributes, data: event.data };
}
