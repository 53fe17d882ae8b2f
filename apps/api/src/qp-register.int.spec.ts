// The QP register (Annex 16) in GraphQL and as a download, against PostgreSQL: certified batches
// only, each caller its own partnerships' (a filter naming the other pair's QP or product finds
// nothing), per Qualified Person, per product and per period.
import { Authenticator, DEV_AUDIENCE, DEV_ISSUER, DevIssuer } from '@concord/auth';
import { PostgresEventStore } from '@concord/event-store-postgres';
import {
  CDMO,
  OTHER_CDMO,
  OTHER_SPONSOR,
  PAIR_A,
  PAIR_B,
  partnerExchange,
  personIn,
  SPONSOR,
} from '@concord/ingest/test-support';
import {
  QP_REGISTER_COLUMNS,
  qpRegisterCsv,
  readModelPrisma,
  type QpRegisterEntry,
  type ReadModelPrisma,
} from '@concord/read-model';
import { pgDatabase } from '@concord/sql';
import { describeWithPostgres } from '@concord/test-infra/vitest';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiServer, type ApiServer } from './api-server.ts';

const A1 = `${CDMO}:b-nb-hlv201-26-0951`;
const A2 = `${CDMO}:b-nb-hlv201-26-0952`;
const A_RELEASED_ONLY = `${CDMO}:b-nb-hlv201-26-0953`;
const B1 = `${OTHER_CDMO}:b-cal-aur310-26-0951`;

const REGISTER = `query Register($filter: QpRegisterFilter) {
  qpRegister(first: 10, filter: $filter) {
    totalCount
    edges { node {
      registerEntryId certifiedAt batchId batchNumber productId site
      qualifiedPerson { personId printedName }
      signature { meaning signedAt }
      sponsor { organizationId } cdmo { organizationId }
      batch { status }
    } }
  }
}`;

interface Node {
  registerEntryId: string;
  certifiedAt: string;
  batchId: string;
  batchNumber: string;
  productId: string;
  qualifiedPerson: { personId: string; printedName: string } | null;
  signature: { meaning: string } | null;
  sponsor: { organizationId: string } | null;
  cdmo: { organizationId: string } | null;
  batch: { status: string } | null;
}

