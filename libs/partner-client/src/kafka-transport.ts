import {
  ContractViolationError,
  decodeKafkaRecord,
  decodeLogCheckpointRecord,
  encodeKafkaRecord,
  RECEIPT_HEADER,
  validateRejection,
  type ConcordEvent,
  type KafkaRecordOut,
  type Rejection,
  type ValidationError,
} from '@concord/contract';
import {
  Kafka,
  logLevel,
  type Consumer,
  type KafkaMessage,
  type Producer,
  type RecordMetadata,
} from 'kafkajs';
import type { SignedCheckpoint, SignedReceipt } from '@concord/verifier';
import { InvalidEventError, PartnerClientError } from './errors.ts';

/** Which cluster: an existing kafkajs client (TLS, SASL...), or plain brokers. */
export type KafkaConnection =
  | { kafka: Kafka; brokers?: never }
  | { brokers: string[]; kafka?: never };

/** Concord's topic names for an organization (`<prefix>.in.<org>` and so on). */
export function partnerTopics(organizationId: string, prefix = 'concord') {
  return {
    inbound: `${prefix}.in.${organizationId}`,
    outbound: `${prefix}.out.${organizationId}`,
    rejections: `${prefix}.rejections.${organizationId}`,
  };
}

export type KafkaTransportOptions = KafkaConnection & {
  /** The partner's organization: its events go to `concord.in.<organizationId>`. */
  organizationId: string;
  /** @default `concord.in.<organizationId>` */
  topic?: string;
  /** Events and bytes per produce request. @defaults 500 and 512 KiB (under the broker's 1 MiB) */
  batchSize?: number;
  maxBatchBytes?: number;
};

export interface KafkaTransport {
  readonly topic: string;
  /**
   * Produces events in binary mode, keyed by subject, in the order given: one idempotent producer
   * with one request in flight keeps each subject's events in order. Every event is checked before
   * the first record is produced. Resolves once the brokers acknowledged (acks: all).
   */
  send(events: readonly ConcordEvent[]): Promise<RecordMetadata[]>;
  disconnect(): Promise<void>;
}

const kafkaFor = (connection: KafkaConnection, clientId: string) =>
  connection.kafka ?? new Kafka({ brokers: connection.brokers, clientId, logLevel: logLevel.WARN });

/** kafkajs errors carry their own `retriable`; keep it and the error as the cause. */
function transportError(what: string, error: unknown): PartnerClientError {
  const retriable =
    typeof error === 'object' && error !== null && 'retriable' in error
      ? Boolean((error as { retriable: unknown }).retriable)
      : true;
  const message = error instanceof Error ? error.message : String(error);
  return new PartnerClientError(`${what}: ${message}`, { retriable, cause: error });
}

function encode(event: ConcordEvent, index: number, organizationId: string): KafkaRecordOut {
  if (event.actororg !== organizationId) {
    throw new InvalidEventError(
      [
        {
          path: '/actororg',
          code: 'invalid',
          message: `The field /actororg is ${JSON.stringify(event.actororg)}; this transport sends ${organizationId}'s events.`,
        },
      ],
      { prefix: `Event ${index} cannot go to ${organizationId}'s topic` },
    );
  }
  try {
    return encodeKafkaRecord(event);
  } catch (error) {
    if (error instanceof ContractViolationError) {
      throw new InvalidEventError(error.errors, {
        cause: error,
        prefix: `Event ${index} breaks the Concord contract`,
      });
    }
    throw error;
  }
}

const recordBytes = (record: KafkaRecordOut) =>
  record.key.byteLength +
  record.value.byteLength +
  Object.entries(record.headers).reduce((n, [k, v]) => n + k.length + v.byteLength, 0);

