import { decodeKafkaRecord, QUARANTINE_HEADERS, RECEIPT_HEADER } from '@concord/contract';
import type { IncomingEvent, IngestPipeline, Outcome, Rejection } from '@concord/ingest';
import type {
  Admin,
  Batch,
  Consumer,
  EachBatchPayload,
  Kafka,
  KafkaMessage,
  Message,
  Producer,
} from 'kafkajs';
import type { Logger } from 'pino';
import { CoalescedCommits } from './coalesced-commits.ts';
import { CoalescedIngest } from './coalesced-ingest.ts';
import type { IngestMetrics } from './metrics.ts';
import { inboundTopicsIn, type Topics } from './topics.ts';

/** Records decided together: one read and one append per stream per chunk. */
const CHUNK = 500;

export interface IngestConsumerOptions {
  kafka: Kafka;
  producer: Producer;
  pipeline: Pick<IngestPipeline, 'ingestMany'>;
  topics: Topics;
  metrics: IngestMetrics;
  logger: Logger;
  /**
   * Resolves when the event store answers: tells a failure of the infrastructure (everybody's
   * records wait) from a failure of one record (that record is retried, then quarantined).
   */
  storeAnswers: () => Promise<unknown>;
  /** @default 'concord-ingest' */
  groupId?: string;
  /** Largest event accepted, in bytes. @default 1 MiB */
  maxEventBytes?: number;
  /** Partitions handled at once (order within a partition is kept). @default 8 */
  partitionsConsumedConcurrently?: number;
  /** How long a silent instance keeps its partitions. @default 10000 */
  sessionTimeoutMs?: number;
  /** How often the topic list is read to pick up partners' new inbound topics. @default 5000 */
  topicRefreshMs?: number;
  /** Attempts at one record while the store answers, before it is quarantined. @default 3 */
  maxRecordAttempts?: number;
  /** First pause of a partition while the store is unavailable (doubling, capped). @default 500 */
  outageDelayMs?: number;
  /** @default 30000 */
  maxOutageDelayMs?: number;
}

/** A record that failed by itself while the store answered, `maxRecordAttempts` times. */
interface Quarantined {
  status: 'quarantined';
  organizationId: string;
  rejection: Rejection;
  error: unknown;
}

/** The store did not answer: the whole chunk waits, nothing is held against its records. */
class StoreUnavailable extends Error {
  override readonly cause: unknown;
  constructor(cause: unknown) {
    super('the event store does not answer');
    this.cause = cause;
  }
}

const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Reads every partner inbound topic, runs each record through the pipeline and makes its outcome
 * durable before committing the record's offset: an accepted event is in the event store (the
 * outbound publisher announces it from there), a rejection is on record and acknowledged on the
 * partner's rejection topic. A crash anywhere replays from the last committed offset, and the
 * pipeline answers what it already answered the same way, so nothing is lost or decided twice.
 *
 * Nothing stalls the exchange for long:
 * - a record that cannot be read, or that the domain refuses, is rejected like any bad event;
 * - a record that fails by itself while the store answers is retried a few times, then set aside
 *   on the quarantine topic with the reason, and its partner is told; the partition moves on;
 * - when the store does not answer, the partition is paused and resumed with backoff while the
 *   consumer keeps heartbeating, so the instance keeps its partitions and catches up after;
 * - partners' new inbound topics are picked up within `topicRefreshMs`, departed ones dropped;
 * - a consumer that kafkajs gives up on is replaced (the topic watcher keeps trying);
 * - a consumer its group has stopped answering for `metrics.stalledAfterMs` (something hangs) is
 *   reported stalled: logged, and /health fails so that the orchestrator restarts the process.
 */
export class IngestConsumer {
  readonly #options: IngestConsumerOptions;
  /** The pipeline for whole chunks: the partitions' chunks of one fetch decided together. */
  readonly #coalesced: CoalescedIngest;
  /** The offsets the partitions of one fetch reach, committed in one request. */
  readonly #commits = new CoalescedCommits();
  readonly #admin: Admin;
  #consumer: Consumer | undefined;
  #subscribed: string[] = [];
  /** The last consumer could not be started (or crashed): the watcher starts one again. */
  #needsConsumer = false;
  #stopped = false;
  /** The stall was logged (once per stall). */
  #saidStalled = false;
  #watcher: NodeJS.Timeout | undefined;
  /** One change of consumer (new topics, a crash) at a time. */
  #changing: Promise<void> = Promise.resolve();
  readonly #recordAttempts = new Map<string, number>();
  readonly #outages = new Map<string, number>();
  readonly #resumeTimers = new Set<NodeJS.Timeout>();

