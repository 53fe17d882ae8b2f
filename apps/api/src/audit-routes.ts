// The audit downloads, for the dashboard and for inspectors' tools, with the caller's usual
// Authorization header:
//   GET /audit/batches/<batchId>/report[?format=html|json][&asOf=<instant>][&timeline=occurred|recorded]
//   GET /audit/batches/<batchId>/evidence[?since=<size>[,<size>…]][&since=<size>…]
// The evidence bundle (concord.evidence-bundle.v1) is what `concord audit export` writes: every
// event the batch's record rests on with its inclusion proof, a checkpoint of the whole log signed
// now, consistency proofs from the checkpoint sizes the partner kept (`since`), the platform's
// keys and the report (JSON, HTML, PDF); `@concord/verifier` checks it without the platform.
// A batch the caller's organization may not see answers exactly like one that does not exist.
import {
  auditReport,
  exportEvidenceBundle,
  renderAuditReportHtml,
  renderAuditReportPdf,
  UnknownSubjectError,
  type AuditOptions,
  type AuditReport,
} from '@concord/audit';
import type { Authenticator } from '@concord/auth';
import type { EventStore } from '@concord/event-store';
import type { CheckpointLog, PlatformKey, PlatformKeyring } from '@concord/evidence';
import { ReadScope, type ReadModelPrisma } from '@concord/read-model';
import { callerOrganization, jsonError as text } from './http-support.ts';

export const AUDIT_PREFIX = '/audit/';

const BATCH_PATH = /^\/audit\/batches\/([^/]+)\/(report|evidence)$/;

export interface AuditRoutesOptions {
  store: EventStore;
  /** The platform's public keys the reports verify against. @default not checked */
  platformKeyring?: PlatformKeyring;
  /** Signs the evidence bundles' checkpoints. @default none: no evidence bundles (503) */
  platformKey?: PlatformKey;
  /**
   * The checkpoints the platform signed and stored: with the keyring, each report holds the
   * store to the latest. @default not held to any
   */
  checkpoints?: CheckpointLog;
  /** The report as PDF in each evidence bundle. @default renderAuditReportPdf */
  renderPdf?: (report: AuditReport) => Promise<Uint8Array>;
  prisma: ReadModelPrisma;
  authenticator: Authenticator;
  /** @default () => new Date() */
  clock?: () => Date;
}

/** Sizes of checkpoints a partner kept: repeated and/or comma-separated, each positive. */
function sizesOf(values: readonly string[]): number[] | string {
  const sizes: number[] = [];
  for (const size of values.flatMap((value) => value.split(','))) {
    if (!/^[1-9][0-9]{0,14}$/.test(size.trim()))
      return `since ${size}: the size of a checkpoint you kept (a positive number)`;
    sizes.push(Number(size.trim()));
  }
  return sizes;
}

export function auditRoutes(options: AuditRoutesOptions): (request: Request) => Promise<Response> {
  /** What reports verify against: the keyring, and the latest checkpoint the platform stored. */
  const audit = async (): Promise<AuditOptions> => {
    if (!options.platformKeyring) return {};
    const checkpoint = await options.checkpoints?.latest();
    return { platformKeyring: options.platformKeyring, ...(checkpoint ? { checkpoint } : {}) };
  };
  return async (request) => {
    const url = new URL(request.url);
    const match = BATCH_PATH.exec(url.pathname);
    if (!match) return text(404, 'No such audit resource.');
    const resource = match[2] as 'report' | 'evidence';
    if (request.method !== 'GET') return text(405, `GET the ${resource}.`);
    const caller = await callerOrganization(request, options.authenticator);
    if ('refusal' in caller) return caller.refusal;
    // Said before looking for the batch: the same for every batch, it tells nothing of any.
    if (resource === 'evidence' && !(options.platformKey && options.platformKeyring))
      return text(
        503,
        'This server holds no platform key: it signs no evidence bundles. Ask the platform operator, or export with `concord audit export`.',
      );
    const batchId = decodeURIComponent(match[1]!);
    const notFound = () => text(404, `No such batch: ${batchId}.`);
    // The read model's row-level security decides who may see the batch at all.
    const scope = new ReadScope(options.prisma, caller.organizationId);
    const visible = await scope.db.batch
      .findUnique({ where: { id: batchId }, select: { id: true } })
      .finally(() => scope.end());
    if (!visible) return notFound();
    // A namespaced id's colon is not allowed in file names on every system (browsers turn it into _).
    const fileId = batchId.replaceAll(':', '_');
    try {
      if (resource === 'evidence') {
        const since = sizesOf(url.searchParams.getAll('since'));
        if (typeof since === 'string') return text(400, since);
        const { checkpoint } = await audit();
        const bundle = await exportEvidenceBundle(options.store, batchId, {
          platformKey: options.platformKey!,
          platformKeyring: options.platformKeyring!,
          ...(checkpoint ? { checkpoint } : {}),
          since,
          renderPdf: options.renderPdf ?? renderAuditReportPdf,
          ...(options.clock ? { clock: options.clock } : {}),
        });
        return download(JSON.stringify(bundle), 'application/json', `evidence-${fileId}.json`);
      }
      return await report(url, batchId, fileId, await audit());
    } catch (error) {
      if (error instanceof UnknownSubjectError) return notFound();
      throw error;
    }
  };

  async function report(url: URL, batchId: string, fileId: string, audit: AuditOptions) {
    const format = url.searchParams.get('format') ?? 'html';
    if (format !== 'html' && format !== 'json') return text(400, 'format is html or json.');
    const asOfParam = url.searchParams.get('asOf');
    const timeline = url.searchParams.get('timeline') ?? 'recorded';
    if (timeline !== 'recorded' && timeline !== 'occurred')
      return text(400, 'timeline is recorded or occurred.');
    let asOf: { instant: string; timeline: 'recorded' | 'occurred' } | undefined;
    if (asOfParam !== null) {
      const instant = new Date(asOfParam);
      if (Number.isNaN(instant.getTime())) return text(400, `asOf ${asOfParam} is not an instant.`);
      asOf = { instant: instant.toISOString(), timeline };
    }
    const found = await auditReport(options.store, batchId, {
      ...(asOf ? { asOf } : {}),
      ...audit,
      ...(options.clock ? { clock: options.clock } : {}),
    });
    const filename = `audit-${fileId}${asOf ? `-as-of-${asOf.instant.slice(0, 10)}` : ''}.${format}`;
    return download(
      format === 'json' ? JSON.stringify(found, null, 2) : renderAuditReportHtml(found),
      format === 'json' ? 'application/json' : 'text/html; charset=utf-8',
      filename,
    );
  }
}

const download = (body: string, contentType: string, filename: string) =>
  new Response(body, {
    status: 200,
    headers: {
      'content-type': contentType,
      'content-disposition': `attachment; filename="${filename}"`,
      'cache-control': 'no-store',
    },
  });
