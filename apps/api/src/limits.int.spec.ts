import { PAIR_A } from '@concord/ingest/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  A1,
  A2,
  B1,
  CDMO,
  DEV_A,
  openApiWorld,
  OTHER_SPONSOR,
  SPONSOR,
  type ApiWorld,
} from './test-support/api-world.ts';

/**
 * An operation `levels` fields deep, leaf included: batch → deviationLinks → deviation →
 * batchLinks → batch → … → a scalar of the type reached.
 */
function nested(levels: number): string {
  const chain = ['deviationLinks', 'deviation', 'batchLinks', 'batch'];
  // The type each level's field returns, from `batch` (level 1) on.
  const leaves = ['batchId', 'impact', 'deviationId', 'impact'];
  let selection = leaves[(levels - 2) % 4]!;
  for (let level = levels - 1; level >= 2; level -= 1)
    selection = `${chain[(level - 2) % 4]} { ${selection} }`;
  return `query Deep($id: ID!) { batch(id: $id) { ${selection} } }`;
}

const DASHBOARD = (releaseFirst: string, deviationsFirst: string) => `query Dashboard${
  releaseFirst.startsWith('$') ? '($releaseFirst: Int, $deviationsFirst: Int)' : ''
} {
  viewer { id roles organization { name } }
  summary {
    batchesByStatus { key count } deviationsBySeverity { key count }
    openDeviations lateNotifications releaseReady blocked
    cycleTimes { stage averageHours batches }
  }
  releaseReadiness(first: ${releaseFirst}) {
    totalCount
    edges { node { id batchId batchNumber status releaseReady cdmo { name }
      blockers { kind description severity reference } } }
  }
  deviations(first: ${deviationsFirst}, filter: { open: true }) {
    totalCount
    edges { node { id deviationId title severity status notifiedLate ageDays } }
  }
}`;

/** The same dashboard written as a client library writes it: each selection in a fragment. */
const DASHBOARD_IN_FRAGMENTS = `query Dashboard {
  viewer { id roles organization { name } }
  summary { ...Figures }
  releaseReadiness(first: 50) { totalCount edges { node { ...ReadinessCard } } }
  deviations(first: 20, filter: { open: true }) { totalCount edges { node { ...DeviationRow } } }
}
fragment Figures on OrganizationSummary {
  batchesByStatus { key count } deviationsBySeverity { key count }
  openDeviations lateNotifications releaseReady blocked
  cycleTimes { stage averageHours batches }
}
fragment ReadinessCard on Batch {
  id batchId batchNumber status releaseReady cdmo { name } blockers { ...Blocker }
}
fragment Blocker on ReleaseBlocker { kind description severity reference }
fragment DeviationRow on Deviation { id deviationId title severity status notifiedLate ageDays }`;

const COST =
  /^The operation is estimated to cost \d+(\.\d+)?, above the limit of 5000: ask for smaller pages \(first\/last\), fewer nested connections or fewer fields, or split it into several operations\.$/;
const DEPTH = (found: number) =>
  `The operation nests fields ${found} levels deep, above the limit of 10: select less deeply, and follow links in a second operation.`;

