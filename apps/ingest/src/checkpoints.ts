// The platform's signed checkpoints of its whole log, signed periodically where the platform key
// lives and published to every partner (their outbound topic), so that an insider cannot quietly
// rewrite what a partner has already seen: a later checkpoint must extend each one kept.
import { encodeLogCheckpointRecord, type LogCheckpoint } from '@concord/contract';
import type { EventStore } from '@concord/event-store';
import {
  startCheckpointing,
  type CheckpointLog,
  type PlatformKey,
  type PlatformKeyring,
} from '@concord/evidence';
import type { Admin, Kafka, Producer } from 'kafkajs';
import type { Logger } from 'pino';
import type { IngestMetrics } from './metrics.ts';
import { partnerOrganizationsIn, type Topics } from './topics.ts';

/** How often the log is checkpointed (when it grew) by default: once a minute. */
export const DEFAULT_CHECKPOINT_INTERVAL_MS = 60_000;

export interface CheckpointPublisherOptions {
  /** For the topic list (who the partners are). */
  kafka: Kafka;
  producer: Producer;
  topics: Topics;
  logger: Logger;
  metrics?: IngestMetrics;
  /** How long `stop` waits for a publication under way (the broker may be down). @default 10000 */
  stopTimeoutMs?: number;
}

/** What one publication reached. */
export interface CheckpointPublication {
  /** The organizations whose outbound topic has the checkpoint. */
  published: string[];
  /** Those whose outbound topic could not be written. */
  failed: { organizationId: string; error: unknown }[];
}

/**
 * Publishes checkpoints of the log to every partner: each organization with an inbound topic on
 * the broker (as the ingest consumer finds them) gets it on its outbound topic. In the background
 * and newest first: `offer` never blocks nor throws, a checkpoint offered while another is being
 * published replaces any still waiting (the newer covers everything the older did), and one that
 * cannot be published (the broker down) is logged and dropped: it stays in the checkpoint log,
 * and the next one reaches the partners instead.
 */
export class CheckpointPublisher {
  readonly #options: CheckpointPublisherOptions;
  readonly #admin: Admin;
  #connected: Promise<void> | undefined;
  #pending: LogCheckpoint | undefined;
  #draining: Promise<void> | undefined;
  #stopped = false;

  constructor(options: CheckpointPublisherOptions) {
    this.#options = options;
    this.#admin = options.kafka.admin();
  }

  /** Publishes the checkpoint in the background (unless a newer one is already waiting). */
  offer(checkpoint: LogCheckpoint): void {
    if (this.#stopped) return;
    if (this.#pending === undefined || checkpoint.treeSize >= this.#pending.treeSize)
      this.#pending = checkpoint;
    this.#draining ??= this.#drain().finally(() => {
      this.#draining = undefined;
    });
  }

  /** Resolves once nothing offered is waiting or being published. */
  async settled(): Promise<void> {
    while (this.#draining) await this.#draining;
  }

  /** Publishes one checkpoint now to every partner's outbound topic; throws when none is known. */
  async publish(checkpoint: LogCheckpoint): Promise<CheckpointPublication> {
    const { producer, topics } = this.#options;
    const record = encodeLogCheckpointRecord(checkpoint);
    this.#connected ??= this.#admin.connect().catch((error: unknown) => {
      this.#connected = undefined;
      throw error;
    });
    await this.#connected;
    const organizations = partnerOrganizationsIn(await this.#admin.listTopics(), topics);
    // One partner's topic failing must not keep the checkpoint from the others.
    const results = await Promise.allSettled(
      organizations.map((organizationId) =>
        producer.send({ topic: topics.outbound(organizationId), acks: -1, messages: [record] }),
      ),
    );
    const publication: CheckpointPublication = { published: [], failed: [] };
    results.forEach((result, index) => {
      const organizationId = organizations[index]!;
      if (result.status === 'fulfilled') publication.published.push(organizationId);
      else publication.failed.push({ organizationId, error: result.reason });
    });
    return publication;
  }

