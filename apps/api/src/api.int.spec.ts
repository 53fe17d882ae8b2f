import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { A1, A2, DEV_A, openApiWorld, SPONSOR, type ApiWorld } from './test-support/api-world.ts';

describe('the GraphQL API over the embedded read model (PGlite)', () => {
  let world: ApiWorld;
  beforeAll(async () => {
    world = await openApiWorld('pglite');
  });
  afterAll(async () => world?.close());

  it('lists the sponsor its batches with readiness, parties and a timeline', async () => {
    const { status, body } = await world.graphql(
      await world.token(SPONSOR),
      `{
        viewer { id organization { organizationId } }
        batches(first: 10, orderBy: { field: BATCH_NUMBER, direction: ASC }) {
          totalCount
          edges { node { id batchId status releaseReady cdmo { name }
            blockers { kind blocksRelease reference deviation { deviationId severity notifiedLate } }
            timeline(first: 2) { totalCount edges { node { type actorName occurredAt } } } } }
        }
      }`,
    );
    expect(body.errors).toBeUndefined();
    expect(status).toBe(200);
    const data = body.data as {
      batches: { totalCount: number; edges: { node: Record<string, unknown> }[] };
    };
    expect(data.batches.totalCount).toBe(2);
    const [first, second] = data.batches.edges.map((edge) => edge.node);
    expect(first).toMatchObject({ batchId: A1, status: 'COA_ISSUED', releaseReady: true });
    expect(second).toMatchObject({ batchId: A2, status: 'IN_MANUFACTURE', releaseReady: false });
    expect(second!.blockers).toContainEqual({
      kind: 'OPEN_DEVIATION',
      blocksRelease: true,
      reference: DEV_A,
      deviation: { deviationId: DEV_A, severity: 'MAJOR', notifiedLate: true },
    });
    // Ready for release: only the final acts remain, none of which stops it.
    expect(first!.blockers).toContainEqual(
      expect.objectContaining({ kind: 'MISSING_DISPOSITION', blocksRelease: false }),
    );
    expect((first!.blockers as { blocksRelease: boolean }[]).some((b) => b.blocksRelease)).toBe(
      false,
    );
    expect((first!.timeline as { totalCount: number }).totalCount).toBe(6);
  });

  it('refuses an anonymous caller without saying what exists', async () => {
    const { body } = await world.graphql(null, `{ batches(first: 5) { totalCount } }`);
    expect(body.errors?.[0]?.message).toMatch(/Not authorized/);
    expect(body.data ?? null).toBeNull();
  });

  it('answers 401 to a forged token', async () => {
    const { status, body } = await world.graphql('not-a-token', `{ viewer { id } }`);
    expect(status).toBe(401);
    expect(body.errors?.[0]?.message).toMatch(/not valid/);
  });
});

// A deviation list reads its summary's columns; the long texts, CAPA plans and signatures only
// for the fields that show them (as a batch list, batch-list.int.spec.ts).
describe('the columns a deviation page reads (PGlite)', () => {
  let world: ApiWorld;
  const statements: string[] = [];
  beforeAll(async () => {
    world = await openApiWorld('pglite', { onQuery: (sql) => statements.push(sql) });
  });
  afterAll(async () => world?.close());

  async function deviationsRead(fields: string) {
    statements.length = 0;
    const { body } = await world.graphql(
      await world.token(SPONSOR),
      `{ deviations(first: 5) { edges { node { ${fields} } } } }`,
    );
    expect(body.errors).toBeUndefined();
    const read = statements.filter((sql) => /from\s+"public"\."rm_deviations"/i.test(sql));
    expect(read.length).toBeGreaterThan(0);
    const { edges } = (body.data as { deviations: { edges: { node: Record<string, unknown> }[] } })
      .deviations;
    return { sql: read.join('\n'), nodes: edges.map((edge) => edge.node) };
  }

  it('reads what the fields ask for, not whole rows', async () => {
    const list = await deviationsRead('deviationId title severity status deadlineStatus ageDays');
    expect(list.nodes).toContainEqual(expect.objectContaining({ deviationId: DEV_A }));
    for (const column of ['title', 'severity', 'detected_at'])
      expect(list.sql).toContain(`"${column}"`);
    for (const column of ['description', 'capa_actions', 'closing_signature', 'due_dates'])
      expect(list.sql).not.toContain(`"${column}"`);

    const detail = await deviationsRead(
      'deviationId description deadlines { kind } capaActions { description } closingSignature { meaning }',
    );
    for (const column of ['description', 'due_dates', 'capa_actions', 'closing_signature'])
      expect(detail.sql).toContain(`"${column}"`);
    const mine = detail.nodes.find((node) => node.deviationId === DEV_A)!;
    expect(mine.description).toEqual(expect.any(String));
    expect((mine.description as string).length).toBeGreaterThan(0);
    expect(mine.capaActions).toEqual(expect.any(Array));
  });
});
