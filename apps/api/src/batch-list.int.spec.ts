// The batch lists read a caller's two party sides apart (it is the sponsor of some batches and the
// CDMO of others) and take each page from both: this checks, on both databases, that every order,
// direction, filter and page size pages forwards and backwards through exactly what one query over
// "sponsor or CDMO" answers, in the database's own order, with the same total at every page.
import { scopedReadModel, type ReadModelPrismaOptions } from '@concord/read-model';
import { describeWithPostgres } from '@concord/test-infra/vitest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CDMO,
  OTHER_CDMO,
  OTHER_SPONSOR,
  openApiWorld,
  SPONSOR,
  type ApiWorld,
} from './test-support/api-world.ts';

/** A page of the batches' own columns (`nested`: and a list of nested rows of each). */
const list = (nested = false) => `query List($first: Int, $after: String, $last: Int,
    $before: String, $orderBy: BatchOrder, $filter: BatchFilter) {
  batches(first: $first, after: $after, last: $last, before: $before, orderBy: $orderBy, filter: $filter) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { cursor node { batchId status ${nested ? 'qcResults { resultId }' : ''} } }
  }
}`;

interface Page {
  totalCount: number;
  pageInfo: {
    hasNextPage: boolean;
    hasPreviousPage: boolean;
    startCursor: string | null;
    endCursor: string | null;
  };
  edges: { cursor: string; node: { batchId: string; status: string; qcResults?: unknown[] } }[];
}

const ORDERS = [
  ['SCHEDULED_AT', 'scheduledAt'],
  ['LAST_CHANGED_AT', 'lastChangedAt'],
  ['BATCH_NUMBER', 'batchNumber'],
  ['BLOCKER_COUNT', 'blockerCount'],
] as const;

const FILTERS: { label: string; graphql: Record<string, unknown>; prisma: object }[] = [
  { label: 'no filter', graphql: {}, prisma: {} },
  { label: 'blocked', graphql: { blocked: true }, prisma: { blockerCount: { gt: 0 } } },
  {
    label: 'in progress',
    graphql: { status: ['IN_MANUFACTURE', 'HELD'] },
    prisma: { status: { in: ['in-manufacture', 'held'] } },
  },
  { label: 'release-ready', graphql: { releaseReady: true }, prisma: { releaseReady: true } },
  {
    // All on one side: the other gives nothing to fill a page with.
    label: 'one partner',
    graphql: { partnerId: OTHER_CDMO },
    prisma: { OR: [{ sponsorId: OTHER_CDMO }, { cdmoId: OTHER_CDMO }] },
  },
];

/**
 * Batches of northbridge-bio on both sides (the sponsor of some made by caldera-biologics, the
 * CDMO of helvion-tx's), one of its own on both at once, and others it must not see; with ties on
 * every order key across the sides, so the id decides between them.
 */
async function seedBothSides(world: ApiWorld) {
  const rows: string[] = [];
  const statuses = ['in-manufacture', 'held', 'shipped', 'coa-issued', 'scheduled'];
  for (let n = 0; n < 26; n++) {
    const [sponsor, cdmo] =
      n === 25
        ? [CDMO, CDMO]
        : n % 3 === 0
          ? [CDMO, OTHER_CDMO]
          : n % 3 === 1
            ? [SPONSOR, CDMO]
            : [OTHER_SPONSOR, OTHER_CDMO];
    const day = String(1 + (n % 4)).padStart(2, '0');
    const status = statuses[n % statuses.length]!;
    rows.push(
      `('${cdmo}:b-list-${String(n).padStart(2, '0')}', 'LIST-${String((n * 7) % 26).padStart(2, '0')}',
        'prod-list', 'agr-list', '${sponsor}', '${cdmo}', 'site-1', '${status}', 1, 'kg',
        '2026-03-${day}T00:00:00Z', '2026-03-${day}T00:00:00Z', '2026-04-0${1 + (n % 2)}T00:00:00Z',
        ${n % 4 === 0 ? 0 : 1 + (n % 2)}, ${n % 2 === 0}, 1, ${1_000_000 + n})`,
    );
  }
  await world.db.query(
    `insert into rm_batches (id, batch_number, product_id, agreement_id, sponsor_id, cdmo_id, site,
       status, planned_quantity_value, planned_quantity_unit, planned_start, scheduled_at,
       last_changed_at, blocker_count, release_ready, stream_version, last_position)
     values ${rows.join(',\n')}`,
  );
}

