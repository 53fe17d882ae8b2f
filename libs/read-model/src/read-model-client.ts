import type { PGlite } from '@electric-sql/pglite';
import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaPGlite } from 'pglite-prisma-adapter';
import { PrismaClient } from './generated/prisma/client.ts';

export type ReadModelPrisma = PrismaClient;

/** Where the read model lives: a PostgreSQL server, or the embedded PGlite instance. */
export type ReadModelSource =
  | { connectionString: string; maxConnections?: number }
  | { pglite: PGlite };

/** A Prisma client over the read model (driver adapters: no native engine). */
export function readModelPrisma(source: ReadModelSource): ReadModelPrisma {
  const adapter =
    'pglite' in source
      ? new PrismaPGlite(source.pglite)
      : new PrismaPg({
          connectionString: source.connectionString,
          max: source.maxConnections ?? 10,
        });
  return new PrismaClient({ adapter });
}

/** The PostgreSQL role the API reads as; row-level security policies apply to it. */
export const READER_ROLE = 'concord_reader';

/**
 * The read model as one organization may see it. Every operation runs in its own short
 * transaction that first becomes `concord_reader` and names the caller's organization, so
 * PostgreSQL's row-level security hides every row of a partnership the organization is not party
 * to — the second barrier behind the API's own filters, holding even when a resolver forgets one.
 * Both settings are transaction-local: a pooled connection never carries them to another caller.
 */
export function scopedReadModel(prisma: ReadModelPrisma, organizationId: string) {
  return prisma.$extends({
    name: 'organization-scope',
    query: {
      $allOperations({ args, query }) {
        return prisma
          .$transaction([
            prisma.$executeRaw`select set_config('role', ${READER_ROLE}, true), set_config('concord.organization_id', ${organizationId}, true)`,
            query(args),
          ])
          .then(([, result]) => result);
      },
    },
  });
}

export type ScopedReadModel = ReturnType<typeof scopedReadModel>;
