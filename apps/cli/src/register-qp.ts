import { writeFile } from 'node:fs/promises';
import {
  qpRegisterCsv,
  readModelPrisma,
  readQpRegister,
  ReadScope,
  type QpRegisterFilter,
} from '@concord/read-model';
import { pgliteDatabase } from '@concord/sql';
import { EXIT, UsageError, type CliIo } from './io.ts';

export interface RegisterQpOptions {
  databaseUrl?: string;
  pglite?: string;
  /** Only this organization's partnerships, read as it reads them (row-level security). */
  org?: string;
  qualifiedPerson?: string;
  product?: string;
  certifiedFrom?: string;
  certifiedTo?: string;
  format: string;
  out?: string;
}

const instant = (name: string, value: string | undefined): Date | undefined => {
  if (value === undefined) return undefined;
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) throw new UsageError(`${name} ${value} is not an instant`);
  return date;
};

/**
 * The QP register (EU GMP Annex 16) from the read model, as CSV or JSON: the whole platform's (an
 * operator's view), or one organization's partnerships with --org, narrowed to one Qualified
 * Person, one product or one period. The same selection and columns as GET /registers/qp.
 */
export async function registerQp(options: RegisterQpOptions, io: CliIo): Promise<number> {
  if (options.format !== 'csv' && options.format !== 'json')
    throw new UsageError(`--format is csv or json, not ${options.format}`);
  const filter: QpRegisterFilter = {
    qualifiedPerson: options.qualifiedPerson ?? null,
    productId: options.product ?? null,
    certified: {
      from: instant('--certified-from', options.certifiedFrom) ?? null,
      to: instant('--certified-to', options.certifiedTo) ?? null,
    },
  };
  let prisma;
  let closeDb: (() => Promise<void>) | undefined;
  if (options.pglite) {
    const db = await pgliteDatabase({ dataDir: options.pglite });
    prisma = readModelPrisma({ pglite: db.pglite });
    closeDb = () => db.close();
  } else if (options.databaseUrl)
    prisma = readModelPrisma({ connectionString: options.databaseUrl, maxConnections: 2 });
  else throw new UsageError('name the database: --database-url, $DATABASE_URL or --pglite <dir>');
  try {
    let entries;
    if (options.org) {
      const scope = new ReadScope(prisma, options.org);
      entries = await readQpRegister(scope.db, filter, Number.MAX_SAFE_INTEGER).finally(() =>
        scope.end(),
      );
    } else entries = await readQpRegister(prisma, filter, Number.MAX_SAFE_INTEGER);
    const text =
      options.format === 'json'
        ? `${JSON.stringify({ entries }, null, 2)}\n`
        : qpRegisterCsv(entries);
    if (options.out) {
      await writeFile(options.out, text);
      io.stderr.write(`${entries.length} entries written to ${options.out}\n`);
    } else io.stdout.write(text);
    return EXIT.ok;
  } finally {
    await prisma.$disconnect();
    await closeDb?.();
  }
}
