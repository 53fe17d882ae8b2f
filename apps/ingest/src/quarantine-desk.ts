import { randomUUID } from 'node:crypto';
import { QUARANTINE_HEADERS } from '@concord/contract';
import type { QuarantineResolution, QuarantineResolutions } from '@concord/ingest';
import { Kafka, logLevel, type IHeaders, type KafkaMessage } from 'kafkajs';

/** A record ingest set aside on `<prefix>.quarantine`, where it came from, why, and what was done. */
export interface QuarantinedRecord {
  /** `<partition>:<offset>` on the quarantine topic: how it is named. */
  ref: string;
  quarantinedAt: string | undefined;
  /** The inbound topic, partition and offset it came from. */
  from: string;
  eventId: string | undefined;
  eventType: string | undefined;
  source: string | undefined;
  reason: string | undefined;
  /** The partner's record as it came: key, headers (the quarantine's own included), value. */
  key: string | null;
  headers: Record<string, string | undefined>;
  value: string | null;
  /** What operators did with it, newest first (when the desk keeps resolutions). */
  resolutions: QuarantineResolution[];
}

export interface QuarantineDeskOptions {
  brokers: string[];
  /** @default 'concord' */
  topicPrefix?: string;
  /** Where retries and skips are recorded, with who and why; skip needs it. */
  resolutions?: QuarantineResolutions;
  /** The longest a look at the topic takes. @default 30_000 */
  readTimeoutMs?: number;
}

/** Who acts on a quarantined record, and why (recorded). */
export interface QuarantineActor {
  actor: string;
  reason: string;
}

export type QuarantineRetry =
  | { status: 'sent'; topic: string; partition: number; offset: string; record: QuarantinedRecord }
  | { status: 'unknown' }
  | { status: 'no-inbound-topic'; topic: string | undefined };

const text = (headers: IHeaders | undefined, name: string): string | undefined => {
  const value = headers?.[name];
  const first = Array.isArray(value) ? value[0] : value;
  return first === undefined ? undefined : first.toString();
};

/**
 * The operators' desk for ingest's quarantine: lists the records set aside, shows one as the
 * partner sent it, sends one to ingest again exactly as it came, or skips it for good with a
 * reason. The topic is a log: nothing is removed from it; what was done is recorded beside it.
 */
export class QuarantineDesk {
  readonly #options: QuarantineDeskOptions & { topicPrefix: string; readTimeoutMs: number };
  readonly #kafka: Kafka;