describeWithPostgres('the QP register', (database) => {
  let store: PostgresEventStore;
  let prisma: ReadModelPrisma;
  let server: ApiServer;
  const tokens = new Map<string, string>();

  beforeAll(async () => {
    const db = pgDatabase({ connectionString: database().url });
    store = await PostgresEventStore.open(db);
    prisma = readModelPrisma({ connectionString: database().url });
    const issuer = await DevIssuer.open();
    const authenticator = new Authenticator({
      issuer: DEV_ISSUER,
      audience: DEV_AUDIENCE,
      keys: issuer.jwks(),
    });
    server = await startApiServer({
      store,
      db,
      prisma,
      authenticator,
      logger: pino({ level: 'silent' }),
      port: 0,
    });
    const exchange = await partnerExchange(store, { secondPair: true });
    await exchange.publish([
      ...exchange.feed.released(PAIR_A, A1, '2026-04-10'),
      ...exchange.feed.released(PAIR_A, A2, '2026-04-12'),
      ...exchange.feed.released(PAIR_A, A_RELEASED_ONLY, '2026-04-13', { certified: false }),
      ...exchange.feed.released(PAIR_B, B1, '2026-04-11'),
    ]);
    await server.projector.catchUp();
    for (const organizationId of [SPONSOR, CDMO, OTHER_SPONSOR]) {
      const qa = personIn(organizationId, 'qa');
      tokens.set(
        organizationId,
        await issuer.mint({
          personId: qa.personId,
          organizationId,
          roles: ['qa'],
          name: qa.printedName,
        }),
      );
    }
  });

  afterAll(async () => {
    await server?.close();
    await prisma?.$disconnect();
    await store?.close();
  });

  const register = async (organizationId: string, filter?: Record<string, unknown>) => {
    const response = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${tokens.get(organizationId)}`,
      },
      body: JSON.stringify({ query: REGISTER, variables: { filter } }),
    });
    const body = (await response.json()) as {
      data?: { qpRegister: { totalCount: number; edges: { node: Node }[] } };
      errors?: unknown[];
    };
    expect(body.errors).toBeUndefined();
    return body.data!.qpRegister;
  };
  const batchIdsOf = (page: { edges: { node: Node }[] }) =>
    page.edges.map(({ node }) => node.batchId);

  it('lists the certified batches of the caller’s partnerships, newest certification first', async () => {
    const page = await register(SPONSOR);
    expect(page.totalCount).toBe(2);
    expect(batchIdsOf(page)).toEqual([A2, A1]);
    const qp = personIn(PAIR_A.certifier, 'qp');
    expect(page.edges[1]!.node).toMatchObject({
      registerEntryId: expect.stringMatching(/^QPR-/),
      certifiedAt: '2026-04-10T08:00:00.000Z',
      productId: PAIR_A.product,
      qualifiedPerson: { personId: qp.personId, printedName: qp.printedName },
      signature: { meaning: expect.any(String) },
      sponsor: { organizationId: SPONSOR },
      cdmo: { organizationId: CDMO },
      batch: { status: 'QP_CERTIFIED' },
    });
    // The CDMO of the pair keeps the same register; the other pair's sponsor its own.
    expect(batchIdsOf(await register(CDMO))).toEqual([A2, A1]);
    expect(batchIdsOf(await register(OTHER_SPONSOR))).toEqual([B1]);
  });

  it('narrows to one Qualified Person, one product or one period, and never to another pair', async () => {
    const qpA = personIn(PAIR_A.certifier, 'qp').personId;
    const qpB = personIn(PAIR_B.certifier, 'qp').personId;
    expect(batchIdsOf(await register(SPONSOR, { qualifiedPerson: qpA }))).toEqual([A2, A1]);
    expect(batchIdsOf(await register(OTHER_SPONSOR, { qualifiedPerson: qpB }))).toEqual([B1]);
    // Naming the other pair's QP or product tells nothing about it.
    expect((await register(SPONSOR, { qualifiedPerson: qpB })).totalCount).toBe(0);
    expect((await register(SPONSOR, { productId: PAIR_B.product })).totalCount).toBe(0);
    expect(batchIdsOf(await register(SPONSOR, { productId: PAIR_A.product }))).toEqual([A2, A1]);
    expect(
      batchIdsOf(
        await register(SPONSOR, {
          certified: { from: '2026-04-11T00:00:00Z', to: '2026-04-30T00:00:00Z' },
        }),
      ),
    ).toEqual([A2]);
  });

  const download = (query: string, organizationId: string | null = SPONSOR) =>
    fetch(`${server.url}/registers/qp${query}`, {
      headers: organizationId ? { authorization: `Bearer ${tokens.get(organizationId)}` } : {},
    });

  it('downloads as CSV and JSON, scoped and filtered the same way', async () => {
    const csv = await download('');
    expect(csv.status).toBe(200);
    expect(csv.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(csv.headers.get('content-disposition')).toContain('qp-register.csv');
    const lines = (await csv.text()).trim().split('\n');
    expect(lines[0]).toBe(
      'register_entry_id,certified_at,qualified_person_id,qualified_person_name,signature_meaning,signed_at,batch_id,batch_number,product_id,product_name,site,sponsor_id,cdmo_id',
    );
    expect(lines).toHaveLength(3);
    expect(lines[1]).toContain(A2);
    expect(lines[2]).toContain(A1);
    expect(lines[2]).toContain('2026-04-10T08:00:00.000Z');

    const json = await download(`?format=json&productId=${encodeURIComponent(PAIR_A.product)}`);
    const { entries } = (await json.json()) as { entries: QpRegisterEntry[] };
    expect(entries.map((entry) => entry.batch_id)).toEqual([A2, A1]);
    expect(entries[0]).toMatchObject({
      qualified_person_id: personIn(PAIR_A.certifier, 'qp').personId,
      sponsor_id: SPONSOR,
      cdmo_id: CDMO,
    });

    const other = await download('?format=json', OTHER_SPONSOR);
    expect(
      ((await other.json()) as { entries: QpRegisterEntry[] }).entries.map((e) => e.batch_id),
    ).toEqual([B1]);
  });

  it('refuses what it cannot answer with a reason, and strangers', async () => {
    expect((await download('', null)).status).toBe(401);
    const format = await download('?format=xlsx');
    expect(format.status).toBe(400);
    expect(await format.text()).toContain('csv or json');
    const instant = await download('?certifiedFrom=yesterday');
    expect(instant.status).toBe(400);
    expect(await instant.text()).toContain('certifiedFrom yesterday is not an instant');
    expect((await fetch(`${server.url}/registers/qp`, { method: 'POST' })).status).toBe(405);
  });
});

describe('the QP register as CSV', () => {
  it('keeps a partner’s text as text in a spreadsheet: a leading = is not a formula', () => {
    const entry = Object.fromEntries(
      QP_REGISTER_COLUMNS.map((column) => [column, 'x']),
    ) as QpRegisterEntry;
    const csv = qpRegisterCsv([
      { ...entry, batch_number: '=HYPERLINK("https://evil.example","ok")', site: 'Cork, IE' },
    ]);
    const row = csv.trim().split('\n')[1]!;
    expect(row).toContain(`"'=HYPERLINK(""https://evil.example"",""ok"")"`);
    expect(row).toContain('"Cork, IE"');
  });
});