  constructor(options: IngestConsumerOptions) {
    this.#options = options;
    this.#coalesced = new CoalescedIngest(options.pipeline);
    this.#admin = options.kafka.admin();
  }

  async start(): Promise<void> {
    const { topics, logger } = this.#options;
    await this.#admin.connect();
    await this.#replaceConsumer(await this.#inboundTopics());
    const refresh = this.#options.topicRefreshMs ?? 5_000;
    const watch = () => {
      this.#watcher = setTimeout(() => {
        void this.#refreshTopics().finally(() => {
          if (!this.#stopped) watch();
        });
      }, refresh);
    };
    watch();
    logger.info({ pattern: String(topics.inboundPattern) }, 'ingest consumer started');
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#watcher);
    for (const timer of this.#resumeTimers) clearTimeout(timer);
    await this.#changing;
    // Leaving the group (not just closing the socket) hands the partitions over at once.
    await this.#consumer?.disconnect();
    await this.#admin.disconnect();
  }

  async #inboundTopics(): Promise<string[]> {
    return inboundTopicsIn(await this.#admin.listTopics(), this.#options.topics);
  }

  async #refreshTopics(): Promise<void> {
    const { metrics, logger } = this.#options;
    if (metrics.stalled && !this.#saidStalled) {
      this.#saidStalled = true;
      logger.error(
        { silentForMs: metrics.silenceMs() },
        'the consumer has not heard from its group for too long: stalled (/health answers 503 so that the process is restarted)',
      );
    } else if (!metrics.stalled) this.#saidStalled = false;
    try {
      const current = await this.#inboundTopics();
      const changed = current.join('\n') !== this.#subscribed.join('\n');
      if (!changed && !this.#needsConsumer) return;
      if (changed) {
        const joined = current.filter((topic) => !this.#subscribed.includes(topic));
        const left = this.#subscribed.filter((topic) => !current.includes(topic));
        this.#options.logger.info(
          { joined, left },
          'partner inbound topics changed; resubscribing',
        );
      } else {
        this.#options.logger.info('starting the consumer again');
      }
      await this.#replaceConsumer(current);
    } catch (error) {
      this.#options.logger.warn({ err: error }, 'could not read the topic list; trying again');
    }
  }

  /** Leaves with the current consumer (if any) and joins with a new one on `topics`. */
  #replaceConsumer(topics: string[]): Promise<void> {
    const change = this.#changing.then(async () => {
      if (this.#stopped) return;
      const previous = this.#consumer;
      this.#consumer = undefined;
      await previous?.disconnect().catch((error: unknown) => {
        this.#options.logger.warn({ err: error }, 'the previous consumer did not leave cleanly');
      });
      this.#subscribed = topics;
      this.#needsConsumer = false;
      this.#options.metrics.consuming = topics.length > 0;
      // The silence is counted from the new consumer's start.
      this.#options.metrics.heardFromGroupAt = Date.now();
      if (topics.length === 0) {
        this.#options.logger.info('no partner inbound topic yet; watching for one');
        return;
      }
      const consumer = this.#newConsumer();
      this.#consumer = consumer;
      try {
        await consumer.connect();
        await consumer.subscribe({ topics, fromBeginning: true });
        await consumer.run({
          autoCommit: false,
          eachBatchAutoResolve: false,
          partitionsConsumedConcurrently: this.#options.partitionsConsumedConcurrently ?? 8,
          eachBatch: (payload) => this.#eachBatch(consumer, payload),
        });
      } catch (error) {
        // The topic watcher tries again on its next round.
        this.#consumer = undefined;
        this.#needsConsumer = true;
        await consumer.disconnect().catch(() => undefined);
        throw error;
      }
    });
    this.#changing = change.catch(() => undefined);
    return change;
  }

  #newConsumer(): Consumer {
    const { kafka, logger } = this.#options;
    const sessionTimeout = this.#options.sessionTimeoutMs ?? 10_000;
    const consumer = kafka.consumer({
      groupId: this.#options.groupId ?? 'concord-ingest',
      // A departed partner's topic must stay gone: reading it must not create it again.
      allowAutoTopicCreation: false,
      // An idle fetch returns after this long: a resumed partition is read again this soon.
      maxWaitTimeInMs: 1_000,
      sessionTimeout,
      rebalanceTimeout: Math.max(sessionTimeout, 10_000),
      heartbeatInterval: Math.max(100, Math.floor(sessionTimeout / 10)),
      retry: { retries: Number.MAX_SAFE_INTEGER, initialRetryTime: 300, maxRetryTime: 30_000 },
    });
    const { GROUP_JOIN, REBALANCING, CRASH, STOP, HEARTBEAT, COMMIT_OFFSETS } = consumer.events;
    const { metrics } = this.#options;
    // kafkajs emits these only when the group answered: the consumer is alive in its group.
    const heard = () => {
      if (this.#consumer !== consumer) return;
      if (metrics.stalled)
        logger.info({ silentForMs: metrics.silenceMs() }, 'the group answers the consumer again');
      metrics.heardFromGroupAt = Date.now();
    };
    consumer.on(HEARTBEAT, heard);
    consumer.on(COMMIT_OFFSETS, heard);
    consumer.on(GROUP_JOIN, ({ payload }) => {
      heard();
      metrics.inGroup = true;
      logger.info(
        { groupId: payload.groupId, assigned: payload.memberAssignment },
        'joined the ingest group',
      );
    });
    consumer.on(REBALANCING, () => {
      metrics.inGroup = false;
      logger.info('the ingest group is rebalancing');
    });
    consumer.on(STOP, () => {
      if (this.#consumer === consumer) metrics.inGroup = false;
    });
    consumer.on(CRASH, ({ payload }) => {
      metrics.inGroup = false;
      if (payload.restart) {
        logger.warn({ err: payload.error }, 'the consumer lost its session; kafkajs restarts it');
        return;
      }
      if (this.#stopped || this.#consumer !== consumer) return;
      logger.error({ err: payload.error }, 'the consumer crashed; starting a new one');
      void this.#replaceConsumer(this.#subscribed).catch((error: unknown) =>
        logger.error({ err: error }, 'no new consumer yet; the topic watcher tries again'),
      );
    });
    return consumer;
  }

  async #eachBatch(consumer: Consumer, payload: EachBatchPayload): Promise<void> {
    const { batch, resolveOffset, heartbeat, isRunning, isStale } = payload;
    const { topics, metrics, logger } = this.#options;
    const organizationId = topics.organizationOf(batch.topic);
    const partitionKey = `${batch.topic}/${batch.partition}`;
    for (let start = 0; start < batch.messages.length; start += CHUNK) {
      if (!isRunning() || isStale()) return;
      const chunk = batch.messages.slice(start, start + CHUNK);
      let outcomes: (Outcome | Quarantined)[] = [];
      try {
        if (organizationId !== undefined) {
          outcomes = await this.#ingestChunk(organizationId, chunk, batch, heartbeat);
          await this.#answer(outcomes, chunk, batch);
        }
      } catch (error) {
        this.#pauseWhileUnavailable(consumer, batch, chunk[0]!.offset, error);
        return;
      }
      const answeredAt = Date.now();
      outcomes.forEach((outcome, index) =>
        metrics.answered(
          organizationId!,
          outcome.status === 'accepted' && outcome.duplicate ? 'duplicate' : outcome.status,
          Number(chunk[index]!.timestamp),
          answeredAt,
        ),
      );
      const outage = this.#outages.get(partitionKey);
      if (outage !== undefined) {
        this.#outages.delete(partitionKey);
        logger.info(
          { topic: batch.topic, partition: batch.partition },
          'partition caught up again',
        );
      }
      const last = chunk.at(-1)!.offset;
      metrics.lag.set(partitionKey, Number(BigInt(batch.highWatermark) - BigInt(last) - 1n));
      resolveOffset(last);
      await this.#commits.commit(consumer, {
        topic: batch.topic,
        partition: batch.partition,
        offset: (BigInt(last) + 1n).toString(),
      });
      await heartbeat();
    }
  }

  /**
   * The chunk's outcomes. If the pipeline fails and the store answers, something in the chunk
   * fails by itself: the records are taken one at a time, each retried a few times and then
   * quarantined, so the rest of the partition (and every other partner) goes on.
   */
  async #ingestChunk(
    organizationId: string,
    chunk: KafkaMessage[],
    batch: Batch,
    heartbeat: () => Promise<void>,
  ): Promise<(Outcome | Quarantined)[]> {
    const incoming: IncomingEvent[] = chunk.map((message) => ({
      channelOrganizationId: organizationId,
      decoded: decodeKafkaRecord(message, { maxEventBytes: this.#options.maxEventBytes }),
      // A partner that traces its own sending says so in a W3C traceparent header.
      traceparent: message.headers?.traceparent?.toString(),
    }));
    try {
      return await this.#coalesced.ingestMany(
        incoming,
        chunk.map((message) => Number(message.timestamp)),
      );
    } catch (error) {
      await this.#assertStoreAnswers(error);
      this.#options.logger.warn(
        { err: error, topic: batch.topic, partition: batch.partition },
        'a chunk failed while the store answers; handling its records one at a time',
      );
    }
    const outcomes: (Outcome | Quarantined)[] = [];
    for (const [index, message] of chunk.entries()) {
      outcomes.push(await this.#ingestOne(incoming[index]!, message, batch, heartbeat));
    }
    return outcomes;
  }

  async #ingestOne(
    incoming: IncomingEvent,
    message: KafkaMessage,
    batch: Batch,
    heartbeat: () => Promise<void>,
  ): Promise<Outcome | Quarantined> {
    const { pipeline, logger, metrics } = this.#options;
    const maxAttempts = this.#options.maxRecordAttempts ?? 3;
    const recordKey = `${batch.topic}/${batch.partition}/${message.offset}`;
    for (;;) {
      try {
        const [outcome] = await pipeline.ingestMany([incoming]);
        this.#recordAttempts.delete(recordKey);
        return outcome!;
      } catch (error) {
        await this.#assertStoreAnswers(error);
        const attempts = (this.#recordAttempts.get(recordKey) ?? 0) + 1;
        this.#recordAttempts.set(recordKey, attempts);
        metrics.retries++;
        if (attempts >= maxAttempts) {
          this.#recordAttempts.delete(recordKey);
          return this.#quarantined(incoming, error);
        }
        logger.warn(
          { err: error, topic: batch.topic, partition: batch.partition, offset: message.offset },
          `a record failed by itself (attempt ${attempts} of ${maxAttempts}); retrying`,
        );
        await wait(100 * 2 ** attempts);
        await heartbeat();
      }
    }
  }

  async #assertStoreAnswers(cause: unknown): Promise<void> {
    try {
      await this.#options.storeAnswers();
    } catch {
      throw new StoreUnavailable(cause);
    }
  }

  #quarantined(incoming: IncomingEvent, error: unknown): Quarantined {
    const claimed = incoming.decoded.ok
      ? {
          id: incoming.decoded.event.id,
          source: incoming.decoded.event.source,
          type: incoming.decoded.event.type,
        }
      : incoming.decoded.claimed;
    return {
      status: 'quarantined',
      organizationId: incoming.channelOrganizationId,
      error,
      rejection: {
        rejectedEventId: claimed?.id ?? '',
        rejectedEventSource: claimed?.source ?? '',
        ...(claimed?.type ? { rejectedEventType: claimed.type } : {}),
        code: 'ingest.quarantined',
        message:
          'The event could not be processed and was set aside for Concord’s operators; it was not recorded. Send it again later under the same id, or contact Concord.',
        receivedAt: new Date().toISOString(),
      },
    };
  }

  /**
   * The store (or the broker) does not answer: this partition waits and is tried again from the
   * chunk's first record, while every other partition goes on and the consumer keeps its session.
   */
  #pauseWhileUnavailable(consumer: Consumer, batch: Batch, offset: string, error: unknown) {
    const { logger, metrics } = this.#options;
    const key = `${batch.topic}/${batch.partition}`;
    const outage = (this.#outages.get(key) ?? 0) + 1;
    this.#outages.set(key, outage);
    metrics.retries++;
    const initial = this.#options.outageDelayMs ?? 500;
    const delay = Math.min(this.#options.maxOutageDelayMs ?? 30_000, initial * 2 ** (outage - 1));
    const partition = [{ topic: batch.topic, partitions: [batch.partition] }];
    consumer.pause(partition);
    consumer.seek({ topic: batch.topic, partition: batch.partition, offset });
    logger.warn(
      {
        err: error instanceof StoreUnavailable ? error.cause : error,
        topic: batch.topic,
        partition: batch.partition,
        offset,
        attempt: outage,
        resumeInMs: delay,
      },
      error instanceof StoreUnavailable
        ? 'the event store does not answer; partition paused'
        : 'the outcome could not be answered; partition paused',
    );
    const timer = setTimeout(() => {
      this.#resumeTimers.delete(timer);
      if (this.#stopped || this.#consumer !== consumer) return;
      try {
        consumer.resume(partition);
        logger.info({ topic: batch.topic, partition: batch.partition }, 'partition resumed');
      } catch (error) {
        // kafkajs is restarting this consumer (its group is gone until it has joined again):
        // the restarted consumer reads every partition from its committed offset, none paused.
        logger.info(
          { err: error, topic: batch.topic, partition: batch.partition },
          'partition not resumed: the consumer is restarting and reads it again from its commit',
        );
      }
    }, delay);
    this.#resumeTimers.add(timer);
  }

  /**
   * Counts the outcomes, acknowledges every rejection on its partner's rejection topic and sets
   * quarantined records aside on the quarantine topic with the reason.
   */
  async #answer(
    outcomes: (Outcome | Quarantined)[],
    messages: KafkaMessage[],
    batch: Batch,
  ): Promise<void> {
    const { metrics, logger, producer, topics } = this.#options;
    const topicMessages: { topic: string; messages: Message[] }[] = [];
    for (const [index, outcome] of outcomes.entries()) {
      if (outcome.status === 'accepted') {
        if (outcome.duplicate) metrics.duplicates++;
        else metrics.accepted++;
        continue;
      }
      const message = messages[index]!;
      const { rejection, organizationId } = outcome;
      if (outcome.status === 'quarantined') {
        metrics.quarantine(organizationId);
        logger.error(
          {
            err: outcome.error,
            id: rejection.rejectedEventId,
            topic: batch.topic,
            partition: batch.partition,
            offset: message.offset,
          },
          'record quarantined',
        );
        topicMessages.push({
          topic: topics.quarantine,
          messages: [quarantineRecord(message, batch, outcome)],
        });
      } else {
        metrics.reject(rejection.code);
        logger.info(
          { id: rejection.rejectedEventId, code: rejection.code, path: rejection.path },
          'rejected',
        );
      }
      topicMessages.push({
        topic: topics.rejections(organizationId),
        messages: [
          {
            key: message.key ?? (rejection.rejectedEventId || null),
            value: JSON.stringify(rejection),
            headers: {
              'content-type': 'application/json',
              ce_type: 'concord.rejection.v2',
              // The signed receipt beside the rejection: the value's schema is published, closed.
              ...(outcome.status === 'rejected' && outcome.receipt
                ? { [RECEIPT_HEADER]: JSON.stringify(outcome.receipt) }
                : {}),
            },
          },
        ],
      });
    }
    if (topicMessages.length > 0) await producer.sendBatch({ acks: -1, topicMessages });
  }
}

/** The record as it came, with where it came from and why it was set aside. */
function quarantineRecord(message: KafkaMessage, batch: Batch, outcome: Quarantined): Message {
  const reason =
    outcome.error instanceof Error
      ? `${outcome.error.name}: ${outcome.error.message}`
      : String(outcome.error);
  return {
    key: message.key,
    value: message.value,
    headers: {
      ...message.headers,
      [QUARANTINE_HEADERS.topic]: batch.topic,
      [QUARANTINE_HEADERS.partition]: String(batch.partition),
      [QUARANTINE_HEADERS.offset]: message.offset,
      [QUARANTINE_HEADERS.reason]: reason.slice(0, 2_000),
      [QUARANTINE_HEADERS.at]: new Date().toISOString(),
    },
  };
}
