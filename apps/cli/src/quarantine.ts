import { QUARANTINE_HEADERS } from '@concord/contract';
import { Kafka, logLevel, type IHeaders, type KafkaMessage } from 'kafkajs';
import { randomUUID } from 'node:crypto';
import { EXIT, UsageError, type CliIo } from './io.ts';

export interface QuarantineOptions {
  kafka: string;
  topicPrefix: string;
  json?: boolean;
}

/** The longest a command reads the quarantine topic. */
const READ_TIMEOUT_MS = 30_000;

/** A record ingest set aside, where it sits on the quarantine topic and where it came from. */
interface Quarantined {
  /** `<partition>:<offset>` on the quarantine topic: how `show` and `retry` name it. */
  ref: string;
  partition: number;
  offset: string;
  message: KafkaMessage;
}

const text = (headers: IHeaders | undefined, name: string): string | undefined => {
  const value = headers?.[name];
  const first = Array.isArray(value) ? value[0] : value;
  return first === undefined ? undefined : first.toString();
};

const kafkaOf = (options: QuarantineOptions) =>
  new Kafka({
    brokers: options.kafka.split(',').map((broker) => broker.trim()),
    clientId: 'concord-cli-quarantine',
    logLevel: logLevel.NOTHING,
    retry: { retries: 3 },
  });

/**
 * Every record on `<prefix>.quarantine` as it is now: read from the start up to each partition's
 * end (a consumer of its own that commits nothing), then the consumer leaves.
 */
async function readQuarantine(options: QuarantineOptions): Promise<Quarantined[]> {
  const kafka = kafkaOf(options);
  const topic = `${options.topicPrefix}.quarantine`;
  const admin = kafka.admin();
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
  const found: Quarantined[] = [];
  if (waiting.size === 0) return found;
  const consumer = kafka.consumer({ groupId: `concord-cli-quarantine-${randomUUID()}` });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      // A broker that stops answering must not hang an operator's command.
      const timer = setTimeout(
        () =>
          reject(
            new Error(`could not read ${topic} to its end within ${READ_TIMEOUT_MS / 1000} s`),
          ),
        READ_TIMEOUT_MS,
      );
      consumer.on(consumer.events.STOP, () => clearTimeout(timer));
      consumer
        .run({
          autoCommit: false,
          eachMessage: async ({ partition, message }) => {
            const end = waiting.get(partition);
            if (!end || BigInt(message.offset) >= BigInt(end.high)) return;
            found.push({
              ref: `${partition}:${message.offset}`,
              partition,
              offset: message.offset,
              message,
            });
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
    (a, b) => a.partition - b.partition || Number(BigInt(a.offset) - BigInt(b.offset)),
  );
}

const summary = ({ ref, message }: Quarantined) => ({
  ref,
  quarantinedAt: text(message.headers, QUARANTINE_HEADERS.at),
  from: `${text(message.headers, QUARANTINE_HEADERS.topic)}/${text(message.headers, QUARANTINE_HEADERS.partition)}/${text(message.headers, QUARANTINE_HEADERS.offset)}`,
  eventId: text(message.headers, 'ce_id'),
  eventType: text(message.headers, 'ce_type'),
  source: text(message.headers, 'ce_source'),
  reason: text(message.headers, QUARANTINE_HEADERS.reason),
});

/** The records ingest set aside for operators, with where they came from and why. */
export async function quarantineList(options: QuarantineOptions, io: CliIo): Promise<number> {
  const records = await readQuarantine(options);
  if (options.json) {
    for (const record of records) io.stdout.write(`${JSON.stringify(summary(record))}\n`);
    return EXIT.ok;
  }
  if (records.length === 0) {
    io.stdout.write('the quarantine is empty\n');
    return EXIT.ok;
  }
  for (const record of records) {
    const row = summary(record);
    io.stdout.write(
      `${row.ref}\t${row.quarantinedAt ?? '?'}\t${row.eventType ?? '?'}\t${row.eventId ?? '?'}\tfrom ${row.from}\n  ${row.reason ?? ''}\n`,
    );
  }
  io.stdout.write(
    `${records.length} record(s); \`concord quarantine show <ref>\` inspects one, \`retry <ref>\` sends it to ingest again\n`,
  );
  return EXIT.ok;
}

async function find(ref: string, options: QuarantineOptions, io: CliIo) {
  if (!/^\d{1,9}:\d{1,19}$/.test(ref))
    throw new UsageError(`${ref} is not a quarantined record's <partition>:<offset>`);
  const record = (await readQuarantine(options)).find((candidate) => candidate.ref === ref);
  if (!record)
    io.stderr.write(`no quarantined record at ${ref} (\`concord quarantine list\` lists them)\n`);
  return record;
}

/** One quarantined record: where it came from, why, and the partner's record as it came. */
export async function quarantineShow(
  ref: string,
  options: QuarantineOptions,
  io: CliIo,
): Promise<number> {
  const record = await find(ref, options, io);
  if (!record) return EXIT.rejected;
  const headers = Object.fromEntries(
    Object.keys(record.message.headers ?? {}).map((name) => [
      name,
      text(record.message.headers, name),
    ]),
  );
  io.stdout.write(
    `${JSON.stringify(
      {
        ...summary(record),
        key: record.message.key?.toString() ?? null,
        headers,
        value: record.message.value?.toString() ?? null,
      },
      null,
      2,
    )}\n`,
  );
  return EXIT.ok;
}

/**
 * Sends a quarantined record to ingest again, as the partner sent it (its key, value and headers;
 * the quarantine's own headers dropped) on the inbound topic it came from. Ingest decides it like
 * any record: accepted, or rejected with its reason on the partner's rejection topic. The record
 * stays on the quarantine topic (a log), as does this retry in ingest's answers.
 */
export async function quarantineRetry(
  ref: string,
  options: QuarantineOptions,
  io: CliIo,
): Promise<number> {
  const record = await find(ref, options, io);
  if (!record) return EXIT.rejected;
  const topic = text(record.message.headers, QUARANTINE_HEADERS.topic);
  if (!topic?.startsWith(`${options.topicPrefix}.in.`)) {
    io.stderr.write(
      `the record at ${ref} names no inbound topic of ${options.topicPrefix} (${topic})\n`,
    );
    return EXIT.rejected;
  }
  const quarantineHeaders = new Set<string>(Object.values(QUARANTINE_HEADERS));
  const headers = Object.fromEntries(
    Object.entries(record.message.headers ?? {}).filter(([name]) => !quarantineHeaders.has(name)),
  ) as IHeaders;
  const producer = kafkaOf(options).producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  try {
    const [sent] = await producer.send({
      topic,
      acks: -1,
      messages: [{ key: record.message.key, value: record.message.value, headers }],
    });
    io.stdout.write(
      `sent ${summary(record).eventId ?? ref} to ${topic} again (partition ${sent?.partition}, offset ${sent?.baseOffset}); ingest answers it as any record\n`,
    );
    return EXIT.ok;
  } finally {
    await producer.disconnect();
  }
}