function describeBatchLists(open: (options: ReadModelPrismaOptions) => Promise<ApiWorld>) {
  let world: ApiWorld;
  const tokens = new Map<string, string>();
  /** Every statement the API's read model client ran. */
  const statements: string[] = [];
  beforeAll(async () => {
    world = await open({ onQuery: (sql) => statements.push(sql) });
    await seedBothSides(world);
    for (const organization of [CDMO, SPONSOR, OTHER_CDMO])
      tokens.set(organization, await world.token(organization));
  });
  afterAll(async () => world?.close());

  async function page(
    variables: Record<string, unknown>,
    caller = CDMO,
    nested = false,
  ): Promise<Page> {
    const { status, body } = await world.graphql(tokens.get(caller)!, list(nested), variables);
    expect(body.errors).toBeUndefined();
    expect(status).toBe(200);
    return (body.data as { batches: Page }).batches;
  }

  /** The list as one query over "sponsor or CDMO" answers it: the database orders it. */
  async function oracle(field: string, direction: 'asc' | 'desc', where: object, caller = CDMO) {
    const rows = await scopedReadModel(world.prisma, caller).batch.findMany({
      select: { id: true },
      where: { AND: [{ OR: [{ sponsorId: caller }, { cdmoId: caller }] }, where] },
      orderBy: [{ [field]: direction }, { id: 'asc' }],
    });
    return rows.map((row) => row.id);
  }

  /**
   * Every page of `size` that `read` answers, forwards then backwards, checked against the
   * one-query order: the same total at every page, and a next (previous) page while ids remain.
   */
  async function walkPages(
    read: (variables: Record<string, unknown>) => Promise<Page>,
    size: number,
    expected: string[],
    label: string,
  ) {
    const forwards: string[] = [];
    let after: string | null = null;
    for (let n = 0; n < 40; n++) {
      const answer = await read({ first: size, after });
      expect(answer.totalCount, label).toBe(expected.length);
      forwards.push(...answer.edges.map((edge) => edge.node.batchId));
      expect(answer.pageInfo.hasNextPage, label).toBe(forwards.length < expected.length);
      if (!answer.pageInfo.hasNextPage) break;
      after = answer.pageInfo.endCursor;
    }
    expect(forwards, label).toEqual(expected);

    const backwards: string[] = [];
    let before: string | null = null;
    for (let n = 0; n < 40; n++) {
      const answer = await read({ last: size, before });
      expect(answer.totalCount, label).toBe(expected.length);
      backwards.unshift(...answer.edges.map((edge) => edge.node.batchId));
      expect(answer.pageInfo.hasPreviousPage, label).toBe(backwards.length < expected.length);
      if (!answer.pageInfo.hasPreviousPage) break;
      before = answer.pageInfo.startCursor;
    }
    expect(backwards, `${label}, backwards`).toEqual(expected);
  }

  /** Every page of `size` of the batch list, forwards then backwards (`walkPages`). */
  async function pagesAgree(
    caller: string,
    orderBy: { field: string; direction: 'ASC' | 'DESC' },
    filter: (typeof FILTERS)[number],
    size: number,
    expected: string[],
    nested = false,
  ) {
    const label = `${caller}, ${filter.label}, pages of ${size}${nested ? ', nested rows' : ''}`;
    await walkPages(
      (variables) => page({ ...variables, orderBy, filter: filter.graphql }, caller, nested),
      size,
      expected,
      label,
    );
  }

  it('sees its batches of both sides, and no one else’s', async () => {
    const all = await page({ first: 100 });
    const ids = all.edges.map((edge) => edge.node.batchId);
    expect(ids.filter((id) => id.includes(':b-list-'))).toHaveLength(18);
    expect(ids.some((id) => id.startsWith(`${OTHER_CDMO}:`) && !id.includes('-list-'))).toBe(false);
    expect(new Set(ids).size).toBe(ids.length);
    expect(all.totalCount).toBe(ids.length);
  });

  for (const [orderField, field] of ORDERS)
    for (const direction of ['ASC', 'DESC'] as const)
      it(`pages by ${orderField} ${direction} forwards and backwards as one query orders it`, async () => {
        for (const filter of FILTERS) {
          const expected = await oracle(field, direction === 'ASC' ? 'asc' : 'desc', filter.prisma);
          expect(expected.length, filter.label).toBeGreaterThan(2);
          const orderBy = { field: orderField, direction };
          for (const size of [1, 4, 7]) await pagesAgree(CDMO, orderBy, filter, size, expected);
        }
      });

  // Most organizations are on one side only (a sponsor's page is its sponsor side's rows).
  it('pages the same for an organization on one side only, sponsor or CDMO', async () => {
    const direction = (n: number) => (n % 2 === 0 ? 'ASC' : 'DESC');
    for (const caller of [SPONSOR, OTHER_CDMO])
      for (const [n, [orderField, field]] of ORDERS.entries())
        for (const filter of [FILTERS[0]!, FILTERS[n % 2 === 0 ? 1 : 2]!]) {
          const orderBy = { field: orderField, direction: direction(n) } as const;
          const expected = await oracle(
            field,
            direction(n) === 'ASC' ? 'asc' : 'desc',
            filter.prisma,
            caller,
          );
          expect(expected.length, `${caller}, ${filter.label}`).toBeGreaterThan(1);
          for (const size of [1, 3]) await pagesAgree(caller, orderBy, filter, size, expected);
        }
  });

  // A page that reads nested rows reads the sides' ids, then the page's rows by them.
  it('pages the same where the page reads nested rows too, on one side or both', async () => {
    for (const caller of [CDMO, SPONSOR])
      for (const [orderField, field] of ORDERS.slice(0, 2)) {
        const orderBy = { field: orderField, direction: 'DESC' } as const;
        for (const filter of FILTERS.slice(0, 3)) {
          const expected = await oracle(field, 'desc', filter.prisma, caller);
          await pagesAgree(caller, orderBy, filter, 3, expected, true);
        }
      }
  });

  it('pages release readiness, the most blocked first, forwards and backwards', async () => {
    const readiness = `query Readiness($first: Int, $after: String, $last: Int, $before: String) {
      releaseReadiness(first: $first, after: $after, last: $last, before: $before) {
        totalCount
        pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
        edges { cursor node { batchId status } }
      }
    }`;
    const unfinished = { status: { notIn: ['aborted', 'qp-certified', 'shipped'] } };
    for (const caller of [CDMO, SPONSOR]) {
      const expected = await oracle('blockerCount', 'desc', unfinished, caller);
      expect(expected.length, caller).toBeGreaterThan(2);
      const read = async (variables: Record<string, unknown>) => {
        const { body } = await world.graphql(tokens.get(caller)!, readiness, variables);
        expect(body.errors).toBeUndefined();
        return (body.data as { releaseReadiness: Page }).releaseReadiness;
      };
      await walkPages(read, 2, expected, caller);
    }
  });

  it('gives each row of a page its own nested lists, from either side', async () => {
    await world.db.query(
      `insert into rm_qc_results (batch_id, result_id, sponsor_id, cdmo_id, test,
         specification_unit, value, unit, within_specification, tested_at, event_id)
       select id, 'qc-' || id, sponsor_id, cdmo_id, 'assay', '%', 99.1, '%', true,
         '2026-03-05T00:00:00Z', 'event-qc-' || id
       from rm_batches where id like '%:b-list-%' and status = 'held'`,
    );
    const all = await page({ first: 100 }, CDMO, true);
    const listed = all.edges.filter((edge) => edge.node.batchId.includes(':b-list-'));
    const held = listed.filter((edge) => edge.node.status === 'HELD');
    expect(held.length).toBeGreaterThan(1);
    for (const { node } of listed)
      expect(node.qcResults, node.batchId).toEqual(
        node.status === 'HELD' ? [{ resultId: `qc-${node.batchId}` }] : [],
      );
  });

  it('counts right as batches move, change hands and go (totals kept apart from the rows)', async () => {
    const totals = async () => {
      const answers: [string, number, number][] = [];
      for (const filter of FILTERS) {
        const expected = await oracle('scheduledAt', 'desc', filter.prisma);
        const { totalCount } = await page({ first: 1, filter: filter.graphql });
        answers.push([filter.label, totalCount, expected.length]);
      }
      return answers;
    };
    const agree = (answers: [string, number, number][]) =>
      expect(answers.map(([label, , expected]) => [label, expected, expected])).toEqual(answers);
    const before = await totals();
    agree(before);
    await world.db.query(
      `update rm_batches set status = 'held', blocker_count = 0, release_ready = false
       where id like '%:b-list-0%'`,
    );
    await world.db.query(`update rm_batches set sponsor_id = $1 where id like '%:b-list-2%'`, [
      SPONSOR,
    ]);
    await world.db.query(`delete from rm_batches where id like '%:b-list-1%'`);
    const after = await totals();
    agree(after);
    expect(after).not.toEqual(before);
  });

  // A dashboard card's fields are a few of the table's columns; the signatures and the
  // open-deviation maps are read only for the fields that show them.
  it('reads the columns a page’s fields ask for, not whole rows', async () => {
    const columnsRead = async (fields: string) => {
      statements.length = 0;
      const { body } = await world.graphql(
        tokens.get(CDMO)!,
        `{ batches(first: 5, filter: { search: "LIST-" }) { edges { node { ${fields} } } } }`,
      );
      expect(body.errors).toBeUndefined();
      const read = statements.filter((sql) => /from\s+"?(public"?\.)?"?rm_batches"?/i.test(sql));
      expect(read.length).toBeGreaterThan(0);
      const nodes = (body.data as { batches: { edges: { node: Record<string, unknown> }[] } })
        .batches.edges;
      return { sql: read.join('\n'), nodes: nodes.map((edge) => edge.node) };
    };
    const card = await columnsRead('batchId batchNumber status blockers { kind }');
    for (const column of ['batch_number', 'status', 'blockers'])
      expect(card.sql).toContain(`"${column}"`);
    for (const column of [
      'certification_signature',
      'disposition_signature',
      'open_deviations',
      'oos_investigations',
      'planned_quantity_value',
    ])
      expect(card.sql).not.toContain(`"${column}"`);
    expect(card.nodes).toHaveLength(5);

    const detail = await columnsRead(
      'batchId plannedQuantity { value unit } certification { registerEntryId } sponsor { id }',
    );
    for (const column of ['planned_quantity_value', 'register_entry_id', 'certification_signature'])
      expect(detail.sql).toContain(`"${column}"`);
    for (const node of detail.nodes) {
      expect(node.plannedQuantity).toEqual({ value: 1, unit: 'kg' });
      expect(node.certification).toBeNull();
      expect(node.sponsor).not.toBeNull();
    }
  });

  it('after a cursor of a batch it does not see: nothing, as after one that does not exist', async () => {
    const theirs = await page({ first: 1 });
    const cursor = theirs.edges[0]!.cursor;
    const decoded = Buffer.from(cursor, 'base64').toString();
    const swap = (id: string) => Buffer.from(decoded.replace(theirs.edges[0]!.node.batchId, id));
    const afterOthers = await page({
      first: 5,
      after: swap(`${OTHER_CDMO}:b-list-02`).toString('base64'),
    });
    const afterMissing = await page({ first: 5, after: swap('no-such-batch').toString('base64') });
    expect(afterOthers).toEqual(afterMissing);
    expect(afterOthers.edges).toEqual([]);
  });
}

describe('batch lists of both party sides (PGlite)', () => {
  describeBatchLists((options) => openApiWorld('pglite', options));
});

describeWithPostgres('batch lists of both party sides (PostgreSQL)', (database) => {
  describeBatchLists((options) => openApiWorld(database(), options));
});
