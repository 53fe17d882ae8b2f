import { writeFile } from 'node:fs/promises';
import {
  auditReport,
  parseInstant,
  renderAuditReportHtml,
  UnknownSubjectError,
  type AsOf,
  type Timeline,
} from '@concord/audit';
import { auditOptionsOf, openAuditedStore, type StoreOptions } from './audit-store.ts';
import { describeBrokenLink } from './audit-verify.ts';
import { EXIT, UsageError, type CliIo } from './io.ts';

export interface AuditReportOptions extends StoreOptions {
  batch: string;
  asOf?: string;
  timeline?: Timeline;
  out?: string;
  format: 'html' | 'json';
}

const count = (n: number, noun: string) => `${n} ${noun}${n === 1 ? '' : 's'}`;

function asOfOf(options: AuditReportOptions): AsOf | undefined {
  if (options.asOf === undefined) {
    if (options.timeline !== undefined) throw new UsageError('--timeline needs --as-of <time>');
    return undefined;
  }
  try {
    parseInstant(options.asOf);
  } catch {
    throw new UsageError(
      `--as-of ${options.asOf} is not a date-time (RFC 3339, e.g. 2026-04-28T10:00:00Z)`,
    );
  }
  // What was on record then is what anybody could have known: the auditor's default.
  return { instant: options.asOf, timeline: options.timeline ?? 'recorded' };
}

/**
 * `concord audit report`: the audit report of one batch as a self-contained HTML page (or the
 * JSON document), written to --out or standard output. Exit 0 when written and the record
 * verifies, 1 when written but the record does not verify (the report says where), 2 otherwise.
 */
export async function auditReportCommand(options: AuditReportOptions, io: CliIo): Promise<number> {
  const asOf = asOfOf(options);
  const audit = await auditOptionsOf(options);
  const store = await openAuditedStore(options);
  try {
    const report = await auditReport(store, options.batch, {
      ...audit,
      ...(asOf ? { asOf } : {}),
      ...(io.clock ? { clock: io.clock } : {}),
    });
    const text =
      options.format === 'json'
        ? `${JSON.stringify(report, null, 2)}\n`
        : renderAuditReportHtml(report);
    if (options.out) await writeFile(options.out, text);
    else io.stdout.write(text);

    const { verification } = report;
    const where = options.out ? `wrote ${options.out}` : 'wrote the report';
    const when = asOf ? ` as of ${asOf.instant} (${asOf.timeline} timeline)` : '';
    io.stderr.write(
      `${where}: batch ${report.batch.batchNumber}${when}, ${count(report.timeline.length, 'event')}, ${count(report.signatures.length, 'e-signature')}, ${count(report.corrections.length, 'correction')}; verification ${verification.ok ? 'passed' : 'FAILED'}\n`,
    );
    if (!verification.ok) {
      io.stderr.write(`${describeBrokenLink(verification.brokenLink!).join('\n')}\n`);
      return EXIT.rejected;
    }
    return EXIT.ok;
  } catch (error) {
    if (error instanceof UnknownSubjectError) throw new UsageError(error.message);
    throw error;
  } finally {
    await store.close();
  }
}
