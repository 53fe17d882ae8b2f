// What the API publishes so that a partner can hold the platform to its word: the evidence bundle
// of a batch (checked here with nothing but the standalone verifier), the tree heads the platform
// signed and stored (GraphQL and HTTP), the verdict of each audit against the latest of them, and
// each organization's own receipts. Every read is scoped like the rest of the API.
import { backUpStore, swapGlobalNeighbours } from '@concord/audit/test-support';
import { receiptSigner } from '@concord/evidence';
import { IngestPipeline } from '@concord/ingest';
import { PAIR_A } from '@concord/ingest/test-support';
import {
  verifyBundle,
  verifyReceiptSignature,
  type EvidenceBundle,
  type SignedCheckpoint,
  type SignedReceipt,
} from '@concord/verifier';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditRoutes } from './audit-routes.ts';
import { logRoutes } from './log-routes.ts';
import {
  A1,
  CDMO,
  NOW,
  OTHER_SPONSOR,
  openApiWorld,
  PLATFORM_KEY,
  PLATFORM_KEYRING,
  SPONSOR,
  type ApiWorld,
} from './test-support/api-world.ts';

/** A validly signed token's organization that nothing belongs to. */
const NOBODY = 'nobody-pharma';
const CHECKPOINT_FIELDS = 'origin treeSize rootHash timestamp keyId signature';
const CHECKPOINTS = `query ($after: Int, $first: Int) {
  logCheckpoints(after: $after, first: $first) { ${CHECKPOINT_FIELDS} }
  latestLogCheckpoint { ${CHECKPOINT_FIELDS} }
}`;
const VERIFICATION = `query ($id: ID!) { batch(id: $id) { verification {
  ok brokenLink { streamId }
  checkpoint { ok treeSize timestamp keyId problem detail summary }
} } }`;
const RECEIPT = `query ($source: String!, $id: String!) {
  receipt(source: $source, id: $id) { status source id organizationId eventId code issuedAt keyId signed }
}`;

type Check = {
  ok: boolean;
  treeSize: number;
  timestamp: string;
  keyId: string | null;
  problem: string | null;
  detail: string | null;
  summary: string;
};

