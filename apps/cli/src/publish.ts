import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { canonicalJson, type ConcordEvent } from '@concord/contract';
import {
  createPartner,
  httpTransport,
  InvalidEventError,
  kafkaTransport,
  PartnerClientError,
  type Partner,
} from '@concord/partner-client';
import { EXIT, UsageError, type CliIo } from './io.ts';
import { readNdjson } from './ndjson.ts';
import { createProgress } from './progress.ts';

export interface PublishOptions {
  org: string;
  key: string;
  keyId: string;
  kafka?: string;
  topic?: string;
  http?: string;
  apiKey?: string;
  token?: string;
  path?: string;
  source?: string;
  actor?: string;
  batchSize: number;
  progress: boolean;
  dryRun?: boolean;
  json?: boolean;
}

/** The bar shows on a terminal for files at least this large. */
const PROGRESS_MIN_BYTES = 1024 * 1024;
/** The summary lists this many rejections; stderr has them all. */
const LISTED_REJECTIONS = 100;

interface Pending {
  line: number;
  event: ConcordEvent;
}

interface ListedRejection {
  line: number;
  id: string;
  code: string;
  path?: string;
  message: string;
}

export interface PublishSummary {
  file: string;
  organizationId: string;
  target: string;
  /** Non-blank lines read. */
  lines: number;
  /** Lines that are not JSON or not a valid event (nothing sent for them). */
  invalid: number;
  sent: number;
  /** Concord's answers (HTTP only; over Kafka they come on the outcome topics). */
  accepted?: number;
  duplicates?: number;
  rejected?: number;
  rejectionsByCode: Record<string, number>;
  rejections: ListedRejection[];
  stopped?: { line: number; message: string; retriable: boolean };
}