  constructor(options: QuarantineDeskOptions) {
    this.#options = { topicPrefix: 'concord', readTimeoutMs: 30_000, ...options };
    this.#kafka = new Kafka({
      brokers: options.brokers,
      clientId: 'concord-quarantine-desk',
      logLevel: logLevel.NOTHING,
      retry: { retries: 3 },
    });
  }

  get topic(): string {
    return `${this.#options.topicPrefix}.quarantine`;
  }

  /** Every quarantined record as the topic holds it now, oldest first per partition. */
  async list(): Promise<QuarantinedRecord[]> {
    const messages = await this.#read();
    const resolutions = (await this.#options.resolutions?.list()) ?? [];
    return messages.map(({ partition, message }) => {
      const ref = `${partition}:${message.offset}`;
      const { headers } = message;
      return {
        ref,
        quarantinedAt: text(headers, QUARANTINE_HEADERS.at),
        from: `${text(headers, QUARANTINE_HEADERS.topic)}/${text(headers, QUARANTINE_HEADERS.partition)}/${text(headers, QUARANTINE_HEADERS.offset)}`,
        eventId: text(headers, 'ce_id'),
        eventType: text(headers, 'ce_type'),
        source: text(headers, 'ce_source'),
        reason: text(headers, QUARANTINE_HEADERS.reason),
        key: message.key?.toString() ?? null,
        headers: Object.fromEntries(
          Object.keys(headers ?? {}).map((name) => [name, text(headers, name)]),
        ),
        value: message.value?.toString() ?? null,
        resolutions: resolutions.filter((resolution) => resolution.ref === ref),
      };
    });
  }

  async find(ref: string): Promise<QuarantinedRecord | undefined> {
    return (await this.list()).find((record) => record.ref === ref);
  }

  /**
   * Sends a quarantined record to ingest again, as the partner sent it (key, value and headers;
   * the quarantine's own headers dropped) on the inbound topic it came from. Ingest decides it
   * like any record: accepted, or rejected with its reason on the partner's rejection topic.
   */
  async retry(ref: string, by?: QuarantineActor): Promise<QuarantineRetry> {
    const record = await this.find(ref);
    if (!record) return { status: 'unknown' };
    const topic = record.headers[QUARANTINE_HEADERS.topic];
    if (!topic?.startsWith(`${this.#options.topicPrefix}.in.`))
      return { status: 'no-inbound-topic', topic };
    const quarantineHeaders = new Set<string>(Object.values(QUARANTINE_HEADERS));
    const headers = Object.fromEntries(
      Object.entries(record.headers).filter(
        ([name, value]) => !quarantineHeaders.has(name) && value !== undefined,
      ),
    ) as IHeaders;
    const producer = this.#kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    try {
      const [sent] = await producer.send({
        topic,
        acks: -1,
        messages: [{ key: record.key, value: record.value, headers }],
      });
      if (by)
        await this.#options.resolutions?.record({
          ref,
          eventId: record.eventId ?? null,
          action: 'retried',
          ...by,
        });
      return {
        status: 'sent',
        topic,
        partition: sent?.partition ?? 0,
        offset: sent?.baseOffset ?? '',
        record,
      };
    } finally {
      await producer.disconnect();
    }
  }

  /** Leaves a quarantined record unhandled for good, recording who and why. */
  async skip(ref: string, by: QuarantineActor): Promise<QuarantinedRecord | undefined> {
    const { resolutions } = this.#options;
    if (!resolutions) throw new Error('skipping needs where to record it (a database)');
    const record = await this.find(ref);
    if (!record) return undefined;
    await resolutions.record({ ref, eventId: record.eventId ?? null, action: 'skipped', ...by });
    return { ...record, resolutions: await resolutionsOf(resolutions, ref) };
  }

  /**
   * The topic read from the start up to each partition's end by a consumer of its own that
   * commits nothing, then left.
   */
  async #read(): Promise<{ partition: number; message: KafkaMessage }[]> {
    const { topic } = this;
    const admin = this.#kafka.admin();
    await admin.connect();
    let ends: { partition: number; high: string; low: string }[];
    try {
      if (!(await admin.listTopics()).includes(topic)) return [];
      ends = await admin.fetchTopicOffsets(topic);
    } finally {
      await admin.disconnect();
    }
    const waiting = new Map(
      ends.filter(({ high, low }) => BigInt(high) > BigInt(low)).map((end) => [end.partition, end]),
    );
    const found: { partition: number; message: KafkaMessage }[] = [];
    if (waiting.size === 0) return found;
    const consumer = this.#kafka.consumer({ groupId: `concord-quarantine-desk-${randomUUID()}` });
    await consumer.connect();
    try {
      await consumer.subscribe({ topic, fromBeginning: true });
      await new Promise<void>((resolve, reject) => {
        // A broker that stops answering must not hang an operator.
        const timer = setTimeout(
          () =>
            reject(
              new Error(
                `could not read ${topic} to its end within ${this.#options.readTimeoutMs / 1000} s`,
              ),
            ),
          this.#options.readTimeoutMs,
        );
        consumer.on(consumer.events.STOP, () => clearTimeout(timer));
        consumer
          .run({
            autoCommit: false,
            eachMessage: async ({ partition, message }) => {
              const end = waiting.get(partition);
              if (!end || BigInt(message.offset) >= BigInt(end.high)) return;
              found.push({ partition, message });
              if (BigInt(message.offset) + 1n >= BigInt(end.high)) waiting.delete(partition);
              if (waiting.size === 0) {
                clearTimeout(timer);
                resolve();
              }
            },
          })
          .catch(reject);
      });
    } finally {
      await consumer.disconnect();
    }
    return found.sort(
      (a, b) =>
        a.partition - b.partition || Number(BigInt(a.message.offset) - BigInt(b.message.offset)),
    );
  }
}

async function resolutionsOf(resolutions: QuarantineResolutions, ref: string) {
  return (await resolutions.list()).filter((resolution) => resolution.ref === ref);
}