describe('limits on what one operation may ask (embedded read model, PGlite)', () => {
  let world: ApiWorld;
  let token: string;
  beforeAll(async () => {
    world = await openApiWorld('pglite');
    token = await world.token(SPONSOR);
  });
  afterAll(async () => world?.close());

  /** Sends an operation that must be refused before it runs; resolves to the one message. */
  async function refused(query: string, variables?: Record<string, unknown>): Promise<string> {
    const { status, body } = await world.graphql(token, query, variables);
    expect(status).toBe(200);
    expect(body.data ?? null).toBeNull();
    expect(body.errors).toHaveLength(1);
    return body.errors![0]!.message;
  }

  /** Subscribes over SSE to an operation that must be refused; resolves to the one result. */
  async function refusedSubscription(query: string, variables?: Record<string, unknown>) {
    const response = await world.api.yoga.fetch('http://concord.test/graphql', {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'text/event-stream',
        authorization: `Bearer ${token}`,
      },
      body: JSON.stringify({ query, variables }),
    });
    // A refused subscription is one `next` event with the error, then `complete`.
    const text = await response.text();
    expect(text).toContain('event: complete');
    const [, data] = /event: next\ndata: (.*)\n/.exec(text) ?? [];
    return JSON.parse(data!) as unknown;
  }

  async function answered(query: string, variables?: Record<string, unknown>) {
    const { status, body } = await world.graphql(token, query, variables);
    expect(body.errors).toBeUndefined();
    expect(status).toBe(200);
    return body.data as Record<string, unknown>;
  }

  it('answers a dashboard-sized query, page sizes given as literals or as variables', async () => {
    for (const [query, variables] of [
      [DASHBOARD('50', '20'), undefined],
      [DASHBOARD('$releaseFirst', '$deviationsFirst'), { releaseFirst: 50, deviationsFirst: 20 }],
    ] as const) {
      const data = (await answered(query, variables)) as {
        releaseReadiness: { totalCount: number; edges: { node: { batchId: string } }[] };
        deviations: { totalCount: number; edges: { node: { deviationId: string } }[] };
      };
      expect(data.releaseReadiness.edges.map((edge) => edge.node.batchId).sort()).toEqual([A1, A2]);
      expect(data.deviations.edges.map((edge) => edge.node.deviationId)).toEqual([DEV_A]);
    }
  });

  it('costs fragments as the fields they hold: the dashboard written in fragments is answered', async () => {
    // Counted as a level each (armor's default), nested fragments made this cost over 5000.
    const data = (await answered(DASHBOARD_IN_FRAGMENTS)) as {
      releaseReadiness: { edges: { node: { batchId: string } }[] };
      deviations: { edges: { node: { deviationId: string } }[] };
    };
    expect(data.releaseReadiness.edges.map((edge) => edge.node.batchId).sort()).toEqual([A1, A2]);
    expect(data.deviations.edges.map((edge) => edge.node.deviationId)).toEqual([DEV_A]);
    // Over the limit (each card with a page of 100 timeline entries), both spellings are refused
    // at the same estimate, to the fraction.
    const over = (query: string) =>
      query.replaceAll(
        'cdmo { name }',
        'cdmo { name } timeline(first: 100) { edges { node { eventId } } }',
      );
    const inline = await refused(over(DASHBOARD('50', '20')));
    expect(inline).toMatch(COST);
    expect(await refused(over(DASHBOARD_IN_FRAGMENTS))).toBe(inline);
  });

  it('refuses a selection deeper than 10 levels (batch → deviationLinks → deviation → …)', async () => {
    const ten = (await answered(nested(10), { id: A2 })) as { batch: { batchId: string } | null };
    expect(ten.batch).not.toBeNull();
    expect(await refused(nested(11), { id: A2 })).toBe(DEPTH(11));
    expect(await refused(nested(16), { id: A2 })).toBe(DEPTH(16));
    // Much deeper, refused as deep (validation measures depth before the cost is estimated).
    expect(await refused(nested(60), { id: A2 })).toBe(DEPTH(60));
    // The same attack spread over fragments is measured through them: 12 levels of fields (a
    // fragment is no level of its own, so the dashboard's fragments cost what inline fields do).
    const viaFragments = `query($id: ID!) { batch(id: $id) { ...L1 } }
      fragment L1 on Batch { deviationLinks { deviation { batchLinks { batch { ...L2 } } } } }
      fragment L2 on Batch {
        deviationLinks { deviation { batchLinks { batch { deviationLinks { deviation { deviationId } } } } } }
      }`;
    expect(await refused(viaFragments, { id: A2 })).toBe(DEPTH(12));
  });

  it('refuses more than 10 aliases (an alias flood of batches)', async () => {
    const aliases = (count: number) =>
      `{ ${Array.from({ length: count }, (_, index) => `b${index}: batches { totalCount }`).join(' ')} }`;
    const ten = await answered(aliases(10));
    expect(Object.values(ten)).toEqual(Array.from({ length: 10 }, () => ({ totalCount: 2 })));
    expect(await refused(aliases(11))).toBe(
      'The operation uses 11 aliases, above the limit of 10: use fewer aliases (a list field with a filter asks for many records at once).',
    );
    expect(await refused(aliases(250))).toBe(
      'The operation uses 250 aliases, above the limit of 10: use fewer aliases (a list field with a filter asks for many records at once).',
    );
  });

  it('refuses an operation estimated above 5000, whether its page sizes are literals or variables', async () => {
    const pages = (first: string) =>
      `batches(first: ${first}) { edges { node { batchId
        timeline(first: ${first}) { edges { node { eventId
          batch { timeline(first: ${first}) { totalCount } } } } } } } }`;
    expect(await refused(`{ ${pages('100')} }`)).toMatch(COST);
    // A variable page size used to count as 1 in the estimate, and this ran.
    expect(await refused(`query($n: Int) { ${pages('$n')} }`, { n: 100 })).toMatch(COST);
    // A variable's default value counts too.
    expect(await refused(`query($n: Int = 100) { ${pages('$n')} }`)).toMatch(COST);
    // So do pages inside fragments.
    expect(
      await refused(
        `query($n: Int) { batches(first: $n) { ...Page } }
         fragment Page on QueryBatchesConnection {
           edges { node { timeline(first: $n) { edges { node { batch { batchId } } } } } } }`,
        { n: 100 },
      ),
    ).toMatch(COST);
    // The same shape with small pages is fine.
    const small = (await answered(`query($n: Int) { ${pages('$n')} }`, { n: 2 })) as {
      batches: { edges: unknown[] };
    };
    expect(small.batches.edges).toHaveLength(2);
  });

  it('refuses a document of more than 3000 tokens', async () => {
    const { status, body } = await world.graphql(
      token,
      `{ viewer { ${Array.from({ length: 3_000 }, () => 'id').join(' ')} } }`,
    );
    expect(status).toBe(200);
    expect(body.data ?? null).toBeNull();
    expect(body.errors).toEqual([
      {
        message:
          'The document has more than 3000 tokens: send a smaller operation (fewer fields, or split it).',
        extensions: { code: 'TOKEN_LIMIT_EXCEEDED', limit: 3000 },
      },
    ]);
  });

  it('refuses a page above 100 on any connection, as a literal or a variable', async () => {
    const hundred = (await answered('{ batches(first: 100) { edges { node { batchId } } } }')) as {
      batches: { edges: unknown[] };
    };
    expect(hundred.batches.edges).toHaveLength(2);
    expect(await refused('{ batches(first: 101) { totalCount } }')).toBe(
      'Page size 101 exceeds the maximum of 100 (first on batches).',
    );
    expect(
      await refused('query($n: Int) { deviations(last: $n) { totalCount } }', { n: 5_000 }),
    ).toBe('Page size 5000 exceeds the maximum of 100 (last on deviations).');
    expect(
      await refused(
        '{ releaseReadiness(first: 1) { edges { node { timeline(first: 101) { totalCount } } } } }',
      ),
    ).toBe('Page size 101 exceeds the maximum of 100 (first on timeline).');
  });

  it('refuses more than 20 directives', async () => {
    const directives = (count: number) =>
      `{ viewer { ${Array.from({ length: count }, () => 'id @include(if: true)').join(' ')} } }`;
    expect(await answered(directives(20))).toEqual({ viewer: { id: expect.any(String) } });
    expect(await refused(directives(21))).toBe(
      'The operation uses 21 directives, above the limit of 20: use fewer @include/@skip.',
    );
  });

  it('does not suggest field names to someone probing the schema', async () => {
    const { body } = await world.graphql(token, '{ batchez { totalCount } }');
    expect(body.errors?.[0]?.message).toBe(
      'Cannot query field "batchez" on type "Query". [Suggestion hidden]',
    );
  });

  it('refuses text that is not Unicode (a lone surrogate) in a query’s or a subscription’s variables, naming where', async () => {
    const notUnicode = (where: string) =>
      `${where} holds a lone UTF-16 surrogate (a \\uD800-\\uDFFF escape without its other half): it is not Unicode text.`;
    const search = 'query($filter: BatchFilter) { batches(filter: $filter) { totalCount } }';
    expect(await refused(search, { filter: { search: 'HLV\ud800' } })).toBe(
      notUnicode('Variable "$filter" at "filter.search"'),
    );
    expect(await refused('query($id: ID!) { batch(id: $id) { batchId } }', { id: '\udc00' })).toBe(
      notUnicode('Variable "$id"'),
    );
    // The same filter with a well-formed pair is answered: it matches nothing.
    expect(await answered(search, { filter: { search: 'HLV\ud83d\ude00' } })).toEqual({
      batches: { totalCount: 0 },
    });
    expect(
      await refusedSubscription('subscription($id: ID) { batchChanged(id: $id) { batchId } }', {
        id: `${A1}\ud800`,
      }),
    ).toEqual({
      errors: [{ message: notUnicode('Variable "$id"'), extensions: { code: 'BAD_USER_INPUT' } }],
    });
  });

  it('applies the page limits to subscriptions too', async () => {
    expect(
      await refusedSubscription(
        'subscription { batchChanged { batchId timeline(first: 101) { totalCount } } }',
      ),
    ).toEqual({
      errors: [{ message: 'Page size 101 exceeds the maximum of 100 (first on timeline).' }],
    });
  });
});

