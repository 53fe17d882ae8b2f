// The QP register (EU GMP Annex 16, 1.7 and 2.4): every certification of a batch by a Qualified
// Person, with the batch, product, site, partners, the QP's printed name and signature, per QP and
// per product. One selection for the API (GraphQL `qpRegister`, GET /registers/qp) and the CLI
// (`concord register qp`); the API reads it through the caller's scope.
import type { ElectronicSignature } from '@concord/domain';
import { stringify } from 'csv-stringify/sync';
import type { Prisma } from './generated/prisma/client.ts';

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

export type QpRegisterEntry = Record<(typeof QP_REGISTER_COLUMNS)[number], string | null>;

/** The register as CSV (RFC 4180), a header row first. */
export function qpRegisterCsv(entries: readonly QpRegisterEntry[]): string {
  return stringify(
    entries.map((entry) => QP_REGISTER_COLUMNS.map((column) => entry[column] ?? '')),
    // A partner's text opened in a spreadsheet must stay text: `=…` is not a formula.
    { header: true, columns: [...QP_REGISTER_COLUMNS], escape_formulas: true },
  );
}

/** Anything with the read model's `batch` delegate: a scope's client, or the whole read model. */
interface BatchReader {
  batch: Pick<Prisma.TransactionClient['batch'], 'findMany'>;
}

/** The register's entries for `filter`, newest first, at most `limit` of them. */
export async function readQpRegister(
  db: BatchReader,
  filter: QpRegisterFilter | null | undefined,
  limit: number,
): Promise<QpRegisterEntry[]> {
  const rows = await db.batch.findMany({
    where: qpRegisterWhere(filter),
    orderBy: QP_REGISTER_ORDER,
    take: limit,
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
