import { userInfo } from 'node:os';
import { QuarantineDesk, type QuarantinedRecord } from '@concord/ingest-app';
import { sqlQuarantineResolutions } from '@concord/ingest';
import { databaseOf } from './audit-store.ts';
import { EXIT, UsageError, type CliIo } from './io.ts';

export interface QuarantineOptions {
  kafka: string;
  topicPrefix: string;
  json?: boolean;
  /** Where retries and skips are recorded (and shown by `list`): the platform's database. */
  databaseUrl?: string;
  pglite?: string;
  reason?: string;
  operator?: string;
}

/** The desk over the broker, recording what operators do where a database is given. */
async function deskOf(options: QuarantineOptions) {
  const db = options.databaseUrl || options.pglite ? await databaseOf(options) : undefined;
  const desk = new QuarantineDesk({
    brokers: options.kafka.split(',').map((broker) => broker.trim()),
    topicPrefix: options.topicPrefix,
    ...(db ? { resolutions: await sqlQuarantineResolutions(db) } : {}),
  });
  return { desk, close: async () => db?.close() };
}

const summary = (record: QuarantinedRecord) => ({
  ref: record.ref,
  quarantinedAt: record.quarantinedAt,
  from: record.from,
  eventId: record.eventId,
  eventType: record.eventType,
  source: record.source,
  reason: record.reason,
  ...(record.resolutions.length > 0
    ? {
        handled: record.resolutions.map(({ action, actor, reason, resolvedAt }) => ({
          action,
          actor,
          reason,
          at: resolvedAt.toISOString(),
        })),
      }
    : {}),
});

function checkRef(ref: string): void {
  if (!/^\d{1,9}:\d{1,19}$/.test(ref))
    throw new UsageError(`${ref} is not a quarantined record's <partition>:<offset>`);
}

const unknown = (ref: string, io: CliIo) => {
  io.stderr.write(`no quarantined record at ${ref} (\`concord quarantine list\` lists them)\n`);
  return EXIT.rejected;
};

/** Who acts and why, when the act is to be recorded. */
function actorOf(options: QuarantineOptions) {
  if (options.reason === undefined) return undefined;
  if (options.reason.trim() === '') throw new UsageError('--reason must say why');
  return {
    actor: options.operator ?? `os:${userInfo().username}`,
    reason: options.reason.trim(),
  };
}

/** The records ingest set aside for operators, with where they came from, why, and what was done. */
export async function quarantineList(options: QuarantineOptions, io: CliIo): Promise<number> {
  const { desk, close } = await deskOf(options);
  try {
    const records = await desk.list();
    if (options.json) {
      for (const record of records) io.stdout.write(`${JSON.stringify(summary(record))}\n`);
      return EXIT.ok;
    }
    if (records.length === 0) {
      io.stdout.write('the quarantine is empty\n');
      return EXIT.ok;
    }
    for (const record of records) {
      const handled = record.resolutions[0];
      io.stdout.write(
        `${record.ref}\t${record.quarantinedAt ?? '?'}\t${record.eventType ?? '?'}\t${record.eventId ?? '?'}\tfrom ${record.from}${handled ? `\t${handled.action} by ${handled.actor}` : ''}\n  ${record.reason ?? ''}\n`,
      );
    }
    io.stdout.write(
      `${records.length} record(s); \`concord quarantine show <ref>\` inspects one, \`retry <ref>\` sends it to ingest again, \`skip <ref> --reason …\` leaves it\n`,
    );
    return EXIT.ok;
  } finally {
    await close();
  }
}

/** One quarantined record: where it came from, why, and the partner's record as it came. */
export async function quarantineShow(
  ref: string,
  options: QuarantineOptions,
  io: CliIo,
): Promise<number> {
  checkRef(ref);
  const { desk, close } = await deskOf(options);
  try {
    const record = await desk.find(ref);
    if (!record) return unknown(ref, io);
    const { key, headers, value } = record;
    io.stdout.write(`${JSON.stringify({ ...summary(record), key, headers, value }, null, 2)}\n`);
    return EXIT.ok;
  } finally {
    await close();
  }
}

/**
 * Sends a quarantined record to ingest again, as the partner sent it, on the inbound topic it
 * came from; ingest decides it like any record. Recorded with who and why when `--reason` is
 * given with a database.
 */
export async function quarantineRetry(
  ref: string,
  options: QuarantineOptions,
  io: CliIo,
): Promise<number> {
  checkRef(ref);
  const by = actorOf(options);
  const { desk, close } = await deskOf(options);
  try {
    const retry = await desk.retry(ref, by);
    if (retry.status === 'unknown') return unknown(ref, io);
    if (retry.status === 'no-inbound-topic') {
      io.stderr.write(
        `the record at ${ref} names no inbound topic of ${options.topicPrefix} (${retry.topic})\n`,
      );
      return EXIT.rejected;
    }
    io.stdout.write(
      `sent ${retry.record.eventId ?? ref} to ${retry.topic} again (partition ${retry.partition}, offset ${retry.offset}); ingest answers it as any record\n`,
    );
    return EXIT.ok;
  } finally {
    await close();
  }
}

/** Leaves a quarantined record unhandled for good, recording who and why (needs the database). */
export async function quarantineSkip(
  ref: string,
  options: QuarantineOptions,
  io: CliIo,
): Promise<number> {
  checkRef(ref);
  const by = actorOf(options);
  if (!by) throw new UsageError('skip needs --reason');
  if (!options.databaseUrl && !options.pglite)
    throw new UsageError(
      'skip records who and why in the database: give --database-url or --pglite',
    );
  const { desk, close } = await deskOf(options);
  try {
    const skipped = await desk.skip(ref, by);
    if (!skipped) return unknown(ref, io);
    io.stdout.write(`skipped ${skipped.eventId ?? ref} (${ref}): ${by.reason}\n`);
    return EXIT.ok;
  } finally {
    await close();
  }
}