/** Produces a partner's events to its Concord inbound topic. Connects on the first send. */
export function kafkaTransport(options: KafkaTransportOptions): KafkaTransport {
  const topic = options.topic ?? partnerTopics(options.organizationId).inbound;
  const kafka = kafkaFor(options, `concord-partner-${options.organizationId}`);
  const batchSize = options.batchSize ?? 500;
  const maxBatchBytes = options.maxBatchBytes ?? 512 * 1024;
  let producer: Producer | undefined;
  let connecting: Promise<Producer> | undefined;

  function connected(): Promise<Producer> {
    connecting ??= (async () => {
      const created = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
      try {
        await created.connect();
      } catch (error) {
        connecting = undefined;
        throw transportError('Could not connect to Kafka', error);
      }
      producer = created;
      return created;
    })();
    return connecting;
  }

  return {
    topic,
    async send(events) {
      const records = events.map((event, index) => encode(event, index, options.organizationId));
      const client = await connected();
      const metadata: RecordMetadata[] = [];
      let start = 0;
      while (start < records.length) {
        let end = start;
        let bytes = 0;
        while (end < records.length && end - start < batchSize) {
          const size = recordBytes(records[end]!);
          if (end > start && bytes + size > maxBatchBytes) break;
          bytes += size;
          end++;
        }
        try {
          metadata.push(
            ...(await client.send({ topic, acks: -1, messages: records.slice(start, end) })),
          );
        } catch (error) {
          throw transportError(`Producing to ${topic} failed after ${start} events`, error);
        }
        start = end;
      }
      return metadata;
    },
    async disconnect() {
      connecting = undefined;
      const current = producer;
      producer = undefined;
      await current?.disconnect();
    },
  };
}

/** Where a record came from, for logging and correlation. */
export interface ReceivedRecord {
  topic: string;
  partition: number;
  offset: string;
  message: KafkaMessage;
}

export type SubscribeOutcomesOptions = KafkaConnection & {
  organizationId: string;
  /** The partner's consumer group (committed offsets are per group). */
  groupId: string;
  /** Read each topic from its start when the group has no offset yet. @default false */
  fromBeginning?: boolean;
  /** @default 'concord' */
  topicPrefix?: string;
  /** Override the topics (tests). @default `<prefix>.out.<org>` and `<prefix>.rejections.<org>` */
  topics?: { outbound?: string; rejections?: string };
  /** Each accepted, canonical event on `concord.out.<org>` (decoded and validated). */
  onEvent?: (event: ConcordEvent, record: ReceivedRecord) => Promise<void> | void;
  /**
   * Each signed checkpoint of Concord's whole log on `concord.out.<org>` (a
   * `concord.log.checkpoint.v1` record, checked against its schema only). Keep them: check each
   * with `verifyCheckpointSignature` of `@concord/verifier` against Concord's keyring, and that a
   * newer one extends one kept (`checkpointsConsistent`, with the proof GraphQL `logCheckpoint`
   * gives). The same checkpoint may come again (Concord publishes its latest when it starts):
   * its `treeSize` (and the record's `ce_id`) tell.
   */
  onCheckpoint?: (checkpoint: SignedCheckpoint, record: ReceivedRecord) => Promise<void> | void;
  /**
   * Each rejection of one of the partner's events on `concord.rejections.<org>`, with Concord's
   * signed receipt of it when the record carries one (the `concord-receipt` header): keep it, and
   * check it with `verifyReceiptSignature` of `@concord/verifier` against Concord's keyring.
   */
  onRejection?: (
    rejection: Rejection,
    record: ReceivedRecord,
    receipt: SignedReceipt | undefined,
  ) => Promise<void> | void;
  /**
   * A record that is not what the contract says (skipped after this). A newer platform may add
   * fields a client does not know yet, so this must not stop the subscription.
   * @default ignores it
   */
  onUndecodable?: (errors: readonly ValidationError[], record: ReceivedRecord) => void;
};

export interface OutcomeSubscription {
  readonly topics: readonly string[];
  stop(): Promise<void>;
}