interface Sink {
  readonly target: string;
  readonly dryRun?: boolean;
  readonly note?: string;
  send(batch: readonly Pending[]): Promise<void>;
  close(): Promise<void>;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The id of a line that names none: derived from its source and content (shaped as a UUID v8),
 * so publishing the same file again sends the same ids and Concord records each event once.
 */
export function contentId(source: string, value: unknown): string {
  const d = createHash('sha256')
    .update(`${source}\n${canonicalJson(value)}`)
    .digest('hex');
  const variant = ((parseInt(d[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${d.slice(0, 8)}-${d.slice(8, 12)}-8${d.slice(13, 16)}-${variant}${d.slice(17, 20)}-${d.slice(20, 32)}`;
}

function checkOptions(options: PublishOptions): void {
  const targets = [options.kafka, options.http].filter((t) => t !== undefined).length;
  if (options.dryRun ? targets > 1 : targets !== 1) {
    throw new UsageError(
      'publish needs one target: --http <baseUrl> (with --api-key) or --kafka <brokers>, or --dry-run',
    );
  }
  if (options.http !== undefined && !options.apiKey && !options.token) {
    throw new UsageError(
      '--http needs --api-key <key> (or CONCORD_API_KEY in the environment), or --token <token>',
    );
  }
  if (!Number.isInteger(options.batchSize) || options.batchSize < 1 || options.batchSize > 1000) {
    throw new UsageError('--batch-size must be a whole number from 1 to 1000');
  }
}

async function loadPartner(options: PublishOptions, io: CliIo): Promise<Partner> {
  let privateKeyPem: string;
  try {
    privateKeyPem = await readFile(options.key, 'utf8');
    if (((await stat(options.key)).mode & 0o077) !== 0) {
      io.stderr.write(
        `warning: ${options.key} can be read by other users; chmod 600 it (it signs as ${options.org}).\n`,
      );
    }
  } catch (error) {
    throw new UsageError(`cannot read the private key ${options.key}: ${(error as Error).message}`);
  }
  try {
    return createPartner({
      organizationId: options.org,
      keyId: options.keyId,
      privateKeyPem,
      defaultSource: options.source ?? `urn:concord:${options.org}:cli`,
      ...(io.clock ? { clock: io.clock } : {}),
    });
  } catch (error) {
    if (error instanceof PartnerClientError) throw new UsageError(error.message);
    throw error;
  }
}

function createSink(
  options: PublishOptions,
  summary: PublishSummary,
  report: (line: number, message: string) => void,
): Sink {
  if (options.http !== undefined) {
    const transport = httpTransport({
      baseUrl: options.http,
      credential: options.apiKey ? { apiKey: options.apiKey } : { token: options.token! },
      ...(options.path ? { path: options.path } : {}),
      batchSize: options.batchSize,
    });
    const base = new URL(options.http);
    if (!base.pathname.endsWith('/')) base.pathname += '/';
    summary.accepted = 0;
    summary.duplicates = 0;
    summary.rejected = 0;
    return {
      target: new URL(options.path ?? 'ingest', base).href,
      async send(batch) {
        const outcomes = await transport.sendBatch(batch.map((p) => p.event));
        outcomes.forEach((outcome, i) => {
          const { line, event } = batch[i]!;
          if (outcome.status === 'accepted') {
            summary.accepted!++;
            if (outcome.duplicate) summary.duplicates!++;
            return;
          }
          const { code, path, message } = outcome.rejection;
          summary.rejected!++;
          summary.rejectionsByCode[code] = (summary.rejectionsByCode[code] ?? 0) + 1;
          if (summary.rejections.length < LISTED_REJECTIONS) {
            summary.rejections.push({
              line,
              id: event.id,
              code,
              ...(path ? { path } : {}),
              message,
            });
          }
          report(line, `rejected: ${code}${path ? ` at ${path}` : ''}: ${message}`);
        });
      },
      close: async () => undefined,
    };
  }
  if (options.kafka !== undefined) {
    const brokers = options.kafka
      .split(',')
      .map((b) => b.trim())
      .filter(Boolean);
    if (brokers.length === 0) throw new UsageError('--kafka needs host:port[,host:port...]');
    const transport = kafkaTransport({
      brokers,
      organizationId: options.org,
      batchSize: options.batchSize,
      ...(options.topic ? { topic: options.topic } : {}),
    });
    return {
      target: `kafka ${transport.topic}`,
      note: `Concord answers on concord.out.${options.org} and concord.rejections.${options.org}.`,
      send: async (batch) => void (await transport.send(batch.map((p) => p.event))),
      close: () => transport.disconnect(),
    };
  }
  return {
    target: 'nowhere (dry run)',
    dryRun: true,
    send: async () => undefined,
    close: async () => undefined,
  };
}

function printSummary(summary: PublishSummary, sink: Sink, io: CliIo, json: boolean): void {
  if (json) {
    io.stdout.write(`${JSON.stringify(summary)}\n`);
    return;
  }
  const out: string[] = [
    `${summary.file} → ${sink.target} as ${summary.organizationId}`,
    `  lines: ${summary.lines} read, ${summary.invalid} invalid, ${summary.sent} ${sink.dryRun ? 'valid and signed (dry run: nothing sent)' : 'sent'}`,
  ];
  if (summary.accepted !== undefined) {
    out.push(`  accepted: ${summary.accepted} (${summary.duplicates} already recorded)`);
    out.push(`  rejected: ${summary.rejected}`);
    for (const [code, count] of Object.entries(summary.rejectionsByCode)) {
      out.push(`    ${code}: ${count}`);
    }
    for (const r of summary.rejections) {
      out.push(`    line ${r.line}: ${r.code}${r.path ? ` at ${r.path}` : ''}: ${r.message}`);
    }
    if (summary.rejected! > summary.rejections.length) {
      out.push(`    (${summary.rejected! - summary.rejections.length} more on stderr)`);
    }
  } else if (sink.note && summary.sent > 0) {
    out.push(`  ${sink.note}`);
  }
  if (summary.stopped) {
    out.push(
      `  stopped at line ${summary.stopped.line}: ${summary.stopped.message}`,
      `  The lines before it were delivered. Running the same command again is safe: lines without`,
      `  an id get the same id again, and Concord records a redelivered event once.`,
    );
  }
  io.stdout.write(`${out.join('\n')}\n`);
}

/**
 * Reads an NDJSON file line by line, completes, checks and signs each event with the partner's
 * key, and sends them in batches (in file order, so each subject's events stay in order).
 */
export async function publish(file: string, options: PublishOptions, io: CliIo): Promise<number> {
  checkOptions(options);
  let size: number;
  // A line without a time is stamped with the file's modification time, not the run's clock:
  // publishing the unchanged file again sends the very same events, which Concord recognizes as
  // redeliveries (the same id with other content would be a different event, refused).
  let written: Date;
  try {
    const info = await stat(file);
    if (!info.isFile()) throw new Error('not a file');
    size = info.size;
    written = info.mtime;
  } catch (error) {
    throw new UsageError(`cannot read ${file}: ${(error as Error).message}`);
  }
  const partner = await loadPartner(options, io);
  const summary: PublishSummary = {
    file,
    organizationId: options.org,
    target: '',
    lines: 0,
    invalid: 0,
    sent: 0,
    rejectionsByCode: {},
    rejections: [],
  };
  const progress = createProgress(
    io.stderr,
    size,
    options.progress && io.stderr.isTTY === true && size >= PROGRESS_MIN_BYTES,
  );
  const report = (line: number, message: string) => progress.log(`line ${line}: ${message}`);
  const sink = createSink(options, summary, report);
  summary.target = sink.target;

  const reader = readNdjson(file);
  let pending: Pending[] = [];
  async function flush(): Promise<boolean> {
    if (pending.length === 0) return true;
    const batch = pending;
    pending = [];
    try {
      await sink.send(batch);
      summary.sent += batch.length;
      return true;
    } catch (error) {
      if (!(error instanceof PartnerClientError)) throw error;
      summary.stopped = {
        line: batch[0]!.line,
        message: error.message,
        retriable: error.retriable,
      };
      return false;
    }
  }

  try {
    for await (const item of reader.lines) {
      summary.lines++;
      progress.update(reader.bytesRead(), {
        lines: summary.lines,
        problems: summary.invalid + (summary.rejected ?? 0),
      });
      if (!item.ok) {
        summary.invalid++;
        report(item.line, item.message);
        continue;
      }
      const value = item.value;
      const defaults = {
        time: written,
        ...(options.actor ? { actorId: options.actor } : {}),
        ...(isPlainObject(value) && value.id === undefined
          ? {
              id: contentId(
                typeof value.source === 'string' ? value.source : partner.defaultSource,
                value,
              ),
            }
          : {}),
      };
      try {
        pending.push({ line: item.line, event: partner.complete(value, defaults) });
      } catch (error) {
        if (!(error instanceof InvalidEventError)) throw error;
        summary.invalid++;
        for (const problem of error.errors) report(item.line, `invalid: ${problem.message}`);
        continue;
      }
      if (pending.length >= options.batchSize && !(await flush())) break;
    }
    if (!summary.stopped) await flush();
  } finally {
    progress.stop();
    await sink.close().catch(() => undefined);
  }

  printSummary(summary, sink, io, options.json === true);
  if (summary.stopped) return EXIT.delivery;
  return summary.invalid > 0 || (summary.rejected ?? 0) > 0 ? EXIT.rejected : EXIT.ok;
}
