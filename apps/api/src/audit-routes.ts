// The audit report as a download, for the dashboard and for inspectors' tools:
//   GET /audit/batches/<batchId>/report[?format=html|json][&asOf=<instant>][&timeline=occurred|recorded]
// with the caller's usual Authorization header. A batch the caller's organization may not see
// answers exactly like one that does not exist.
import { auditReport, renderAuditReportHtml, UnknownSubjectError } from '@concord/audit';
import { AuthenticationError, type Authenticator } from '@concord/auth';
import type { EventStore } from '@concord/event-store';
import type { PlatformKeyring } from '@concord/evidence';
import { scopedReadModel, type ReadModelPrisma } from '@concord/read-model';

export const AUDIT_PREFIX = '/audit/';

const REPORT_PATH = /^\/audit\/batches\/([^/]+)\/report$/;

export interface AuditRoutesOptions {
  store: EventStore;
  /** The platform's public keys the reports verify against. @default not checked */
  platformKeyring?: PlatformKeyring;
  prisma: ReadModelPrisma;
  authenticator: Authenticator;
}

const text = (status: number, message: string) =>
  new Response(JSON.stringify({ error: message }), {
    status,
    headers: { 'content-type': 'application/json' },
  });

export function auditRoutes(options: AuditRoutesOptions): (request: Request) => Promise<Response> {
  return async (request) => {
    const url = new URL(request.url);
    const match = REPORT_PATH.exec(url.pathname);
    if (!match) return text(404, 'No such audit resource.');
    if (request.method !== 'GET') return text(405, 'GET the report.');
    let organizationId: string | undefined;
    try {
      organizationId = (
        await options.authenticator.authenticate(request.headers.get('authorization'))
      )?.organizationId;
    } catch (error) {
      if (error instanceof AuthenticationError) return text(401, error.message);
      throw error;
    }
    if (!organizationId) return text(401, 'Sign in with a token of your organization.');
    const batchId = decodeURIComponent(match[1]!);
    const notFound = () => text(404, `No such batch: ${batchId}.`);
    // The read model's row-level security decides who may see the batch at all.
    const visible = await scopedReadModel(options.prisma, organizationId).batch.findUnique({
      where: { id: batchId },
      select: { id: true },
    });
    if (!visible) return notFound();

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
    let report;
    try {
      report = await auditReport(options.store, batchId, {
        ...(asOf ? { asOf } : {}),
        ...(options.platformKeyring ? { platformKeyring: options.platformKeyring } : {}),
      });
    } catch (error) {
      if (error instanceof UnknownSubjectError) return notFound();
      throw error;
    }
    // A namespaced id's colon is not allowed in file names on every system (browsers turn it into _).
    const filename = `audit-${batchId.replaceAll(':', '_')}${asOf ? `-as-of-${asOf.instant.slice(0, 10)}` : ''}.${format}`;
    return new Response(
      format === 'json' ? JSON.stringify(report, null, 2) : renderAuditReportHtml(report),
      {
        status: 200,
        headers: {
          'content-type': format === 'json' ? 'application/json' : 'text/html; charset=utf-8',
          'content-disposition': `attachment; filename="${filename}"`,
          'cache-control': 'no-store',
        },
      },
    );
  };
}
