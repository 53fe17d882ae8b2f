import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditRoutes } from './audit-routes.ts';
import {
  A1,
  A2,
  B1,
  DEV_A,
  OTHER_SPONSOR,
  openApiWorld,
  SPONSOR,
  type ApiWorld,
} from './test-support/api-world.ts';

describe('the auditor views through the API', () => {
  let world: ApiWorld;
  let reports: (request: Request) => Promise<Response>;
  beforeAll(async () => {
    world = await openApiWorld('pglite');
    reports = auditRoutes({
      store: world.store,
      prisma: world.prisma,
      authenticator: world.authenticator,
    });
  });
  afterAll(async () => world?.close());

  const historyQuery = `query ($id: ID!, $at: DateTime!) {
    batch(id: $id) {
      history(first: 25) { totalCount edges { node {
        type summary who { personId printedName organizationId role } occurredAt recordedAt
        lateEntry { recordedAfterMinutes description }
        signature { status description } authority { agreementId version } } } }
      before: asOf(at: $at, timeline: OCCURRED) { status eventsApplied }
      now: asOf(at: "2099-01-01T00:00:00Z") { status }
      verification { ok events signaturesValid brokenLink { streamId } }
    }
  }`;

  it('gives the full record of a batch, its state as of an instant, and its verification', async () => {
    const { body } = await world.graphql(await world.token(SPONSOR), historyQuery, {
      id: A1,
      at: '2026-04-13T00:00:00Z',
    });
    expect(body.errors).toBeUndefined();
    const found = (body.data as { batch: Record<string, never> }).batch as unknown as {
      history: {
        totalCount: number;
        edges: { node: { type: string; signature: { status: string } } }[];
      };
      before: { status: string; eventsApplied: number };
      now: { status: string };
      verification: { ok: boolean; events: number; signaturesValid: number };
    };
    const batch = { ...found, history: found.history.edges.map((edge) => edge.node) };
    expect(found.history.totalCount).toBe(batch.history.length);
    expect(batch.history.map((entry) => entry.type)).toContain('concord.batch.coa-issued.v1');
    // Instants are DateTimes; the world's April events were recorded later, as late entries.
    const [scheduled] = batch.history as unknown as {
      occurredAt: string;
      recordedAt: string;
      lateEntry: { recordedAfterMinutes: number; description: string } | null;
    }[];
    expect(scheduled!.occurredAt).toBe('2026-04-10T08:00:00.000Z');
    expect(scheduled!.recordedAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(scheduled!.lateEntry?.description).toMatch(
      /^Late entry: recorded \d+ (hours|days) after/,
    );
    expect(batch.history.every((entry) => entry.signature.status === 'valid')).toBe(true);
    // Scheduled on the 10th and started on the 12th (occurred): in manufacture on the 13th.
    expect(batch.before).toEqual({ status: 'IN_MANUFACTURE', eventsApplied: 2 });
    expect(batch.now.status).toBe('COA_ISSUED');
    expect(batch.verification).toMatchObject({ ok: true, signaturesValid: 6 });
  });

  it('gives the facts as of an instant typed, field by field, for batches and deviations', async () => {
    const { body } = await world.graphql(
      await world.token(SPONSOR),
      `query ($batch: ID!, $deviation: ID!) {
        batch(id: $batch) {
          beforeQc: asOf(at: "2026-04-18T00:00:00Z", timeline: OCCURRED) {
            instant timeline status facts { status qcResults { resultId } coa { coaId } }
          }
          notYet: asOf(at: "2026-01-01T00:00:00Z", timeline: OCCURRED) {
            eventsApplied status facts { batchId }
          }
          now: asOf(at: "2099-01-01T00:00:00Z") {
            instant timeline status eventsApplied correctionsApplied
            facts {
              batchId status sponsorId cdmoId plannedQuantity { value unit }
              qcResults { test value unit specificationLower specificationUpper withinSpecification testedAt }
              coa { coaId issuedAt eventId occurredAt recordedAt signature { printedName meaning } }
              disposition { decision }
              openDeviations { deviationId severity }
            }
          }
        }
        deviation(id: $deviation) {
          asOf(at: "2099-01-01T00:00:00Z") {
            timeline status facts { deviationId status severity linkedBatchIds reportedAt lateByMinutes }
          }
        }
      }`,
      { batch: A1, deviation: DEV_A },
    );
    expect(body.errors).toBeUndefined();
    const { batch, deviation } = body.data as {
      batch: {
        beforeQc: Record<string, unknown>;
        notYet: Record<string, unknown>;
        now: { facts: Record<string, unknown> } & Record<string, unknown>;
      };
      deviation: { asOf: { facts: Record<string, unknown> } & Record<string, unknown> };
    };
    // Before QC (occurred timeline): in record review, no results, no CoA yet.
    expect(batch.beforeQc).toEqual({
      instant: '2026-04-18T00:00:00.000Z',
      timeline: 'OCCURRED',
      status: 'RECORD_REVIEWED',
      facts: { status: 'RECORD_REVIEWED', qcResults: [], coa: null },
    });
    // Before it was scheduled there is nothing: no status, no facts.
    expect(batch.notYet).toEqual({ eventsApplied: 0, status: null, facts: null });
    expect(batch.now).toMatchObject({ timeline: 'RECORDED', status: 'COA_ISSUED' });
    expect(batch.now.facts).toMatchObject({
      batchId: A1,
      status: 'COA_ISSUED',
      sponsorId: SPONSOR,
      disposition: null,
      openDeviations: [],
    });
    const [result] = batch.now.facts.qcResults as Record<string, unknown>[];
    expect(result).toMatchObject({ value: 98.1, withinSpecification: true });
    expect(
      typeof result!.specificationLower === 'number' ||
        typeof result!.specificationUpper === 'number',
    ).toBe(true);
    const coa = batch.now.facts.coa as Record<string, unknown>;
    expect(coa.issuedAt).toMatch(/^2026-04-21T/);
    expect(coa.occurredAt).toMatch(/^\d{4}-\d\d-\d\dT.*Z$/);
    // The deviation (reported by the CDMO for A2): its status and severity are the API's enums.
    expect(deviation.asOf).toMatchObject({ timeline: 'RECORDED', status: 'REPORTED' });
    expect(deviation.asOf.facts).toMatchObject({
      deviationId: DEV_A,
      status: 'REPORTED',
      severity: 'MAJOR',
      linkedBatchIds: [A2],
    });
  });

  it('gives the history page by page, in the order of the record', async () => {
    const token = await world.token(SPONSOR);
    const page = async (after: string | null) => {
      const { body } = await world.graphql(
        token,
        `query ($id: ID!, $after: String) { batch(id: $id) { history(first: 2, after: $after) {
          totalCount pageInfo { hasNextPage endCursor } edges { node { eventId } } } } }`,
        { id: A1, after },
      );
      expect(body.errors).toBeUndefined();
      return (
        body.data as {
          batch: {
            history: {
              totalCount: number;
              pageInfo: { hasNextPage: boolean; endCursor: string | null };
              edges: { node: { eventId: string } }[];
            };
          };
        }
      ).batch.history;
    };
    const seen: string[] = [];
    let after: string | null = null;
    let pages = 0;
    for (;;) {
      const history = await page(after);
      expect(history.edges.length).toBeLessThanOrEqual(2);
      seen.push(...history.edges.map((edge) => edge.node.eventId));
      pages++;
      if (!history.pageInfo.hasNextPage) {
        expect(seen).toHaveLength(history.totalCount);
        break;
      }
      after = history.pageInfo.endCursor;
    }
    expect(pages).toBeGreaterThan(1);
    expect(new Set(seen).size).toBe(seen.length);
    const all = (await world.store.readStream(`batch-${A1}`)).map((event) => event.id);
    expect(seen).toEqual(all);
  });

  it("shows another partnership's batch to nobody, exactly like a missing one", async () => {
    const token = await world.token(OTHER_SPONSOR);
    const theirs = await world.graphql(token, historyQuery, { id: A1, at: '2026-04-13T00:00:00Z' });
    const missing = await world.graphql(token, historyQuery, {
      id: 'no-such-batch',
      at: '2026-04-13T00:00:00Z',
    });
    expect(theirs.body).toEqual({ data: { batch: null } });
    expect(theirs.body).toEqual(missing.body);
  });

  it('downloads the report of a batch the caller may see, as HTML or JSON', async () => {
    const token = await world.token(SPONSOR);
    const html = await reports(
      new Request(`http://concord.test/audit/batches/${A1}/report`, {
        headers: { authorization: `Bearer ${token}` },
      }),
    );
    expect(html.status).toBe(200);
    expect(html.headers.get('content-disposition')).toContain(
      `audit-${A1.replaceAll(':', '_')}.html`,
    );
    expect(await html.text()).toContain(A1);
    const json = await reports(
      new Request(
        `http://concord.test/audit/batches/${A1}/report?format=json&asOf=2026-04-13T00:00:00Z&timeline=occurred`,
        { headers: { authorization: `Bearer ${token}` } },
      ),
    );
    expect(json.status).toBe(200);
    expect(((await json.json()) as { asOf: unknown }).asOf).toEqual({
      instant: '2026-04-13T00:00:00.000Z',
      timeline: 'occurred',
    });
  });

  it('refuses the report to strangers and the anonymous, saying nothing of what exists', async () => {
    const other = await world.token(OTHER_SPONSOR);
    const get = (batchId: string, token?: string) =>
      reports(
        new Request(`http://concord.test/audit/batches/${batchId}/report`, {
          headers: token ? { authorization: `Bearer ${token}` } : {},
        }),
      );
    const theirs = await get(A1, other);
    const missing = await get('no-such-batch', other);
    expect(theirs.status).toBe(404);
    expect(missing.status).toBe(404);
    expect((await theirs.text()).replace(A1, 'X')).toBe(
      (await missing.text()).replace('no-such-batch', 'X'),
    );
    expect((await get(B1, other)).status).toBe(200);
    expect((await get(A1)).status).toBe(401);
  });
});
