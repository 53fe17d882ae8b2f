// The QP register (EU GMP Annex 16, 1.7 and 2.4): every certification of a batch by a Qualified
// Person, with the batch, product, site, partners, the QP's printed name and signature, per QP
// and per product. One selection for GraphQL (`qpRegister`) and for the export (GET /registers/qp),
// read through the caller's scope: a caller sees the certifications of its own partnerships only.
import type { Authenticator } from '@concord/auth';
import type { ElectronicSignature } from '@concord/domain';
import { ReadScope, type ReadModelPrisma } from '@concord/read-model';
import { stringify } from 'csv-stringify/sync';
import { callerOrganization, jsonError } from './http-support.ts';

export interface QpRegisterFilter {
  /** The Qualified Person: the person id that signed the certification. */
  qualifiedPerson?: string | null;
  productId?: string | null;
  certified?: { from?: Date | null; to?: Date | null } | null;
}

/** The rows of the register: certified batches, narrowed by the filter (scoping is the caller's). */
export function qpRegisterWhere(filter: QpRegisterFilter | null | undefined) {
  const certifiedAt = {
    not: null,
    ...(filter?.certified?.from ? { gte: filter.certified.from } : {}),
    ...(filter?.certified?.to ? { lte: filter.certified.to } : {}),
  };
  return {
    registerEntryId: { not: null },
    certifiedAt,
    ...(filter?.productId ? { productId: filter.productId } : {}),
    ...(filter?.qualifiedPerson
      ? { certificationSignature: { path: ['signerId'], equals: filter.qualifiedPerson } }
      : {}),
  };
}

/** Newest certification first; the batch id breaks ties, so pages never overlap. */
export const QP_REGISTER_ORDER = [{ certifiedAt: 'desc' as const }, { id: 'asc' as const }];

/** The register's columns, in the order of the CSV. */
export const QP_REGISTER_COLUMNS = [
  'register_entry_id',
  'certified_at',
  'qualified_person_id',
  'qualified_person_name',
  'signature_meaning',
  'signed_at',
  'batch_id',
  'batch_number',
  'product_id',
  'product_name',
  'site',
  'sponsor_id',
  'cdmo_id',
] as const;

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
    const entries = await registerEntries(scope, filter).finally(() => scope.end());
    if (entries.length > QP_REGISTER_EXPORT_MAX)
      return jsonError(
        413,
        `The register holds more than ${QP_REGISTER_EXPORT_MAX} entries for this selection: narrow it by qualifiedPerson, productId or certifiedFrom/certifiedTo.`,
      );
    const body = format === 'json' ? JSON.stringify({ entries }, null, 2) : registerCsv(entries);
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

export type QpRegisterEntry = Record<(typeof QP_REGISTER_COLUMNS)[number], string | null>;

/** The register as CSV (RFC 4180), a header row first. */
export function registerCsv(entries: readonly QpRegisterEntry[]): string {
  return stringify(
    entries.map((entry) => QP_REGISTER_COLUMNS.map((column) => entry[column] ?? '')),
    // A partner's text opened in a spreadsheet must stay text: `=…` is not a formula.
    { header: true, columns: [...QP_REGISTER_COLUMNS], escape_formulas: true },
  );
}

async function registerEntries(
  scope: ReadScope,
  filter: QpRegisterFilter,
): Promise<QpRegisterEntry[]> {
  const rows = await scope.db.batch.findMany({
    where: qpRegisterWhere(filter),
    orderBy: QP_REGISTER_ORDER,
    // One more than the most an export holds: enough to say it holds more.
    take: QP_REGISTER_EXPORT_MAX + 1,
    select: {
      id: true,
      batchNumber: true,
      productId: true,
      productName: true,
      site: true,
      sponsorId: true,
      cdmoId: true,
      registerEntryId: true,
      certifiedAt: true,
      certificationSignature: true,
    },
  });
  return rows.map((row) => {
    const signature = row.certificationSignature as ElectronicSignature | null;
    return {
      register_entry_id: row.registerEntryId,
      certified_at: row.certifiedAt?.toISOString() ?? null,
      qualified_person_id: signature?.signerId ?? null,
      qualified_person_name: signature?.printedName ?? null,
      signature_meaning: signature?.meaning ?? null,
      signed_at: signature?.signedAt ?? null,
      batch_id: row.id,
      batch_number: row.batchNumber,
      product_id: row.productId,
      product_name: row.productName,
      site: row.site,
      sponsor_id: row.sponsorId,
      cdmo_id: row.cdmoId,
    };
  });
}
