import type { LogCheckpoint } from '@concord/contract';
import { superviseSubscription, type EventStore } from '@concord/event-store';
import type { CheckpointLog, PlatformKey, PlatformKeyring } from '@concord/evidence';
import {
  DEVIATION_BATCH_LINKER,
  IngestPipeline,
  startDeviationBatchLinker,
  type OutcomeLog,
  type ReceiptSigner,
} from '@concord/ingest';
import { soleLeader, type Elector, type Leadership } from '@concord/sql';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import type { Logger } from 'pino';
import { CheckpointPublisher, startLogCheckpoints, type LogCheckpoints } from './checkpoints.ts';
import { IngestConsumer } from './ingest-consumer.ts';
import { IngestMetrics } from './metrics.ts';
import { OutboundPublisher } from './outbound-publisher.ts';
import { topics as topicNames, type Topics } from './topics.ts';

export interface IngestServiceOptions {
  store: EventStore;
  /** Every answer given, kept for redeliveries (`sqlOutcomeLog` over the store's database). */
  outcomes: OutcomeLog;
  brokers: string[];
  logger: Logger;
  /** @default 'concord' */
  topicPrefix?: string;
  /** @default 'concord-ingest' */
  groupId?: string;
  /** @default 'outbound-kafka' */
  outboundSubscriberId?: string;
  /** @default 'process-manager-deviation-batch' */
  processManagerSubscriberId?: string;
  clock?: () => Date;
  /**
   * Signs a receipt for every answer (`receiptSigner(key)` of `@concord/evidence`); a rejection's
   * goes to the partner in the rejection record's `concord-receipt` header.
   */
  receipts?: ReceiptSigner;
  /**
   * Sign a checkpoint of the whole log every `intervalMs` when it grew (and once on start), each
   * published to every partner's outbound topic; on start, with nothing new, the latest again.
   * Leave it out where another part of the process signs (the embedded platform), and hand that
   * one's checkpoints to `publishCheckpoint`.
   */
  checkpoints?: {
    log: CheckpointLog;
    key: PlatformKey;
    keyring: PlatformKeyring;
    /** @default 60000 */
    intervalMs?: number;
  };
  /**
   * How the instances choose which one runs the outbound publisher and the process manager (every
   * instance consumes its share of the partitions). Pass `sqlLeaderElections(db)` when several
   * instances run. @default soleLeader (this instance runs both)
   */
  elector?: Elector;
  /** Largest event accepted, in bytes. @default 1 MiB */
  maxEventBytes?: number;
  /** How long a silent instance keeps its partitions. @default 10000 */
  sessionTimeoutMs?: number;
  /** How often partners' new inbound topics are looked for. @default 5000 */
  topicRefreshMs?: number;
  /**
   * Silence from the ingest group after which the consumer counts as stalled and /health fails.
   * @default 60000
   */
  stalledAfterMs?: number;
}

export interface IngestService {
  topics: Topics;
  metrics: IngestMetrics;
  /**
   * Publishes a checkpoint of the log to every partner's outbound topic, in the background: a
   * failure is logged (the next checkpoint covers it), a newer one offered meanwhile replaces it.
   */
  publishCheckpoint(checkpoint: LogCheckpoint): void;
  /** The checkpoint publisher (tests wait on `settled()`). */
  checkpointPublisher: CheckpointPublisher;
  /**
   * The periodic signing of checkpoints, when `checkpoints` was given and this instance leads
   * the `log-checkpoints` role (one signer per platform; another takes over when it stops).
   */
  readonly checkpoints: LogCheckpoints | undefined;
  /** The roles this instance stands for, and whether it leads each now. */
  leadership: Leadership[];
  stop(): Promise<void>;
}

/** The role of the one instance that signs the log's checkpoints and hands them to partners. */
export const LOG_CHECKPOINTS_ROLE = 'log-checkpoints';

/** The ingest process: the inbound consumer and the outbound publisher, sharing one producer. */
export async function startIngestService(options: IngestServiceOptions): Promise<IngestService> {
  const { store, logger } = options;
  const kafka = new Kafka({
    clientId: 'concord-ingest',
    brokers: options.brokers,
    logLevel: logLevel.WARN,
    retry: { retries: 10, initialRetryTime: 200, maxRetryTime: 30_000 },
  });
  const producer: Producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const topics = topicNames(options.topicPrefix);
  const metrics = new IngestMetrics();
  if (options.stalledAfterMs !== undefined) metrics.stalledAfterMs = options.stalledAfterMs;
  const pipeline = new IngestPipeline({
    store,
    outcomes: options.outcomes,
    clock: options.clock,
    ...(options.receipts ? { receipts: options.receipts } : {}),
  });
  const consumer = new IngestConsumer({
    kafka,
    producer,
    pipeline,
    topics,
    metrics,
    logger,
    groupId: options.groupId,
    maxEventBytes: options.maxEventBytes,
    sessionTimeoutMs: options.sessionTimeoutMs,
    topicRefreshMs: options.topicRefreshMs,
    storeAnswers: () => store.headPosition(),
  });
  const publisher = new OutboundPublisher({
    store,
    producer,
    topics,
    metrics,
    logger,
    subscriberId: options.outboundSubscriberId,
  });
  const checkpointPublisher = new CheckpointPublisher({ kafka, producer, topics, metrics, logger });
  await consumer.start();
  // Nothing ends the service but a failure to start: the consumer replaces itself, and the
  // subscriptions resume from their checkpoints after a transient failure.
  const restarting = (subscription: string) => (error: unknown, retryInMs: number) =>
    logger.error({ err: error, subscription, retryInMs }, 'subscription failed; restarting');
  const elect = options.elector ?? soleLeader;
  const leadership = [
    elect(publisher.subscriberId, () =>
      superviseSubscription((onError) => publisher.start(onError), {
        onFailure: restarting('outbound-publisher'),
      }),
    ),
    elect(options.processManagerSubscriberId ?? DEVIATION_BATCH_LINKER, () =>
      superviseSubscription(
        (onError) =>
          startDeviationBatchLinker({
            store,
            subscriberId: options.processManagerSubscriberId,
            onRefused: ({ streamId, type, error }) =>
              logger.warn({ streamId, type, err: error }, 'a batch refused a deviation link'),
            onError,
          }),
        { onFailure: restarting('deviation-batch-linker') },
      ),
    ),
  ];
  // One signer of the log's checkpoints at a time, like the other roles: each instance signing
  // would send every partner a checkpoint from each of them.
  const checkpointOptions = options.checkpoints;
  let checkpoints: LogCheckpoints | undefined;
  const signer = checkpointOptions
    ? elect(LOG_CHECKPOINTS_ROLE, () => {
        const signing = startLogCheckpoints({
          store,
          ...checkpointOptions,
          logger,
          ...(options.clock ? { clock: options.clock } : {}),
          publish: (checkpoint) => checkpointPublisher.offer(checkpoint),
        });
        checkpoints = signing;
        return {
          async stop() {
            if (checkpoints === signing) checkpoints = undefined;
            await signing.stop();
          },
        };
      })
    : undefined;
  if (signer) leadership.push(signer);
  return {
    topics,
    metrics,
    publishCheckpoint: (checkpoint) => checkpointPublisher.offer(checkpoint),
    checkpointPublisher,
    get checkpoints() {
      return checkpoints;
    },
    leadership,
    async stop() {
      // Signing stops before the publisher it hands checkpoints to.
      await signer?.stop();
      await checkpointPublisher.stop();
      await consumer.stop();
      await Promise.all(leadership.map((role) => role.stop()));
      await producer.disconnect();
    },
  };
}
