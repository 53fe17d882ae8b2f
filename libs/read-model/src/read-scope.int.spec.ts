import { pgDatabase, pgliteDatabase, type SqlDatabase } from '@concord/sql';
import { waitFor } from '@concord/test-infra';
import { describeWithPostgres } from '@concord/test-infra/vitest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrateReadModel } from './migrate-read-model.ts';
import {
  READER_ROLE,
  ReadScope,
  readModelPrisma,
  type ReadModelPrisma,
  type ScopedReadModel,
} from './read-model-client.ts';

const SPONSOR = 'helvion-tx';
const OTHER = 'aurora-bio';

interface Subject {
  db: SqlDatabase;
  prisma: ReadModelPrisma;
}

/** Which transaction a read ran in (its start instant), as whom, for which organization. */
async function where(db: ScopedReadModel) {
  const [row] = await db.$queryRaw<{ began: string; role: string; org: string }[]>`
    select now()::text as began, current_user as role,
           current_setting('concord.organization_id', true) as org`;
  return row!;
}

function readScopeSuite(open: () => Promise<Subject>) {
  let subject: Subject;
  beforeAll(async () => {
    subject = await open();
    await migrateReadModel(subject.db);
  });
  afterAll(async () => {
    await subject?.prisma.$disconnect();
    await subject?.db.close();
  });

  it("runs a unit's reads, concurrent or one after another, in one transaction as the reader of its organization", async () => {
    const scope = new ReadScope(subject.prisma, SPONSOR);
    const together = await Promise.all([where(scope.db), where(scope.db), scope.db.batch.count()]);
    const after = await where(scope.db);
    await scope.end();
    expect(together[0]).toEqual({ began: expect.any(String), role: READER_ROLE, org: SPONSOR });
    expect(together[1]).toEqual(together[0]);
    expect(after).toEqual(together[0]);
    expect(together[2]).toBe(0);
  });

  it('ends its transaction on end(): the next read opens another, and the connection keeps no setting', async () => {
    const scope = new ReadScope(subject.prisma, SPONSOR);
    const first = await where(scope.db);
    await scope.end();
    const second = await where(scope.db);
    await scope.end();
    expect(second.began).not.toBe(first.began);
    expect(second).toMatchObject({ role: READER_ROLE, org: SPONSOR });
    // The pool's connections are the owner's again, with no organization named.
    const owner = await subject.prisma.$queryRaw<{ role: string; org: string | null }[]>`
      select current_user as role, current_setting('concord.organization_id', true) as org`;
    expect(owner[0]!.role).not.toBe(READER_ROLE);
    expect(owner[0]!.org ?? '').toBe('');
  });

  it('keeps scopes of two organizations apart, each in its own transaction', async () => {
    const mine = new ReadScope(subject.prisma, SPONSOR);
    const theirs = new ReadScope(subject.prisma, OTHER);
    const [a, b] = await Promise.all([where(mine.db), where(theirs.db)]);
    await Promise.all([mine.end(), theirs.end()]);
    expect(a.org).toBe(SPONSOR);
    expect(b.org).toBe(OTHER);
  });

  it('commits a transaction left idle, and forgets what the unit cached', async () => {
    const scope = new ReadScope(subject.prisma, SPONSOR, { idleMs: 5 });
    const first = await where(scope.db);
    const cached = scope.memo('key', () => ({}));
    expect(scope.memo('key', () => ({}))).toBe(cached);
    await waitFor(() => scope.memo('key', () => ({})) !== cached, {
      description: 'the idle transaction to end',
      intervalMs: 5,
    });
    expect((await where(scope.db)).began).not.toBe(first.began);
    await scope.end();
  });

  it('reads on after a statement fails (in a new transaction: the failed one is aborted)', async () => {
    const scope = new ReadScope(subject.prisma, SPONSOR);
    const first = await where(scope.db);
    await expect(scope.db.$queryRawUnsafe('select 1 / 0')).rejects.toThrow(/division by zero/);
    const next = await where(scope.db);
    await scope.end();
    expect(next).toMatchObject({ role: READER_ROLE, org: SPONSOR });
    expect(next.began).not.toBe(first.began);
  });

  it('cannot write, whatever a caller tries', async () => {
    const scope = new ReadScope(subject.prisma, SPONSOR);
    await expect(
      scope.db.organization.create({ data: { id: 'x', name: 'X', kind: 'sponsor' } }),
    ).rejects.toThrow(/permission denied/);
    await scope.end();
  });
}

describeWithPostgres('the read scope on PostgreSQL', (database) => {
  readScopeSuite(async () => ({
    db: pgDatabase({ connectionString: database().url }),
    prisma: readModelPrisma({ connectionString: database().url }),
  }));

  describe('opening', () => {
    /** What Prisma itself sent, as its query log reports it. */
    const sent: string[] = [];
    let prisma: ReadModelPrisma;
    let db: SqlDatabase;
    beforeAll(async () => {
      db = pgDatabase({ connectionString: database().url });
      await migrateReadModel(db);
      // Two connections for many scopes: most transactions wait for a connection to open.
      prisma = readModelPrisma(
        { connectionString: database().url, maxConnections: 2 },
        { onQuery: (sql) => sent.push(sql) },
      );
    });
    afterAll(async () => {
      await prisma?.$disconnect();
      await db?.close();
    });

    it("sends the scope's settings with its BEGIN: no statement of its own before the first read", async () => {
      sent.length = 0;
      const scope = new ReadScope(prisma, SPONSOR);
      expect(await where(scope.db)).toMatchObject({ role: READER_ROLE, org: SPONSOR });
      await scope.end();
      expect(sent.filter((sql) => /set_config/.test(sql))).toEqual([]);
      expect(sent.filter((sql) => /current_setting/.test(sql))).toHaveLength(1);
    });

    it('scopes each of many transactions waiting for the same two connections to its own organization', async () => {
      const organizations = Array.from({ length: 24 }, (_, i) =>
        i % 3 === 0 ? OTHER : `org-${i}`,
      );
      const seen = await Promise.all(
        organizations.map(async (organization) => {
          const scope = new ReadScope(prisma, organization);
          const [first, second] = await Promise.all([where(scope.db), where(scope.db)]);
          await scope.end();
          return [first, second];
        }),
      );
      seen.forEach(([first, second], i) => {
        expect(first).toMatchObject({ role: READER_ROLE, org: organizations[i] });
        expect(second).toEqual(first);
      });
    });

    it("leaves every other transaction as it was asked: Prisma's own, on the pool's connections", async () => {
      const scope = new ReadScope(prisma, SPONSOR);
      const [scoped, plain] = await Promise.all([
        where(scope.db),
        prisma.$transaction((tx) => where(tx as unknown as ScopedReadModel)),
      ]);
      await scope.end();
      expect(scoped).toMatchObject({ role: READER_ROLE, org: SPONSOR });
      expect(plain.role).not.toBe(READER_ROLE);
      expect(plain.org ?? '').toBe('');
    });

    it('names an organization whatever it contains: a quote is text, not SQL', async () => {
      const odd = "o'brien\\bio'; reset role; --";
      const scope = new ReadScope(prisma, odd);
      expect(await where(scope.db)).toMatchObject({ role: READER_ROLE, org: odd });
      await scope.end();
    });
  });
});

describe('the read scope on PGlite', () => {
  readScopeSuite(async () => {
    const db = await pgliteDatabase();
    return { db, prisma: readModelPrisma({ pglite: db.pglite }) };
  });
});