/**
 * Follows what Concord says about a partner's events: the accepted events it may see
 * (`concord.out.<org>`), Concord's signed checkpoints of its whole log (on the same topic) and the
 * rejections of its own (`concord.rejections.<org>`). Only the topics
 * with a handler are read. A handler that throws is retried by kafkajs (the offset is not
 * committed), so handlers should be idempotent.
 */
export async function subscribeOutcomes(
  options: SubscribeOutcomesOptions,
): Promise<OutcomeSubscription> {
  const names = partnerTopics(options.organizationId, options.topicPrefix);
  const outbound = options.topics?.outbound ?? names.outbound;
  const rejections = options.topics?.rejections ?? names.rejections;
  const topics = [
    ...(options.onEvent || options.onCheckpoint ? [outbound] : []),
    ...(options.onRejection ? [rejections] : []),
  ];
  if (topics.length === 0) {
    throw new PartnerClientError(
      'subscribeOutcomes needs at least one of onEvent, onCheckpoint and onRejection.',
      { retriable: false },
    );
  }
  const kafka = kafkaFor(options, `concord-partner-${options.organizationId}`);
  const consumer: Consumer = kafka.consumer({ groupId: options.groupId });
  try {
    await consumer.connect();
    await consumer.subscribe({ topics, fromBeginning: options.fromBeginning ?? false });
    await consumer.run({
      eachMessage: async ({ topic, partition, message }) => {
        const record: ReceivedRecord = { topic, partition, offset: message.offset, message };
        if (topic === outbound) {
          // A checkpoint of the log is told by its type before anything is read as an event.
          const checkpoint = decodeLogCheckpointRecord(message);
          if (checkpoint !== undefined) {
            if (!options.onCheckpoint) return;
            if (checkpoint.ok) await options.onCheckpoint(checkpoint.checkpoint, record);
            else options.onUndecodable?.(checkpoint.errors, record);
            return;
          }
          if (!options.onEvent) return;
          const decoded = decodeKafkaRecord(message);
          if (decoded.ok) await options.onEvent(decoded.event, record);
          else options.onUndecodable?.(decoded.errors, record);
          return;
        }
        if (topic === rejections && options.onRejection) {
          let value: unknown;
          try {
            value = JSON.parse(message.value?.toString('utf8') ?? '');
          } catch {
            options.onUndecodable?.(
              [{ path: '', code: 'undecodable', message: 'The rejection is not JSON.' }],
              record,
            );
            return;
          }
          const checked = validateRejection(value);
          if (checked.ok) await options.onRejection(checked.rejection, record, receiptOf(message));
          else options.onUndecodable?.(checked.errors, record);
        }
      },
    });
  } catch (error) {
    await consumer.disconnect().catch(() => undefined);
    throw transportError(`Could not subscribe to ${topics.join(', ')}`, error);
  }
  return { topics, stop: () => consumer.disconnect() };
}

/**
 * The receipt a rejection record carries in its `concord-receipt` header, if it is one; whether
 * Concord signed it is for the partner to check against Concord's keyring.
 */
export function receiptOf(message: Pick<KafkaMessage, 'headers'>): SignedReceipt | undefined {
  const header = message.headers?.[RECEIPT_HEADER];
  const raw = Array.isArray(header) ? header[0] : header;
  if (raw === undefined) return undefined;
  try {
    const value = JSON.parse(raw.toString()) as Partial<SignedReceipt> | null;
    return value !== null &&
      typeof value === 'object' &&
      value.format === 'concord.receipt.v1' &&
      typeof value.signature === 'string'
      ? (value as SignedReceipt)
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The checkpoint of Concord's log an outbound record carries, if it is a well-formed
 * `concord.log.checkpoint.v1` record (for partners reading the topic with their own consumer);
 * whether Concord signed it is for the partner to check against Concord's keyring.
 */
export function checkpointOf(
  message: Pick<KafkaMessage, 'headers' | 'value'>,
): SignedCheckpoint | undefined {
  const decoded = decodeLogCheckpointRecord(message);
  return decoded?.ok ? decoded.checkpoint : undefined;
}
