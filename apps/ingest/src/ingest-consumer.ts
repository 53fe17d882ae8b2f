import { decodeKafkaRecord } from '@concord/contract';
import type { IncomingEvent, IngestPipeline, Outcome } from '@concord/ingest';
import type { Consumer, Kafka, KafkaMessage, Message, Producer } from 'kafkajs';
import type { Logger } from 'pino';
import type { IngestMetrics } from './metrics.ts';
import type { Topics } from './topics.ts';

/** Records decided together: one read and one append per stream per chunk. */
const CHUNK = 500;

export interface IngestConsumerOptions {
  kafka: Kafka;
  producer: Producer;
  pipeline: IngestPipeline;
  topics: Topics;
  metrics: IngestMetrics;
  logger: Logger;
  /** @default 'concord-ingest' */
  groupId?: string;
  /** Largest event accepted, in bytes. @default 1 MiB */
  maxEventBytes?: number;
  /** Partitions handled at once (order within a partition is kept). @default 4 */
  partitionsConsumedConcurrently?: number;
  /** How long a silent instance keeps its partitions. @default 30000 */
  sessionTimeoutMs?: number;
}

/**
 * Reads every partner inbound topic, runs each record through the pipeline and makes its outcome
 * durable before committing the record's offset: an accepted event is in the event store (the
 * outbound publisher announces it from there), a rejection is acknowledged on the partner's
 * rejection topic. A crash anywhere replays from the last committed offset, and the pipeline
 * recognizes what it already recorded, so nothing is lost or recorded twice. A record that cannot
 * be read is rejected like any other bad event; only infrastructure failures are retried.
 */
export class IngestConsumer {
  readonly #options: IngestConsumerOptions;
  readonly #consumer: Consumer;

  constructor(options: IngestConsumerOptions) {
    this.#options = options;
    this.#consumer = options.kafka.consumer({
      groupId: options.groupId ?? 'concord-ingest',
      sessionTimeout: options.sessionTimeoutMs ?? 30_000,
      rebalanceTimeout: Math.max(options.sessionTimeoutMs ?? 30_000, 10_000),
      heartbeatInterval: Math.floor((options.sessionTimeoutMs ?? 30_000) / 10),
      // Pattern subscriptions see topics created after start only on a metadata refresh.
      metadataMaxAge: 10_000,
      retry: { retries: Number.MAX_SAFE_INTEGER, initialRetryTime: 300, maxRetryTime: 30_000 },
    });
  }

  async start(): Promise<void> {
    const { topics, logger } = this.#options;
    await this.#consumer.connect();
    await this.#consumer.subscribe({ topics: [topics.inboundPattern], fromBeginning: true });
    await this.#consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: this.#options.partitionsConsumedConcurrently ?? 4,
      eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
        const organizationId = topics.organizationOf(batch.topic);
        for (let start = 0; start < batch.messages.length; start += CHUNK) {
          if (!isRunning() || isStale()) return;
          const chunk = batch.messages.slice(start, start + CHUNK);
          if (organizationId !== undefined) {
            const incoming = chunk.map((message) => ({
              channelOrganizationId: organizationId,
              decoded: decodeKafkaRecord(message, { maxEventBytes: this.#options.maxEventBytes }),
            }));
            const outcomes = await this.#ingestWithRetries(incoming, batch.topic, batch.partition);
            await this.#answer(outcomes, chunk);
          }
          const last = chunk.at(-1)!.offset;
          this.#options.metrics.lag.set(
            `${batch.topic}/${batch.partition}`,
            Number(BigInt(batch.highWatermark) - BigInt(last) - 1n),
          );
          resolveOffset(last);
          await this.#consumer.commitOffsets([
            {
              topic: batch.topic,
              partition: batch.partition,
              offset: (BigInt(last) + 1n).toString(),
            },
          ]);
          await heartbeat();
        }
      },
    });
    logger.info({ pattern: String(topics.inboundPattern) }, 'ingest consumer started');
  }

  async stop(): Promise<void> {
    await this.#consumer.disconnect();
  }

  /** Calls `onFatal` when the consumer crashed and kafkajs will not restart it. */
  onFatal(onFatal: (error: unknown) => void): void {
    this.#consumer.on(this.#consumer.events.CRASH, ({ payload }) => {
      if (!payload.restart) onFatal(payload.error);
    });
  }

  /** Infrastructure failures (the database restarting, say) are retried with backoff, forever. */
  async #ingestWithRetries(
    incoming: IncomingEvent[],
    topic: string,
    partition: number,
  ): Promise<Outcome[]> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.#options.pipeline.ingestMany(incoming);
      } catch (error) {
        this.#options.metrics.retries++;
        const wait = Math.min(30_000, 200 * 2 ** Math.min(attempt, 8));
        this.#options.logger.warn(
          { err: error, topic, partition, attempt, wait },
          'ingest failed, retrying',
        );
        await new Promise((resolve) => setTimeout(resolve, wait));
      }
    }
  }

  /** Counts the outcomes and acknowledges every rejection on its partner's rejection topic. */
  async #answer(outcomes: Outcome[], messages: KafkaMessage[]): Promise<void> {
    const { metrics, logger, producer, topics } = this.#options;
    const rejections: { topic: string; messages: Message[] }[] = [];
    for (const [index, outcome] of outcomes.entries()) {
      if (outcome.status === 'accepted') {
        if (outcome.duplicate) metrics.duplicates++;
        else metrics.accepted++;
        continue;
      }
      const { rejection, organizationId } = outcome;
      metrics.reject(rejection.code);
      logger.info(
        { id: rejection.rejectedEventId, code: rejection.code, path: rejection.path },
        'rejected',
      );
      rejections.push({
        topic: topics.rejections(organizationId),
        messages: [
          {
            key: messages[index]?.key ?? (rejection.rejectedEventId || null),
            value: JSON.stringify(rejection),
            headers: { 'content-type': 'application/json', ce_type: 'concord.rejection.v2' },
          },
        ],
      });
    }
    if (rejections.length > 0) await producer.sendBatch({ acks: -1, topicMessages: rejections });
  }
}