describe('evidence, tree heads and receipts through the API', () => {
  let world: ApiWorld;
  let routes: (request: Request) => Promise<Response>;
  let log: (request: Request) => Promise<Response>;
  /** Signs and stores the next checkpoint, as the platform does periodically. */
  const signNext = async () =>
    (await world.checkpoints.signNext(world.store, PLATFORM_KEY, PLATFORM_KEYRING))!;
  beforeAll(async () => {
    world = await openApiWorld('pglite');
    routes = auditRoutes({
      store: world.store,
      prisma: world.prisma,
      authenticator: world.authenticator,
      platformKey: PLATFORM_KEY,
      platformKeyring: PLATFORM_KEYRING,
      checkpoints: world.checkpoints,
    });
    log = logRoutes({ authenticator: world.authenticator, checkpoints: world.checkpoints });
  });
  afterAll(async () => world?.close());

  const get = (route: (request: Request) => Promise<Response>, path: string, token?: string) =>
    route(
      new Request(`http://concord.test${path}`, {
        headers: token ? { authorization: `Bearer ${token}` } : {},
      }),
    );
  /** A token of `organizationId`, including one nothing belongs to. */
  const tokenOf = (organizationId: string) =>
    organizationId === NOBODY
      ? world.issuer.mint({ personId: 'np-p-0001', organizationId, roles: ['qa'], name: 'Nobody' })
      : world.token(organizationId);
  const ask = async <T>(organizationId: string, query: string, variables = {}) => {
    const { body } = await world.graphql(await tokenOf(organizationId), query, variables);
    expect(body.errors).toBeUndefined();
    return body.data as T;
  };
  const verification = async (organizationId = SPONSOR) =>
    (
      await ask<{ batch: { verification: { ok: boolean; checkpoint: Check | null } } }>(
        organizationId,
        VERIFICATION,
        { id: A1 },
      )
    ).batch.verification;

  it('has no stored checkpoint before the platform signs one, and says so', async () => {
    expect(await ask(SPONSOR, CHECKPOINTS, { after: null, first: null })).toEqual({
      logCheckpoints: [],
      latestLogCheckpoint: null,
    });
    // Verified against itself only: no tree head to hold it to yet.
    expect(await verification()).toMatchObject({ ok: true, checkpoint: null });
    const none = await get(log, '/log/checkpoints/latest', await world.token(SPONSOR));
    expect(none.status).toBe(404);
  });

  it('serves the checkpoints the platform signed and stored, to every member, page by page', async () => {
    const first = await signNext();
    await world.store.append(`agreement-${crypto.randomUUID()}`, [
      { id: crypto.randomUUID(), type: 'concord.agreement.terminated.v1', data: {} },
    ]);
    const second = await signNext();
    expect(second.treeSize).toBe(first.treeSize + 1);
    const stored = await world.checkpoints.list();
    expect(stored).toEqual([first, second]);

    for (const organizationId of [SPONSOR, CDMO, OTHER_SPONSOR, NOBODY]) {
      const all = await ask<{ logCheckpoints: SignedCheckpoint[]; latestLogCheckpoint: unknown }>(
        organizationId,
        CHECKPOINTS,
      );
      expect(all).toEqual({ logCheckpoints: stored, latestLogCheckpoint: second });
    }
    expect(await ask(CDMO, CHECKPOINTS, { first: 1 })).toMatchObject({
      logCheckpoints: [first],
    });
    expect(await ask(CDMO, CHECKPOINTS, { after: first.treeSize })).toMatchObject({
      logCheckpoints: [second],
    });
    expect(await ask(CDMO, CHECKPOINTS, { after: second.treeSize })).toMatchObject({
      logCheckpoints: [],
    });

    // The same over HTTP, to any authenticated caller; nobody else.
    const latest = await get(log, '/log/checkpoints/latest', await world.token(OTHER_SPONSOR));
    expect(latest.status).toBe(200);
    expect(await latest.json()).toEqual(second);
    expect((await get(log, '/log/checkpoints/latest')).status).toBe(401);
    expect((await get(log, '/log/checkpoints/other', await world.token(SPONSOR))).status).toBe(404);
  });

  it('refuses pages out of bounds and anonymous callers', async () => {
    const token = await world.token(SPONSOR);
    for (const variables of [{ first: 0 }, { first: 101 }, { after: -1 }]) {
      const { body } = await world.graphql(token, CHECKPOINTS, variables);
      expect(body.errors?.[0]?.message, JSON.stringify(variables)).toBeDefined();
    }
    const anonymous = await world.graphql(null, CHECKPOINTS, {});
    expect(anonymous.body.errors?.[0]?.extensions).toMatchObject({ code: 'UNAUTHORIZED' });
  });

  it('verifies each audit against the latest signed tree head, in GraphQL and in the report', async () => {
    const latest = (await world.checkpoints.latest())!;
    for (const organizationId of [SPONSOR, CDMO]) {
      const found = await verification(organizationId);
      expect(found.ok).toBe(true);
      expect(found.checkpoint).toEqual({
        ok: true,
        treeSize: latest.treeSize,
        timestamp: latest.timestamp,
        keyId: PLATFORM_KEY.keyId,
        problem: null,
        detail: null,
        summary: expect.stringContaining(`still holds exactly the ${latest.treeSize} events`),
      });
    }
    const token = await world.token(SPONSOR);
    const html = await get(routes, `/audit/batches/${A1}/report`, token);
    expect(html.status).toBe(200);
    expect(await html.text()).toContain(`still holds exactly the ${latest.treeSize} events`);
    const json = await get(routes, `/audit/batches/${A1}/report?format=json`, token);
    expect(
      ((await json.json()) as { verification: { checkpoint: unknown } }).verification.checkpoint,
    ).toMatchObject({ ok: true, treeSize: latest.treeSize });
  });

  let receipt: SignedReceipt;
  let sent: { source: string; id: string };
  it("gives each organization its own receipts, and nobody another's", async () => {
    // A Kafka partner's accepted event: its receipt is kept in the outcome log, not sent back.
    const pipeline = new IngestPipeline({
      store: world.store,
      outcomes: world.outcomes,
      clock: () => new Date(NOW),
      receipts: receiptSigner(PLATFORM_KEY),
    });
    const event = world.exchange.feed
      .batch(PAIR_A, A1)
      .disposition('2026-04-22T09:00:00Z', 'released');
    sent = { source: event.source, id: event.id };
    const [outcome] = await pipeline.ingestMany([
      world.exchange.world.incoming(event, String(event.actororg)),
    ]);
    expect(outcome?.status).toBe('accepted');
    expect(event.actororg).toBe(CDMO);

    type Found = { receipt: (Record<string, unknown> & { signed: SignedReceipt }) | null };
    const mine = await ask<Found>(CDMO, RECEIPT, sent);
    expect(mine.receipt).toMatchObject({
      status: 'accepted',
      ...sent,
      organizationId: CDMO,
      eventId: expect.stringMatching(/^ev-/),
      code: null,
      keyId: PLATFORM_KEY.keyId,
    });
    receipt = mine.receipt!.signed;
    expect(receipt).toEqual(outcome!.receipt);
    expect(await verifyReceiptSignature(receipt, PLATFORM_KEYRING)).toBe(true);

    // Its partner in the same partnership, another partnership, an unknown organization: none
    // finds it, exactly as an event that was never sent.
    for (const organizationId of [SPONSOR, OTHER_SPONSOR, NOBODY]) {
      expect(await ask<Found>(organizationId, RECEIPT, sent)).toEqual({ receipt: null });
      expect(await ask<Found>(organizationId, RECEIPT, { ...sent, id: 'no-such-event' })).toEqual({
        receipt: null,
      });
    }
    expect(await ask<Found>(CDMO, RECEIPT, { ...sent, id: 'no-such-event' })).toEqual({
      receipt: null,
    });
    const anonymous = await world.graphql(null, RECEIPT, sent);
    expect(anonymous.body.errors?.[0]?.extensions).toMatchObject({ code: 'UNAUTHORIZED' });
  });

  it('downloads the evidence bundle of a batch the member may see, and the verifier accepts it', async () => {
    const kept = (await world.checkpoints.list())[0]!;
    const stored = (await world.checkpoints.latest())!;
    const response = await get(
      routes,
      `/audit/batches/${A1}/evidence?since=${kept.treeSize},${stored.treeSize}&since=${stored.treeSize}`,
      await world.token(CDMO),
    );
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(response.headers.get('content-disposition')).toBe(
      `attachment; filename="evidence-${A1.replaceAll(':', '_')}.json"`,
    );
    const bundle = (await response.json()) as EvidenceBundle;
    expect(bundle.subject).toEqual({ kind: 'batch', id: A1 });
    expect(bundle.report.pdfBase64).toMatch(/^JVBERi/); // %PDF
    expect(bundle.consistencyProofs.map((proof) => proof.fromTreeSize)).toEqual([
      kept.treeSize,
      stored.treeSize,
    ]);
    const verdict = await verifyBundle(bundle, {
      platformKeys: PLATFORM_KEYRING,
      keptCheckpoints: [kept, stored],
      receipts: [receipt],
    });
    expect(verdict.problems).toEqual([]);
    expect(verdict.ok).toBe(true);
    // The log only grew since both kept tree heads, and the disposition the CDMO's receipt names
    // is in the bundle as accepted.
    expect(verdict.checked).toEqual(
      expect.arrayContaining([
        expect.stringContaining(`extends the kept checkpoint of ${kept.treeSize} events`),
        expect.stringContaining(`the receipt for ${sent.id}`),
      ]),
    );
  });

  it('answers a batch the caller may not see exactly like one that does not exist', async () => {
    const path = (batchId: string) => `/audit/batches/${batchId}/evidence`;
    for (const token of [await tokenOf(OTHER_SPONSOR), await tokenOf(NOBODY)]) {
      const theirs = await get(routes, path(A1), token);
      const missing = await get(routes, path('no-such-batch'), token);
      expect(theirs.status).toBe(404);
      expect(missing.status).toBe(404);
      expect([...theirs.headers]).toEqual([...missing.headers]);
      expect((await theirs.text()).replace(A1, 'X')).toBe(
        (await missing.text()).replace('no-such-batch', 'X'),
      );
      // Even a malformed size tells nothing of a batch the caller may not see.
      const malformed = await get(routes, `${path(A1)}?since=0`, token);
      expect(malformed.status).toBe(404);
    }
    expect((await get(routes, path(A1))).status).toBe(401);
    const sponsor = await world.token(SPONSOR);
    expect((await get(routes, `${path(A1)}?since=0`, sponsor)).status).toBe(400);
    expect((await get(routes, `${path(A1)}?since=abc`, sponsor)).status).toBe(400);

    // A server without the platform's key signs no bundle, and says so to every batch alike.
    const keyless = auditRoutes({
      store: world.store,
      prisma: world.prisma,
      authenticator: world.authenticator,
      platformKeyring: PLATFORM_KEYRING,
    });
    const noKey = await get(keyless, path(A1), sponsor);
    expect(noKey.status).toBe(503);
    expect(await noKey.json()).toEqual({ error: expect.stringContaining('no platform key') });
    expect((await get(keyless, path('no-such-batch'), sponsor)).status).toBe(503);
  });

  it('fails the audit, in GraphQL, the report and the bundle, once an insider reorders the log', async () => {
    const restore = await backUpStore(world.db);
    try {
      const stored = (await world.checkpoints.latest())!;
      await swapGlobalNeighbours(world.db, world.store);
      const found = await verification();
      // Every hash chain still holds: only the signed tree head tells.
      expect(found).toMatchObject({
        ok: false,
        brokenLink: null,
        checkpoint: {
          ok: false,
          treeSize: stored.treeSize,
          keyId: null,
          problem: 'rewritten',
          detail: expect.stringContaining(`the first ${stored.treeSize} events are not`),
          summary: expect.stringContaining('does NOT hold what the platform signed'),
        },
      });
      const token = await world.token(SPONSOR);
      const html = await get(routes, `/audit/batches/${A1}/report`, token);
      expect(await html.text()).toContain('does NOT hold what the platform signed');
      const bundle = await get(
        routes,
        `/audit/batches/${A1}/evidence?since=${stored.treeSize}`,
        token,
      );
      const verdict = await verifyBundle(await bundle.json(), {
        platformKeys: PLATFORM_KEYRING,
        keptCheckpoints: [stored],
      });
      expect(verdict.ok).toBe(false);
      expect(verdict.problems.map((problem) => problem.check)).toContain('kept-checkpoint');
    } finally {
      await restore();
    }
    expect((await verification()).checkpoint).toMatchObject({ ok: true });
  });
});
