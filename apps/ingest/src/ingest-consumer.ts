import { decodeKafkaRecord } from '@concord/contract';
import type { IngestPipeline, Outcome } from '@concord/ingest';
import type { Consumer, Kafka, Producer } from 'kafkajs';
import type { Logger } from 'pino';
import type { IngestMetrics } from './metrics.ts';
import type { Topics } from './topics.ts';

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
      partitionsConsumedConcurrently: this.#options.partitionsConsumedConcurrently ?? 4,
      eachMessage: async ({ topic, partition, message }) => {
        const organizationId = topics.organizationOf(topic);
        if (organizationId !== undefined) {
          const decoded = decodeKafkaRecord(message, {
            maxEventBytes: this.#options.maxEventBytes,
          });
          const outcome = await this.#ingestWithRetries(
            organizationId,
            decoded,
            topic,
            partition,
            message.offset,
          );
          await this.#answer(outcome, message.key);
        }
        await this.#consumer.commitOffsets([
          { topic, partition, offset: (BigInt(message.offset) + 1n).toString() },
        ]);
      },
    });
    logger.info({ pattern: String(topics.inboundPattern) }, 'ingest consumer started');
  }

  async stop(): Promise<void> {
    await this.#consumer.disconnect();
  }

  /** Infrastructure failures (the database restarting, say) are retried with backoff, forever. */
  async #ingestWithRetries(
    organizationId: string,
    decoded: ReturnType<typeof decodeKafkaRecord>,
    topic: string,
    partition: number,
    offset: string,
  ): Promise<Outcome> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.#options.pipeline.ingest({
          channelOrganizationId: organizationId,
          decoded,
        });
      } catch (error) {
        this.#options.metrics.retries++;
        const wait = Math.min(30_000, 200 * 2 ** Math.min(attempt, 8));
        this.#options.logger.warn(
          { err: error, topic, partition, offset, attempt, wait },
          'ingest failed, retrying',
        );
        await new Promise((resolve) => setTimeout(resolve, wait));
      }
    }
  }

  async #answer(outcome: Outcome, key: Buffer | null): Promise<void> {
    const { metrics, logger, producer, topics } = this.#options;
    if (outcome.status === 'accepted') {
      if (outcome.duplicate) metrics.duplicates++;
      else metrics.accepted++;
      logger.debug(
        { eventId: outcome.eventId, id: outcome.id, duplicate: outcome.duplicate },
        'accepted',
      );
      return;
    }
    const { rejection, organizationId } = outcome;
    metrics.reject(rejection.code);
    logger.info(
      { id: rejection.rejectedEventId, code: rejection.code, path: rejection.path },
      'rejected',
    );
    await producer.send({
      topic: topics.rejections(organizationId),
      acks: -1,
      messages: [
        {
          key: key ?? (rejection.rejectedEventId || null),
          value: JSON.stringify(rejection),
          headers: { 'content-type': 'application/json', ce_type: 'concord.rejection.v2' },
        },
      ],
    });
  }
}
