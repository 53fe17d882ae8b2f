import { writeFile } from 'node:fs/promises';
import {
  auditReport,
  parseInstant,
  renderAuditReportHtml,
  renderAuditReportPdf,
  UnknownSubjectError,
  type AsOf,
  type Timeline,
} from '@concord/audit';
import { auditOptionsOf, checkpointToHold, openAudited, type StoreOptions } from './audit-store.ts';
import { describeBrokenLink } from './audit-verify.ts';
import { EXIT, UsageError, type CliIo } from './io.ts';

export interface AuditReportOptions extends StoreOptions {
  batch: string;
  asOf?: string;
  timeline?: Timeline;
  out?: string;
  format: 'html' | 'json' | 'pdf';
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
 * `concord audit report`: the audit report of one batch as a self-contained HTML page, the JSON
 * document or a PDF, written to --out or standard output (a PDF never to a terminal). Exit 0 when
 * written and the record verifies, 1 when written but the record does not verify (the report
 * says where), 2 otherwise.
 */
export async function auditReportCommand(options: AuditReportOptions, io: CliIo): Promise<number> {
  const asOf = asOfOf(options);
  if (options.format === 'pdf' && !options.out && io.stdout.isTTY)
    throw new UsageError(
      '--format pdf writes binary: name a file with --out <file> (or redirect standard output)',
    );
  const audit = await auditOptionsOf(options);
  const { store, checkpoints } = await openAudited(options);
  try {
    const report = await auditReport(store, options.batch, {
      ...(await checkpointToHold(audit, undefined, checkpoints)),
      ...(asOf ? { asOf } : {}),
      ...(io.clock ? { clock: io.clock } : {}),
    });
    const content =
      options.format === 'json'
        ? `${JSON.stringify(report, null, 2)}\n`
        : options.format === 'pdf'
          ? await renderAuditReportPdf(report)
          : renderAuditReportHtml(report);
    if (options.out) await writeFile(options.out, content);
    else io.stdout.write(content);

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