/**
 * A dashboard page: batches with their sponsor, CDMO, blockers (and the deviation behind each),
 * deviation links and QC results.
 */
const DASHBOARD_PAGE = (extra = '') => `query DashboardPage($first: Int!) {
  batches(first: $first, orderBy: { field: BATCH_NUMBER, direction: DESC }) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { node {
      id batchId batchNumber status productId productName site releaseReady scheduledAt lastChangedAt
      sponsor { organizationId name kind }
      cdmo { organizationId name kind }
      blockers { kind blocksRelease description severity reference
        deviation { id deviationId title severity status } }
      deviationLinks { impact impactConclusion
        deviation { id deviationId title severity status open } }
      qcResults { resultId test value unit withinSpecification testedAt }
      ${extra}
    } }
  }
}`;

interface PageNode {
  batchId: string;
  sponsor: { organizationId: string; name: string } | null;
  cdmo: { organizationId: string; name: string } | null;
  blockers: { kind: string; reference: string | null; deviation: { deviationId: string } | null }[];
  deviationLinks: { deviation: { deviationId: string; severity: string; open: boolean } | null }[];
  qcResults: { resultId: string; value: number; withinSpecification: boolean }[];
}
interface Page {
  batches: {
    totalCount: number;
    pageInfo: { hasNextPage: boolean };
    edges: { node: PageNode }[];
  };
}

