// GET /registers/qp: the QP register (Annex 16) of the caller's partnerships as a download, read
// through the caller's scope like every read (the selection is @concord/read-model's, as GraphQL's
// `qpRegister`).
import type { Authenticator } from '@concord/auth';
import {
  qpRegisterCsv,
  readQpRegister,
  ReadScope,
  type QpRegisterFilter,
  type ReadModelPrisma,
} from '@concord/read-model';
import { callerOrganization, jsonError } from './http-support.ts';

/** Most entries one export holds: a larger register is narrowed by QP, product or period. */
export const QP_REGISTER_EXPORT_MAX = 10_000;

export interface QpRegisterRoutesOptions {
  prisma: ReadModelPrisma;
  authenticator: Authenticator;
}

export const QP_REGISTER_PATH = '/registers/qp';

/**
 * GET /registers/qp[?format=csv|json][&qualifiedPerson=<person id>][&productId=<id>]
 * [&certifiedFrom=<instant>][&certifiedTo=<instant>]: the caller's register as a download.
 */
export function qpRegisterRoutes(
  options: QpRegisterRoutesOptions,
): (request: Request) => Promise<Response> {
  return async (request) => {
    const url = new URL(request.url);
    if (url.pathname !== QP_REGISTER_PATH) return jsonError(404, 'No such register.');
    if (request.method !== 'GET') return jsonError(405, 'GET the register.');
    const caller = await callerOrganization(request, options.authenticator);
    if ('refusal' in caller) return caller.refusal;
    const format = url.searchParams.get('format') ?? 'csv';
    if (format !== 'csv' && format !== 'json') return jsonError(400, 'format is csv or json.');
    const instant = (name: string): Date | undefined | string => {
      const value = url.searchParams.get(name);
      if (value === null) return undefined;
      const date = new Date(value);
      return Number.isNaN(date.getTime()) ? `${name} ${value} is not an instant.` : date;
    };
    const from = instant('certifiedFrom');
    const to = instant('certifiedTo');
    if (typeof from === 'string') return jsonError(400, from);
    if (typeof to === 'string') return jsonError(400, to);
    const filter: QpRegisterFilter = {
      qualifiedPerson: url.searchParams.get('qualifiedPerson'),
      productId: url.searchParams.get('productId'),
      certified: { from: from ?? null, to: to ?? null },
    };
    const scope = new ReadScope(options.prisma, caller.organizationId);
    // One more than the most an export holds: enough to say it holds more.
    const entries = await readQpRegister(scope.db, filter, QP_REGISTER_EXPORT_MAX + 1).finally(() =>
      scope.end(),
    );
    if (entries.length > QP_REGISTER_EXPORT_MAX)
      return jsonError(
        413,
        `The register holds more than ${QP_REGISTER_EXPORT_MAX} entries for this selection: narrow it by qualifiedPerson, productId or certifiedFrom/certifiedTo.`,
      );
    const body = format === 'json' ? JSON.stringify({ entries }, null, 2) : qpRegisterCsv(entries);
    return new Response(body, {
      status: 200,
      headers: {
        'content-type': format === 'json' ? 'application/json' : 'text/csv; charset=utf-8',
        'content-disposition': `attachment; filename="qp-register.${format}"`,
        'cache-control': 'no-store',
      },
    });
  };
}