  async #drain(): Promise<void> {
    const { logger, metrics } = this.#options;
    while (this.#pending) {
      const checkpoint = this.#pending;
      this.#pending = undefined;
      const about = { treeSize: checkpoint.treeSize, timestamp: checkpoint.timestamp };
      try {
        const { published, failed } = await this.publish(checkpoint);
        if (published.length > 0 && metrics) metrics.checkpointsPublished++;
        if (failed.length > 0)
          logger.error(
            {
              ...about,
              err: failed[0]!.error,
              failed: failed.map((f) => f.organizationId),
              published: published.length,
            },
            'could not publish the checkpoint of the log to some partners; the next checkpoint covers it',
          );
        else
          logger.info({ ...about, partners: published.length }, 'checkpoint of the log published');
      } catch (error) {
        logger.error(
          { ...about, err: error },
          'could not publish the checkpoint of the log; it is kept in the checkpoint log and the next one covers it',
        );
      }
    }
  }

  /** Stops taking checkpoints; waits a while for the one under way, then lets go of the broker. */
  async stop(): Promise<void> {
    this.#stopped = true;
    const draining = this.#draining;
    if (draining) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        draining,
        new Promise((resolve) => {
          timer = setTimeout(resolve, this.#options.stopTimeoutMs ?? 10_000);
        }),
      ]);
      clearTimeout(timer);
    }
    this.#pending = undefined;
    if (this.#connected) await this.#admin.disconnect().catch(() => undefined);
  }
}

export interface LogCheckpointsOptions {
  store: EventStore;
  log: CheckpointLog;
  key: PlatformKey;
  keyring: PlatformKeyring;
  logger: Logger;
  /** How often the log is checkpointed, when it grew. @default 60000 */
  intervalMs?: number;
  clock?: () => Date;
  /**
   * Hands a checkpoint to the partners (`CheckpointPublisher.offer`): each new one, and on start
   * the latest again (a partner that missed it catches up). Must not block.
   */
  publish?: (checkpoint: LogCheckpoint) => void;
}

export interface LogCheckpoints {
  /** Signs a checkpoint now if the log grew (and publishes it): the new one, else undefined. */
  runNow(): Promise<LogCheckpoint | undefined>;
  /** Resolves once the first round is done: the log signed, or its latest checkpoint offered. */
  readonly started: Promise<void>;
  stop(): Promise<void>;
}

/**
 * Checkpoints the log now and then every `intervalMs` when it grew (never two at once; a failure
 * is logged and the next round tries again), handing each new checkpoint to `publish`. On start,
 * with nothing new to sign, the latest checkpoint is handed over again. Run one per process that
 * holds the platform key: several processes may each run one (racing signers sign the same
 * prefix, one row is kept, and what is published is the kept one).
 */
export function startLogCheckpoints(options: LogCheckpointsOptions): LogCheckpoints {
  const { log, logger, publish } = options;
  const checkpointing = startCheckpointing({
    store: options.store,
    log,
    key: options.key,
    keyring: options.keyring,
    intervalMs: options.intervalMs ?? DEFAULT_CHECKPOINT_INTERVAL_MS,
    ...(options.clock ? { clock: options.clock } : {}),
    onCheckpoint: async (signed) => {
      logger.info(
        { treeSize: signed.treeSize, rootHash: signed.rootHash },
        'signed a checkpoint of the log',
      );
      if (!publish) return;
      // A signer racing this one may have stored its own checkpoint of the same size (this one's
      // row was then dropped): partners get the stored one, the one GraphQL and HTTP serve.
      let checkpoint: LogCheckpoint = signed;
      try {
        const [stored] = await log.list({ afterTreeSize: signed.treeSize - 1, limit: 1 });
        if (stored?.treeSize === signed.treeSize) checkpoint = stored;
      } catch (error) {
        logger.warn(
          { err: error },
          'could not read the stored checkpoint; publishing the signed one',
        );
      }
      publish(checkpoint);
    },
    onError: (error) =>
      logger.error(
        { err: error },
        'could not sign a checkpoint of the log; the next round tries again',
      ),
  });
  const started = (async () => {
    const signed = await checkpointing.runNow();
    if (signed || !publish) return;
    try {
      const latest = await log.latest();
      if (latest) publish(latest);
    } catch (error) {
      logger.warn({ err: error }, 'could not read the latest checkpoint to publish it again');
    }
  })();
  return {
    runNow: checkpointing.runNow,
    started,
    async stop() {
      await started;
      await checkpointing.stop();
    },
  };
}