/** 50 more batches of pair A, numbered NB-PG-00 … 49 (after A1's and A2's NB-HLV201-…). */
const PAGE_BATCHES = Array.from(
  { length: 50 },
  (_, index) => `${CDMO}:b-nb-pg-${String(index).padStart(2, '0')}`,
);
/** Five major deviations, each linked to two of them (batches 0 and 1, 10 and 11, …). */
const PAGE_DEVIATIONS = Array.from({ length: 5 }, (_, index) => ({
  id: `${CDMO}:dev-nb-pg-${index}`,
  batches: [PAGE_BATCHES[index * 10]!, PAGE_BATCHES[index * 10 + 1]!],
}));
/** Every even-numbered batch went through review and has a QC result. */
const tested = (batchId: string) => PAGE_BATCHES.indexOf(batchId) % 2 === 0;

const hour = (index: number, plus: number) =>
  new Date(Date.parse('2026-04-18T00:00:00Z') + (index * 2 + plus) * 3_600_000)
    .toISOString()
    .replace('.000Z', 'Z');

describe('a dashboard page of 50 batches with their sponsor, CDMO, blockers, deviation links and QC results (PGlite)', () => {
  let world: ApiWorld;
  let token: string;
  /** The SQL statements Prisma ran, as the world's client reports them. */
  const statements: string[] = [];
  beforeAll(async () => {
    world = await openApiWorld('pglite', { onQuery: (sql) => statements.push(sql) });
    token = await world.token(SPONSOR);
    const { batch, deviation } = world.exchange.feed;
    await world.exchange.publish(
      PAGE_BATCHES.flatMap((id, index) => {
        const b = batch(PAIR_A, id);
        return [
          b.scheduled(hour(index, 0)),
          b.started(hour(index, 0.25)),
          ...(tested(id)
            ? [
                b.completed(hour(index, 0.5)),
                b.reviewed(hour(index, 0.75)),
                b.qc(hour(index, 1), 98.5),
              ]
            : []),
        ];
      }),
    );
    await world.exchange.publish(
      PAGE_DEVIATIONS.map((d, index) =>
        deviation(PAIR_A, d.id).reported(hour(100, index), 'major', d.batches, hour(100, index)),
      ),
    );
    await world.projector.catchUp();
  });
  afterAll(async () => world?.close());

  async function page(organizationToken: string, first: number, extra = '') {
    const { status, body } = await world.graphql(organizationToken, DASHBOARD_PAGE(extra), {
      first,
    });
    return { status, body: body as { data?: Page; errors?: { message: string }[] } };
  }

  it('passes the cost limit and answers it whole, each batch with what belongs to it', async () => {
    const { status, body } = await page(token, 50);
    expect(body.errors).toBeUndefined();
    expect(status).toBe(200);
    const { batches } = body.data!;
    expect(batches.totalCount).toBe(52);
    expect(batches.pageInfo.hasNextPage).toBe(true);
    expect(batches.edges.map((edge) => edge.node.batchId)).toEqual([...PAGE_BATCHES].reverse());
    const names = new Map(
      (await world.prisma.organization.findMany()).map((org) => [org.id, org.name]),
    );
    for (const { node } of batches.edges) {
      const linked = PAGE_DEVIATIONS.find((d) => d.batches.includes(node.batchId));
      expect(node.sponsor).toMatchObject({ organizationId: SPONSOR, name: names.get(SPONSOR) });
      expect(node.cdmo).toMatchObject({ organizationId: CDMO, name: names.get(CDMO) });
      expect(node.deviationLinks).toEqual(
        linked
          ? [
              {
                deviation: expect.objectContaining({
                  deviationId: linked.id,
                  severity: 'MAJOR',
                  open: true,
                }),
                impact: null,
                impactConclusion: null,
              },
            ]
          : [],
      );
      const fromDeviations = node.blockers.filter((b) => b.kind === 'OPEN_DEVIATION');
      expect(fromDeviations.map((b) => [b.reference, b.deviation?.deviationId])).toEqual(
        linked ? [[linked.id, linked.id]] : [],
      );
      expect(node.blockers.filter((b) => b.deviation !== null)).toHaveLength(linked ? 1 : 0);
      expect(node.qcResults).toEqual(
        tested(node.batchId)
          ? [
              expect.objectContaining({
                resultId: `qc-${node.batchId.split(':')[1]}-014`,
                value: 98.5,
                withinSpecification: true,
              }),
            ]
          : [],
      );
    }
  });

  it('loads a page in as many statements whatever its size (no query per batch or blocker)', async () => {
    const count = async (first: number) => {
      statements.length = 0;
      const { body } = await page(token, first);
      expect(body.errors).toBeUndefined();
      expect(body.data!.batches.edges).toHaveLength(first);
      // The reads (the previous request's COMMIT may be reported after it has been answered).
      return statements.filter((sql) => /^select/i.test(sql)).length;
    };
    // The first 12: batches 49 … 38, with a deviation (40 and 41), blockers and QC results.
    const small = await count(12);
    expect(await count(50)).toBe(small);
    // The scope, the list (each party side's ids, then the page; each side's count) and one
    // statement per kind of nested row.
    expect(small).toBeLessThanOrEqual(11);
  });

  it("shows another organization's page nothing of these batches, their deviations or partners", async () => {
    const { body } = await page(await world.token(OTHER_SPONSOR), 50);
    expect(body.errors).toBeUndefined();
    const { batches } = body.data!;
    expect(batches.totalCount).toBe(1);
    expect(batches.edges.map((edge) => edge.node.batchId)).toEqual([B1]);
    const text = JSON.stringify(body.data);
    for (const id of [SPONSOR, CDMO, DEV_A, ...PAGE_DEVIATIONS.map((d) => d.id)])
      expect(text).not.toContain(id);
  });

  it('still refuses abusive variants of it, with the cost limit’s sentence', async () => {
    const refusal = async (query: string, variables: Record<string, unknown>) => {
      const { status, body } = await world.graphql(token, query, variables);
      expect(status).toBe(200);
      expect(body.data ?? null).toBeNull();
      expect(body.errors).toHaveLength(1);
      return body.errors![0]!;
    };
    const COST_LIMIT = expect.objectContaining({
      message: expect.stringMatching(COST),
      extensions: expect.objectContaining({ code: 'COST_LIMIT_EXCEEDED', limit: 5000 }),
    });
    // Deep: every linked deviation with a page of 100 of its timeline entries (within the depth).
    const deep = DASHBOARD_PAGE(
      'deviationLinks { deviation { timeline(first: 100) { edges { node { eventId summary } } } } }',
    );
    expect(await refusal(deep, { first: 50 })).toEqual(COST_LIMIT);
    // Wide: the store read and verified for every batch of the page.
    const audited = DASHBOARD_PAGE('viewerCan { release } verification { ok events }');
    expect(await refusal(audited, { first: 50 })).toEqual(COST_LIMIT);
    // Many: ten aliases of the whole page (within the alias limit; each alias costs its page).
    const body = DASHBOARD_PAGE().replace(
      /^query DashboardPage\(\$first: Int!\) \{\n([\s\S]*)\}$/,
      '$1',
    );
    const aliased = `query Aliased($first: Int!) { ${Array.from({ length: 10 }, (_, index) => `p${index}: ${body.trim()}`).join(' ')} }`;
    expect(await refusal(aliased, { first: 50 })).toEqual(COST_LIMIT);
    // Huge: a page above the maximum.
    expect(await refusal(DASHBOARD_PAGE(), { first: 1_000 })).toMatchObject({
      message: 'Page size 1000 exceeds the maximum of 100 (first on batches).',
    });
  });
});
