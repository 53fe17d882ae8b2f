import { Buffer } from 'node:buffer';
import { randomUUID } from 'node:crypto';
import { DevIssuer } from '@concord/auth';
import { receiptSigner } from '@concord/evidence';
import { IngestPipeline, streams } from '@concord/ingest';
import {
  AGREEMENT,
  OTHER_AGREEMENT,
  OTHER_PRODUCT,
  PAIR_A,
  PAIR_B,
  personIn,
  PRODUCT,
} from '@concord/ingest/test-support';
import { scopedReadModel, type ReadModelChange } from '@concord/read-model';
import { waitFor } from '@concord/test-infra';
import { describeWithPostgres } from '@concord/test-infra/vitest';
import { beforeAll, afterAll, describe, expect, it } from 'vitest';
import {
  A1,
  A2,
  B1,
  CDMO,
  DEV_A,
  DEV_B,
  OTHER_CDMO,
  NOW,
  OTHER_SPONSOR,
  openApiWorld,
  PLATFORM_KEY,
  PLATFORM_KEYRING,
  SPONSOR,
  type ApiWorld,
} from './test-support/api-world.ts';

/** One partnership of the world and what belongs to it. */
interface Side {
  name: 'A' | 'B';
  sponsor: string;
  cdmo: string;
  product: string;
  agreement: string;
  site: string;
  batches: string[];
  deviations: string[];
}

const SIDE_A: Side = {
  name: 'A',
  sponsor: SPONSOR,
  cdmo: CDMO,
  product: PRODUCT,
  agreement: AGREEMENT,
  site: PAIR_A.site,
  batches: [A1, A2],
  deviations: [DEV_A],
};
const SIDE_B: Side = {
  name: 'B',
  sponsor: OTHER_SPONSOR,
  cdmo: OTHER_CDMO,
  product: OTHER_PRODUCT,
  agreement: OTHER_AGREEMENT,
  site: PAIR_B.site,
  batches: [B1],
  deviations: [DEV_B],
};

const NOBODY_ORG = 'nobody-pharma';
/** The world has no auditor; the suite registers one at the first sponsor (see beforeAll). */
const AUDITOR = { personId: 'htx-p-0090', printedName: 'Dr. Ines Keller' };
const UNAUTHORIZED = 'Not authorized: sign in with a token of your organization.';

const gid = (type: string, id: string) => Buffer.from(`${type}:${id}`).toString('base64');
const sorted = (values: Iterable<string>) => [...values].sort();
const day = (instant: Date) => {
  const from = new Date(instant);
  from.setUTCHours(0, 0, 0, 0);
  return { from: from.toISOString(), to: new Date(from.getTime() + 86_399_999).toISOString() };
};

interface Caller {
  name: string;
  /** The pair the caller's organization belongs to; undefined: party to nothing. */
  own: Side | undefined;
  organizationId: string;
  credentials(world: ApiWorld): Promise<{ token: string; stepUp: string }>;
}

const person = (organizationId: string, personId: string, role: string, name: string) => ({
  personId,
  organizationId,
  roles: [role],
  name,
});

const member = (name: string, own: Side, organizationId: string): Caller => ({
  name,
  own,
  organizationId,
  credentials: async (world) => ({
    token: await world.token(organizationId, 'qa'),
    stepUp: await world.stepUp(organizationId, 'qa'),
  }),
});

const CALLERS: Caller[] = [
  member('sponsor A (helvion-tx qa)', SIDE_A, SPONSOR),
  member('sponsor B (aurora-bio qa)', SIDE_B, OTHER_SPONSOR),
  member('CDMO X (northbridge-bio qa)', SIDE_A, CDMO),
  member('CDMO Y (caldera-biologics qa)', SIDE_B, OTHER_CDMO),
  {
    name: 'an auditor of helvion-tx',
    own: SIDE_A,
    organizationId: SPONSOR,
    credentials: async (world) => {
      const claims = person(SPONSOR, AUDITOR.personId, 'auditor', AUDITOR.printedName);
      return {
        token: await world.issuer.mint(claims),
        stepUp: await world.issuer.mintStepUp(claims),
      };
    },
  },
  {
    // Validly signed by the identity provider, but for an organization nothing belongs to.
    name: `a token naming an unknown organization (${NOBODY_ORG})`,
    own: undefined,
    organizationId: NOBODY_ORG,
    credentials: async (world) => {
      const claims = person(NOBODY_ORG, 'np-p-0001', 'qa', 'Nobody');
      return {
        token: await world.issuer.mint(claims),
        stepUp: await world.issuer.mintStepUp(claims),
      };
    },
  },
];

const BATCH_FIELDS = `
  id batchId batchNumber productId agreementId sponsorId cdmoId site status releaseReady
  sponsor { id organizationId name } cdmo { id organizationId name }
  blockers { kind reference deviation { id deviationId sponsorId } }
  qcResults { resultId }
  deviationLinks { impact deviation { id deviationId sponsorId batchLinks { batch { batchId } } } batch { batchId } }
  timeline { totalCount edges { node { id eventId actorOrganizationId data batch { batchId sponsorId } deviation { deviationId } } } }`;

const DEVIATION_FIELDS = `
  id deviationId productId agreementId sponsorId cdmoId reportedByOrganizationId status severity open
  batchLinks { impact batch { id batchId sponsorId cdmoId } deviation { deviationId } }
  timeline { totalCount edges { node { id eventId actorOrganizationId data batch { batchId } deviation { deviationId sponsorId } } } }`;

const BATCHES = `query Batches($filter: BatchFilter, $orderBy: BatchOrder, $after: String) {
  batches(filter: $filter, orderBy: $orderBy, after: $after) {
    totalCount pageInfo { hasNextPage } edges { cursor node { ${BATCH_FIELDS} } }
  }
}`;

const DEVIATIONS = `query Deviations($filter: DeviationFilter) {
  deviations(filter: $filter) { totalCount edges { node { ${DEVIATION_FIELDS} } } }
}`;

const ACTS = {
  approveCapa: `mutation($subject: ID!, $signature: SignatureInput!) {
    result: approveCapa(deviationId: $subject, capaId: "capa-any", signature: $signature) {
      __typename ... on Refusal { code message } ... on MutationApproveCapaSuccess { data { eventId } } } }`,
  approveDeviationClosure: `mutation($subject: ID!, $signature: SignatureInput!) {
    result: approveDeviationClosure(deviationId: $subject, signature: $signature) {
      __typename ... on Refusal { code message }
      ... on MutationApproveDeviationClosureSuccess { data { eventId } } } }`,
  recordDisposition: `mutation($subject: ID!, $signature: SignatureInput!) {
    result: recordDisposition(batchId: $subject, decision: RELEASED, signature: $signature) {
      __typename ... on Refusal { code message }
      ... on MutationRecordDispositionSuccess { data { eventId } } } }`,
  certifyBatch: `mutation($subject: ID!, $signature: SignatureInput!) {
    result: certifyBatch(batchId: $subject, registerEntryId: "QPR-ANY", signature: $signature) {
      __typename ... on Refusal { code message } ... on MutationCertifyBatchSuccess { data { eventId } } } }`,
};

/** A filter argument, and which rows it selects (computed from the rows themselves). */
/** What `BatchFilter.search` selects: batch number or product name containing it (any case), or the product id. */
function searchMatches(
  batch: { batchNumber: string; productName: string | null; productId: string },
  text: string,
): boolean {
  const needle = text.toLowerCase();
  return (
    batch.batchNumber.toLowerCase().includes(needle) ||
    (batch.productName ?? '').toLowerCase().includes(needle) ||
    batch.productId === text
  );
}

interface FilterCase<Row> {
  label: string;
  filter: Record<string, unknown>;
  where: (row: Row) => boolean;
  /** It names something of the other pair (so it would select rows, were they visible). */
  other?: true;
}

type Body = Awaited<ReturnType<ApiWorld['graphql']>>['body'];
type Connection<Node> = { totalCount: number; edges: { cursor: string; node: Node }[] };
type BatchNode = {
  id: string;
  batchId: string;
  sponsorId: string;
  cdmoId: string;
  sponsor: { organizationId: string } | null;
  cdmo: { organizationId: string } | null;
  blockers: { reference: string | null; deviation: { deviationId: string } | null }[];
  qcResults: { resultId: string }[];
  deviationLinks: {
    deviation: { deviationId: string } | null;
    batch: { batchId: string } | null;
  }[];
  timeline: Connection<{ eventId: string; actorOrganizationId: string }>;
};
type DeviationNode = {
  deviationId: string;
  sponsorId: string;
  cdmoId: string;
  batchLinks: { batch: { batchId: string } | null }[];
  timeline: Connection<{ eventId: string }>;
};

describeWithPostgres(
  'isolation between partnerships, on every query (real PostgreSQL, row-level security)',
  (database) => {
    let world: ApiWorld;
    let truth: Awaited<ReturnType<typeof readTruth>>;
    /** Every identifier of each pair, as an entitled caller sees them (incl. Relay global ids). */
    const identifiers: Record<Side['name'], string[]> = { A: [], B: [] };
    /** Relay global ids and cursors handed to entitled callers. */
    const handed = {
      batch: new Map<string, string>(),
      deviation: new Map<string, string>(),
      timeline: new Map<Side['name'], string>(),
      organization: new Map<string, string>(),
      cursor: new Map<string, string>(),
    };
    /** An event each pair's CDMO sent that was refused, with a receipt kept for the CDMO only. */
    const refused = new Map<Side['name'], { sender: string; source: string; id: string }>();

    async function readTruth() {
      // The owner's connection: no row-level security, the whole read model.
      const { prisma } = world;
      return {
        batches: await prisma.batch.findMany({ orderBy: { id: 'asc' } }),
        deviations: await prisma.deviation.findMany({
          include: { batchLinks: true },
          orderBy: { id: 'asc' },
        }),
        timeline: await prisma.timelineEntry.findMany({ orderBy: { position: 'asc' } }),
        qcResults: await prisma.qcResult.findMany(),
        people: await prisma.person.findMany(),
      };
    }

    const sideOf = (row: { sponsorId: string }) => (row.sponsorId === SPONSOR ? SIDE_A : SIDE_B);
    const owns = (caller: Caller) => (row: { sponsorId: string }) =>
      caller.own !== undefined && sideOf(row) === caller.own;
    const othersOf = (caller: Caller) => [SIDE_A, SIDE_B].filter((side) => side !== caller.own);

    beforeAll(async () => {
      world = await openApiWorld(database());
      await world.store.append(streams.organization(SPONSOR), [
        {
          id: randomUUID(),
          type: 'concord.organization.role-granted.v1',
          data: { organizationId: SPONSOR, ...AUDITOR, role: 'auditor' },
          metadata: { actorid: 'concord-admin', actororg: 'concord', time: '2026-01-06T09:00:00Z' },
        },
      ]);
      await caughtUp(world);
      truth = await readTruth();

      // Each CDMO sends an event its batch refuses (scheduled again, long after): the answer and
      // its signed receipt are kept in the outcome log, nothing is recorded in the store. And the
      // platform signs a checkpoint of its log, as it does periodically.
      const pipeline = new IngestPipeline({
        store: world.store,
        outcomes: world.outcomes,
        clock: () => new Date(NOW),
        receipts: receiptSigner(PLATFORM_KEY),
      });
      for (const [side, pair] of [
        [SIDE_A, PAIR_A],
        [SIDE_B, PAIR_B],
      ] as const) {
        const event = world.exchange.feed
          .batch(pair, side.batches[0]!)
          .scheduled('2026-04-10T08:00:00Z');
        const [outcome] = await pipeline.ingestMany([
          world.exchange.world.incoming(event, side.cdmo),
        ]);
        expect(outcome).toMatchObject({ status: 'rejected', receipt: expect.anything() });
        refused.set(side.name, { sender: side.cdmo, source: event.source, id: event.id });
      }
      expect(
        await world.checkpoints.signNext(world.store, PLATFORM_KEY, PLATFORM_KEYRING),
      ).toBeDefined();

      for (const side of [SIDE_A, SIDE_B]) {
        const { body } = await world.graphql(
          await world.token(side.sponsor),
          `{
            viewer { organization { id organizationId } }
            partners { id organizationId }
            batches { edges { cursor node { id batchId timeline { edges { node { id eventId } } } } } }
            deviations { edges { node { id deviationId timeline { edges { node { id } } } } } }
          }`,
        );
        expect(body.errors).toBeUndefined();
        const data = body.data as {
          viewer: { organization: { id: string; organizationId: string } };
          partners: { id: string; organizationId: string }[];
          batches: Connection<{
            id: string;
            batchId: string;
            timeline: Connection<{ id: string; eventId: string }>;
          }>;
          deviations: Connection<{
            id: string;
            deviationId: string;
            timeline: Connection<{ id: string }>;
          }>;
        };
        for (const organization of [data.viewer.organization, ...data.partners])
          handed.organization.set(organization.organizationId, organization.id);
        for (const { cursor, node } of data.batches.edges) {
          handed.batch.set(node.batchId, node.id);
          handed.cursor.set(node.batchId, cursor);
          handed.timeline.set(side.name, node.timeline.edges[0]!.node.id);
        }
        for (const { node } of data.deviations.edges)
          handed.deviation.set(node.deviationId, node.id);
        const globalIds = [
          ...data.batches.edges.flatMap(({ node }) => [
            node.id,
            ...node.timeline.edges.map((edge) => edge.node.id),
          ]),
          ...data.deviations.edges.flatMap(({ node }) => [
            node.id,
            ...node.timeline.edges.map((edge) => edge.node.id),
          ]),
          ...[side.sponsor, side.cdmo].map(
            (organizationId) => handed.organization.get(organizationId)!,
          ),
        ];
        const own = (row: { sponsorId: string }) => row.sponsorId === side.sponsor;
        identifiers[side.name] = [
          side.sponsor,
          side.cdmo,
          side.product,
          side.agreement,
          side.site,
          ...truth.batches.filter(own).flatMap((batch) => [batch.id, batch.batchNumber]),
          ...truth.deviations.filter(own).flatMap((deviation) => [deviation.id, deviation.title]),
          ...truth.timeline.filter(own).map((entry) => entry.eventId),
          ...truth.qcResults.filter(own).map((result) => result.resultId),
          ...globalIds,
        ];
      }
    });
    afterAll(async () => world?.close());

    /** POSTs as `caller` and checks that no identifier of a pair the caller is not in appears. */
    async function ask(
      caller: Caller,
      query: string,
      variables?: Record<string, unknown>,
    ): Promise<Body> {
      const { token } = await caller.credentials(world);
      const { status, body } = await world.graphql(token, query, variables);
      expect(status).toBe(200);
      const text = JSON.stringify(body);
      for (const side of othersOf(caller))
        for (const identifier of identifiers[side.name]) expect(text).not.toContain(identifier);
      return body;
    }

    async function data<T>(caller: Caller, query: string, variables?: Record<string, unknown>) {
      const body = await ask(caller, query, variables);
      expect(body.errors).toBeUndefined();
      return body.data as T;
    }

    it('holds both pairs in the read model, under the Relay ids the suite assumes', () => {
      // Without rows of both pairs every "sees nothing of the other" below would pass vacuously.
      expect(truth.batches.map((batch) => batch.id)).toEqual(sorted([A1, A2, B1]));
      expect(truth.deviations.map((deviation) => deviation.id)).toEqual(sorted([DEV_A, DEV_B]));
      expect(new Set(truth.timeline.map((entry) => entry.sponsorId))).toEqual(
        new Set([SPONSOR, OTHER_SPONSOR]),
      );
      expect(truth.people.some((row) => row.personId === AUDITOR.personId)).toBe(true);
      expect(handed.batch.get(B1)).toBe(gid('Batch', B1));
      expect(handed.deviation.get(DEV_B)).toBe(gid('Deviation', DEV_B));
      expect(handed.organization.get(OTHER_CDMO)).toBe(gid('Organization', OTHER_CDMO));
      expect(identifiers.A.length).toBeGreaterThan(20);
      expect(identifiers.B.length).toBeGreaterThan(15);
    });

    for (const caller of CALLERS) {
      describe(caller.name, () => {
        const expectedBatches = (predicate: (row: (typeof truth.batches)[number]) => boolean) =>
          truth.batches.filter((row) => owns(caller)(row) && predicate(row)).map((row) => row.id);
        const expectedDeviations = (
          predicate: (row: (typeof truth.deviations)[number]) => boolean,
        ) =>
          truth.deviations
            .filter((row) => owns(caller)(row) && predicate(row))
            .map((row) => row.id);

        it('batches: exactly its own, every nested relation and count its own', async () => {
          const { batches } = await data<{ batches: Connection<BatchNode> }>(caller, BATCHES);
          const ids = batches.edges.map((edge) => edge.node.batchId);
          expect(sorted(ids)).toEqual(expectedBatches(() => true));
          expect(batches.totalCount).toBe(ids.length);
          const own = caller.own;
          for (const { node } of batches.edges) {
            expect([node.sponsor?.organizationId, node.cdmo?.organizationId]).toEqual([
              own!.sponsor,
              own!.cdmo,
            ]);
            for (const link of node.deviationLinks) {
              expect(own!.deviations).toContain(link.deviation?.deviationId);
              expect(link.batch?.batchId).toBe(node.batchId);
            }
            for (const blocker of node.blockers)
              if (blocker.deviation)
                expect(own!.deviations).toContain(blocker.deviation.deviationId);
            const qc = truth.qcResults.filter((row) => row.batchId === node.batchId);
            expect(sorted(node.qcResults.map((row) => row.resultId))).toEqual(
              sorted(qc.map((row) => row.resultId)),
            );
            const entries = truth.timeline.filter((entry) => entry.batchId === node.batchId);
            expect(node.timeline.totalCount).toBe(entries.length);
            expect(node.timeline.edges.map((edge) => edge.node.eventId)).toEqual(
              entries.map((entry) => entry.eventId),
            );
            // The platform itself ('concord') records some events, e.g. deviation links.
            for (const edge of node.timeline.edges)
              expect([own!.sponsor, own!.cdmo, 'concord']).toContain(edge.node.actorOrganizationId);
          }
        });

        describe('batches filtered', () => {
          type Row = (typeof truth.batches)[number];
          const cases = (): FilterCase<Row>[] => {
            const [other] = othersOf(caller) as [Side];
            const otherDay = day(
              truth.batches.find((row) => row.id === other.batches[0])!.scheduledAt,
            );
            const { own } = caller;
            const otherProductName = truth.batches.find(
              (row) => row.id === other.batches[0],
            )!.productName!;
            // A caller with no batches of its own (an auditor, a stranger) searches the other's.
            const ownNumberPart = truth.batches
              .find((row) => row.id === (own ?? other).batches[0])!
              .batchNumber.slice(-6);
            return [
              {
                label: 'status IN_MANUFACTURE',
                filter: { status: ['IN_MANUFACTURE'] },
                where: (b) => b.status === 'in-manufacture',
                other: true,
              },
              {
                label: 'status COA_ISSUED',
                filter: { status: ['COA_ISSUED'] },
                where: (b) => b.status === 'coa-issued',
              },
              {
                label: "the other pair's product",
                filter: { productId: other.product },
                where: (b) => b.productId === other.product,
                other: true,
              },
              {
                label: "search: the other pair's product name, in capitals",
                filter: { search: otherProductName.toUpperCase() },
                where: (b) => searchMatches(b, otherProductName),
                other: true,
              },
              {
                label: 'search: part of a batch number, in lower case',
                filter: { search: ownNumberPart.toLowerCase() },
                where: (b) => searchMatches(b, ownNumberPart),
                ...(own ? {} : { other: true as const }),
              },
              {
                label: "partnerId = the other pair's sponsor",
                filter: { partnerId: other.sponsor },
                where: (b) => b.sponsorId === other.sponsor,
                other: true,
              },
              {
                label: "partnerId = the other pair's CDMO",
                filter: { partnerId: other.cdmo },
                where: (b) => b.cdmoId === other.cdmo,
                other: true,
              },
              {
                label: "the other pair's site",
                filter: { site: other.site },
                where: (b) => b.site === other.site,
                other: true,
              },
              {
                label: "scheduled on the day of the other pair's batch",
                filter: { scheduled: otherDay },
                where: (b) =>
                  b.scheduledAt.toISOString().slice(0, 10) === otherDay.from.slice(0, 10),
                other: true,
              },
              {
                label: 'scheduled in 2026',
                filter: { scheduled: { from: '2026-01-01T00:00:00Z', to: '2026-12-31T23:59:59Z' } },
                where: () => true,
                other: true,
              },
              {
                label: 'release-ready',
                filter: { releaseReady: true },
                where: (b) => b.releaseReady,
              },
              {
                label: 'not release-ready',
                filter: { releaseReady: false },
                where: (b) => !b.releaseReady,
                other: true,
              },
              {
                label: 'blocked',
                filter: { blocked: true },
                where: (b) => b.blockerCount > 0,
                other: true,
              },
              {
                label: 'not blocked',
                filter: { blocked: false },
                where: (b) => b.blockerCount === 0,
              },
              ...(own
                ? [
                    {
                      label: 'its own product',
                      filter: { productId: own.product },
                      where: (b: Row) => b.productId === own.product,
                    },
                    {
                      label: 'partnerId = its own sponsor',
                      filter: { partnerId: own.sponsor },
                      where: () => true,
                    },
                    {
                      label: 'partnerId = its own CDMO',
                      filter: { partnerId: own.cdmo },
                      where: () => true,
                    },
                  ]
                : []),
            ];
          };
          it('returns only its own batches, and totalCount counts only those', async () => {
            for (const { label, filter, where, other } of cases()) {
              // A filter naming the other pair does select rows that exist: that pair's.
              if (other)
                expect(
                  truth.batches.some((row) => !owns(caller)(row) && where(row)),
                  label,
                ).toBe(true);
              const { batches } = await data<{ batches: Connection<BatchNode> }>(caller, BATCHES, {
                filter,
              });
              const expected = expectedBatches(where);
              expect(sorted(batches.edges.map((edge) => edge.node.batchId)), label).toEqual(
                expected,
              );
              expect(batches.totalCount, label).toBe(expected.length);
            }
          });
          it('orders by blocker count without letting other rows in', async () => {
            const { batches } = await data<{ batches: Connection<BatchNode> }>(caller, BATCHES, {
              orderBy: { field: 'BLOCKER_COUNT', direction: 'DESC' },
            });
            expect(sorted(batches.edges.map((edge) => edge.node.batchId))).toEqual(
              expectedBatches(() => true),
            );
          });
        });

        it("batch(id): its own; the other pair's answered exactly like a missing id", async () => {
          const query = `query($id: ID!) { batch(id: $id) { ${BATCH_FIELDS} } }`;
          const missing = await ask(caller, query, { id: 'no-such-batch' });
          expect(missing).toEqual({ data: { batch: null } });
          for (const side of othersOf(caller))
            for (const id of side.batches)
              expect(await ask(caller, query, { id })).toEqual(missing);
          for (const id of caller.own?.batches ?? []) {
            const found = await data<{ batch: BatchNode }>(caller, query, { id });
            expect(found.batch.batchId).toBe(id);
          }
        });

        it("batches after the other pair's cursor: answered like after a missing batch's", async () => {
          const [other] = othersOf(caller);
          const real = handed.cursor.get(other!.batches[0]!)!;
          const decoded = Buffer.from(real, 'base64').toString();
          expect(decoded).toContain(other!.batches[0]);
          const fake = Buffer.from(decoded.replace(other!.batches[0]!, 'no-such-batch')).toString(
            'base64',
          );
          const query = `query($after: String) { batches(after: $after) { totalCount edges { node { batchId } } } }`;
          const afterMissing = await ask(caller, query, { after: fake });
          expect(await ask(caller, query, { after: real })).toEqual(afterMissing);
          expect(JSON.stringify(afterMissing)).not.toContain(other!.batches[0]);
        });

        it('deviations: exactly its own, with links and timelines of its own', async () => {
          const { deviations } = await data<{ deviations: Connection<DeviationNode> }>(
            caller,
            DEVIATIONS,
          );
          const ids = deviations.edges.map((edge) => edge.node.deviationId);
          expect(sorted(ids)).toEqual(expectedDeviations(() => true));
          expect(deviations.totalCount).toBe(ids.length);
          for (const { node } of deviations.edges) {
            const row = truth.deviations.find((deviation) => deviation.id === node.deviationId)!;
            expect(sorted(node.batchLinks.map((link) => link.batch!.batchId))).toEqual(
              sorted(row.batchLinks.map((link) => link.batchId)),
            );
            const entries = truth.timeline.filter(
              (entry) => entry.deviationId === node.deviationId,
            );
            expect(node.timeline.totalCount).toBe(entries.length);
            expect(node.timeline.edges.map((edge) => edge.node.eventId)).toEqual(
              entries.map((entry) => entry.eventId),
            );
          }
        });

        it('deviations filtered: only its own, and totalCount counts only those', async () => {
          type Row = (typeof truth.deviations)[number];
          const [other] = othersOf(caller) as [Side];
          const { own } = caller;
          const otherDay = day(
            truth.deviations.find((row) => row.id === other.deviations[0])!.reportedAt,
          );
          const linkedTo = (batchId: string) => (d: Row) =>
            d.batchLinks.some((link) => link.batchId === batchId);
          const linked = (side: Side) =>
            side.batches.filter((batchId) => truth.deviations.some(linkedTo(batchId)));
          const cases: FilterCase<Row>[] = [
            {
              label: 'status REPORTED',
              filter: { status: ['REPORTED'] },
              where: (d) => d.status === 'reported',
              other: true,
            },
            {
              label: 'severity MAJOR',
              filter: { severity: ['MAJOR'] },
              where: (d) => d.severity === 'major',
            },
            {
              label: 'severity MINOR',
              filter: { severity: ['MINOR'] },
              where: (d) => d.severity === 'minor',
            },
            {
              label: 'open',
              filter: { open: true },
              where: (d) => d.status !== 'closed',
              other: true,
            },
            { label: 'closed', filter: { open: false }, where: (d) => d.status === 'closed' },
            {
              label: 'notified late',
              filter: { notifiedLate: true },
              where: (d) => d.notifiedLate,
            },
            {
              label: 'notified in time',
              filter: { notifiedLate: false },
              where: (d) => !d.notifiedLate,
            },
            {
              label: "the other pair's product",
              filter: { productId: other.product },
              where: (d) => d.productId === other.product,
              other: true,
            },
            {
              label: "partnerId = the other pair's sponsor",
              filter: { partnerId: other.sponsor },
              where: (d) => d.sponsorId === other.sponsor,
              other: true,
            },
            {
              label: "partnerId = the other pair's CDMO",
              filter: { partnerId: other.cdmo },
              where: (d) => d.cdmoId === other.cdmo,
              other: true,
            },
            ...linked(other).map((batchId) => ({
              label: `batchId = the other pair's ${batchId}`,
              filter: { batchId },
              where: linkedTo(batchId),
              other: true as const,
            })),
            {
              label: "reported on the day of the other pair's deviation",
              filter: { reported: otherDay },
              where: (d) => d.reportedAt.toISOString().slice(0, 10) === otherDay.from.slice(0, 10),
              other: true,
            },
            ...(own
              ? [
                  ...linked(own).map((batchId) => ({
                    label: `batchId = its own ${batchId}`,
                    filter: { batchId },
                    where: linkedTo(batchId),
                  })),
                  {
                    label: 'its own product',
                    filter: { productId: own.product },
                    where: () => true,
                  },
                ]
              : []),
          ];
          for (const { label, filter, where, other: targetsOther } of cases) {
            if (targetsOther)
              expect(
                truth.deviations.some((row) => !owns(caller)(row) && where(row)),
                label,
              ).toBe(true);
            const { deviations } = await data<{ deviations: Connection<DeviationNode> }>(
              caller,
              DEVIATIONS,
              { filter },
            );
            const expected = expectedDeviations(where);
            expect(sorted(deviations.edges.map((edge) => edge.node.deviationId)), label).toEqual(
              expected,
            );
            expect(deviations.totalCount, label).toBe(expected.length);
          }
        });

        it("deviation(id): its own; the other pair's answered exactly like a missing id", async () => {
          const query = `query($id: ID!) { deviation(id: $id) { ${DEVIATION_FIELDS} } }`;
          const missing = await ask(caller, query, { id: 'no-such-deviation' });
          expect(missing).toEqual({ data: { deviation: null } });
          for (const side of othersOf(caller))
            for (const id of side.deviations)
              expect(await ask(caller, query, { id })).toEqual(missing);
          for (const id of caller.own?.deviations ?? []) {
            const found = await data<{ deviation: DeviationNode }>(caller, query, { id });
            expect(found.deviation.deviationId).toBe(id);
          }
        });

        it('releaseReadiness: its own unfinished batches, counted alone', async () => {
          const { releaseReadiness } = await data<{ releaseReadiness: Connection<BatchNode> }>(
            caller,
            `{ releaseReadiness { totalCount edges { node { ${BATCH_FIELDS} } } } }`,
          );
          const expected = expectedBatches(
            (row) => !['aborted', 'qp-certified', 'shipped'].includes(row.status),
          );
          expect(sorted(releaseReadiness.edges.map((edge) => edge.node.batchId))).toEqual(expected);
          expect(releaseReadiness.totalCount).toBe(expected.length);
        });

        it('summary: every figure is its own pair’s', async () => {
          const { summary } = await data<{ summary: Summary }>(
            caller,
            `{ summary {
                batchesByStatus { key count } deviationsBySeverity { key count }
                openDeviations lateNotifications releaseReady blocked
                cycleTimes { stage averageHours batches }
                deviationRates { productId batches deviations rate } } }`,
          );
          const expected = expectedSummary(
            truth.batches.filter(owns(caller)),
            truth.deviations.filter(owns(caller)),
          );
          const { cycleTimes, ...figures } = summary;
          const { cycleTimes: expectedCycleTimes, ...expectedFigures } = expected;
          expect(figures).toEqual(expectedFigures);
          expect(cycleTimes.map(({ stage, batches }) => ({ stage, batches }))).toEqual(
            expectedCycleTimes.map(({ stage, batches }) => ({ stage, batches })),
          );
          cycleTimes.forEach((cycle, index) => {
            const hours = expectedCycleTimes[index]!.averageHours;
            if (hours === null) expect(cycle.averageHours).toBeNull();
            else expect(cycle.averageHours).toBeCloseTo(hours, 6);
          });
        });

        it('viewer and partners: itself and its own partner only', async () => {
          const result = await data<{
            viewer: { kind: string; organization: { organizationId: string } | null };
            partners: { organizationId: string }[];
          }>(
            caller,
            `{ viewer { id kind roles organization { id organizationId name kind } }
                       partners { id organizationId name kind } }`,
          );
          const own = caller.own;
          expect(result.viewer.organization?.organizationId ?? null).toBe(
            own ? caller.organizationId : null,
          );
          expect(result.partners.map((partner) => partner.organizationId)).toEqual(
            own ? [caller.organizationId === own.sponsor ? own.cdmo : own.sponsor] : [],
          );
        });

        it("node and nodes: the other pair's global ids answered like missing ones", async () => {
          const nodeQuery = `query($id: ID!) { node(id: $id) {
            id __typename
            ... on Batch { batchId sponsorId }
            ... on Deviation { deviationId sponsorId }
            ... on TimelineEntry { eventId sponsorOrg: actorOrganizationId }
            ... on Organization { organizationId } } }`;
          const probes: [string, string][] = [];
          for (const side of othersOf(caller)) {
            for (const id of side.batches)
              probes.push([handed.batch.get(id)!, gid('Batch', 'no-such-batch')]);
            for (const id of side.deviations)
              probes.push([handed.deviation.get(id)!, gid('Deviation', 'no-such-deviation')]);
            probes.push([handed.timeline.get(side.name)!, gid('TimelineEntry', 'no-such-event')]);
            for (const organizationId of [side.sponsor, side.cdmo])
              probes.push([
                handed.organization.get(organizationId)!,
                gid('Organization', 'no-such-organization'),
              ]);
          }
          expect(probes.length).toBeGreaterThanOrEqual(5);
          for (const [theirs, missing] of probes) {
            const answer = await ask(caller, nodeQuery, { id: theirs });
            expect(answer).toEqual({ data: { node: null } });
            expect(answer).toEqual(await ask(caller, nodeQuery, { id: missing }));
          }
          const nodesQuery = `query($ids: [ID!]!) { nodes(ids: $ids) { id __typename } }`;
          const own = caller.own;
          const ownIds = own
            ? [
                handed.batch.get(own.batches[0]!)!,
                handed.deviation.get(own.deviations[0]!)!,
                handed.timeline.get(own.name)!,
                handed.organization.get(caller.organizationId)!,
              ]
            : [];
          const theirs = await ask(caller, nodesQuery, {
            ids: [...ownIds, ...probes.map(([id]) => id)],
          });
          const missing = await ask(caller, nodesQuery, {
            ids: [...ownIds, ...probes.map(([, id]) => id)],
          });
          expect(theirs).toEqual(missing);
          expect((theirs.data as { nodes: ({ id: string } | null)[] }).nodes).toEqual([
            ...ownIds.map((id) => expect.objectContaining({ id })),
            ...probes.map(() => null),
          ]);
        });

        it('log checkpoints: the same tree heads for every member, nothing of any pair', async () => {
          const stored = await world.checkpoints.list();
          expect(stored.length).toBeGreaterThan(0);
          const fields = 'origin treeSize rootHash timestamp keyId signature';
          expect(
            await data(
              caller,
              `{ logCheckpoints { ${fields} } latestLogCheckpoint { ${fields} } }`,
            ),
          ).toEqual({ logCheckpoints: stored, latestLogCheckpoint: stored.at(-1) });
        });

        it("receipt(source, id): its own organization's only; any other's answered like a missing one", async () => {
          const query = `query($source: String!, $id: String!) {
            receipt(source: $source, id: $id) { status source id organizationId code signed } }`;
          for (const side of [SIDE_A, SIDE_B]) {
            const { sender, ...sent } = refused.get(side.name)!;
            const answer = await ask(caller, query, sent);
            if (sender === caller.organizationId) {
              expect(answer.data).toMatchObject({
                receipt: { status: 'rejected', ...sent, organizationId: caller.organizationId },
              });
              continue;
            }
            // Its partner's, the other pair's: never found, exactly as an event never sent.
            expect(answer).toEqual({ data: { receipt: null } });
            expect(await ask(caller, query, { ...sent, id: 'no-such-event' })).toEqual(answer);
          }
        });

        it("human acts on the other pair's subjects: refused like missing ones, nothing recorded", async () => {
          const { stepUp } = await caller.credentials(world);
          const signature = {
            printedName: 'Anyone',
            meaning: 'APPROVAL',
            reason: 'Isolation probe.',
            credential: stepUp,
          };
          const heads = async () =>
            Promise.all(
              [SIDE_A, SIDE_B].flatMap((side) => [
                ...side.batches.map((id) => world.store.readStream(streams.batch(id))),
                ...side.deviations.map((id) => world.store.readStream(streams.deviation(id))),
              ]),
            ).then((all) => all.map((events) => events.length));
          const before = await heads();
          for (const side of othersOf(caller)) {
            const subjects: [string, string, string][] = [
              ['approveCapa', side.deviations[0]!, 'no-such-deviation'],
              ['approveDeviationClosure', side.deviations[0]!, 'no-such-deviation'],
              ['recordDisposition', side.batches[0]!, 'no-such-batch'],
              ['certifyBatch', side.batches[0]!, 'no-such-batch'],
            ];
            for (const [act, theirs, missing] of subjects) {
              const query = ACTS[act as keyof typeof ACTS];
              const answer = await ask(caller, query, { subject: theirs, signature });
              expect(answer.data, act).toEqual({
                result: {
                  __typename: 'SignatureRefusal',
                  code: 'act.unknown-subject',
                  message:
                    act.includes('Batch') || act === 'recordDisposition'
                      ? 'No such batch.'
                      : 'No such deviation.',
                },
              });
              expect(answer, act).toEqual(
                await ask(caller, query, { subject: missing, signature }),
              );
            }
          }
          expect(await heads()).toEqual(before);
        });
      });
    }

    it('refuses every root field to an anonymous caller, with one sentence and no data', async () => {
      const fields: [string, Record<string, unknown>?][] = [
        ['{ batches { totalCount edges { node { batchId } } } }'],
        ['query($id: ID!) { batch(id: $id) { batchId } }', { id: A1 }],
        ['query($id: ID!) { batch(id: $id) { batchId } }', { id: 'no-such-batch' }],
        ['{ deviations { totalCount edges { node { deviationId } } } }'],
        ['query($id: ID!) { deviation(id: $id) { deviationId } }', { id: DEV_B }],
        ['{ releaseReadiness { totalCount edges { node { batchId } } } }'],
        ['{ summary { openDeviations blocked batchesByStatus { key count } } }'],
        ['{ partners { organizationId } }'],
        ['{ viewer { id organization { organizationId } } }'],
        [ACTS.approveCapa, { subject: DEV_A, signature: anySignature() }],
        [ACTS.approveDeviationClosure, { subject: DEV_B, signature: anySignature() }],
        [ACTS.recordDisposition, { subject: A1, signature: anySignature() }],
        [ACTS.certifyBatch, { subject: 'no-such-batch', signature: anySignature() }],
        ['{ logCheckpoint { checkpoint { treeSize } consistencyProof } }'],
        ['{ logCheckpoints { treeSize rootHash } }'],
        ['{ latestLogCheckpoint { treeSize rootHash } }'],
        [
          'query($source: String!, $id: String!) { receipt(source: $source, id: $id) { signed } }',
          { source: `urn:concord:${CDMO}:mes`, id: 'any' },
        ],
      ];
      for (const [query, variables] of fields) {
        const { status, body } = await world.graphql(null, query, variables);
        expect(status, query).toBe(200);
        expect(body.errors, query).toEqual([
          expect.objectContaining({
            message: UNAUTHORIZED,
            extensions: expect.objectContaining({ code: 'UNAUTHORIZED' }),
          }),
        ]);
        // Nullable roots come back as null, non-null ones null the whole response: no data.
        const values = Object.values((body.data ?? {}) as Record<string, unknown>);
        expect(
          values.every((value) => value === null),
          query,
        ).toBe(true);
        const text = JSON.stringify(body);
        for (const identifier of [...identifiers.A, ...identifiers.B])
          expect(text).not.toContain(identifier);
      }
    });

    // node and nodes carry the member scope like every other root field (builder.ts).
    it('refuses node and nodes to an anonymous caller like every other root field', async () => {
      for (const [query, variables] of NODE_LOOKUPS) {
        const { body } = await world.graphql(null, query, variables);
        expect(body.errors?.[0]?.message, query).toBe(UNAUTHORIZED);
        const text = JSON.stringify(body);
        for (const identifier of [...identifiers.A, ...identifiers.B])
          expect(text).not.toContain(identifier);
      }
    });

    it('answers 401 to a token whose organization claim was altered or signed by another issuer', async () => {
      const genuine = await world.token(OTHER_SPONSOR);
      const [header, payload, signature] = genuine.split('.');
      const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString());
      const altered = Buffer.from(JSON.stringify({ ...claims, concord_org: SPONSOR })).toString(
        'base64url',
      );
      const impostor = await DevIssuer.open();
      const forgeries = [
        `${header}.${altered}.${signature}`,
        await impostor.mint(person(SPONSOR, personIn(SPONSOR, 'qa').personId, 'qa', 'Forger')),
      ];
      for (const token of forgeries) {
        const { status, body } = await world.graphql(
          token,
          '{ batches { totalCount edges { node { batchId } } } viewer { id } }',
        );
        expect(status).toBe(401);
        expect(body.data ?? null).toBeNull();
        expect(body.errors).toEqual([
          expect.objectContaining({
            message: expect.stringMatching(/^The token is not valid \(ERR_JWS_/),
            extensions: expect.objectContaining({ code: 'UNAUTHENTICATED' }),
          }),
        ]);
      }
    });

    it('row-level security alone hides the other pair from unfiltered reads (a forgotten filter leaks nothing)', async () => {
      const scopes: [string, Side | undefined][] = [
        [SPONSOR, SIDE_A],
        [CDMO, SIDE_A],
        [OTHER_SPONSOR, SIDE_B],
        [OTHER_CDMO, SIDE_B],
        [NOBODY_ORG, undefined],
        ['', undefined],
      ];
      for (const [organizationId, side] of scopes) {
        const label = organizationId || '(no organization)';
        const db = scopedReadModel(world.prisma, organizationId);
        const mine = (row: { sponsorId: string }) => side !== undefined && sideOf(row) === side;
        const batches = await db.batch.findMany();
        expect(sorted(batches.map((row) => row.id)), label).toEqual(
          side ? sorted(side.batches) : [],
        );
        expect(await db.batch.count(), label).toBe(side?.batches.length ?? 0);
        const raw = await db.$queryRawUnsafe<{ id: string }[]>('select * from rm_batches');
        expect(sorted(raw.map((row) => row.id)), label).toEqual(side ? sorted(side.batches) : []);
        const deviations = await db.deviation.findMany();
        expect(sorted(deviations.map((row) => row.id)), label).toEqual(
          side ? sorted(side.deviations) : [],
        );
        expect(await db.deviation.count(), label).toBe(side?.deviations.length ?? 0);
        const links = await db.deviationBatch.findMany();
        expect(links.every(mine), label).toBe(true);
        expect(links.length, label).toBe(
          truth.deviations.filter(mine).flatMap((row) => row.batchLinks).length,
        );
        expect(await db.timelineEntry.count(), label).toBe(truth.timeline.filter(mine).length);
        expect(await db.qcResult.count(), label).toBe(truth.qcResults.filter(mine).length);
        const agreements = await db.agreement.findMany();
        expect(
          agreements.map((row) => row.id),
          label,
        ).toEqual(side ? [side.agreement] : []);
        const organizations = await db.organization.findMany();
        expect(sorted(organizations.map((row) => row.id)), label).toEqual(
          side ? sorted([side.sponsor, side.cdmo]) : [],
        );
        const people = await db.person.findMany();
        expect(sorted(people.map((row) => row.personId)), label).toEqual(
          sorted(
            truth.people
              .filter((row) => side !== undefined && row.organizationId === organizationId)
              .map((row) => row.personId),
          ),
        );
        const [counts] = await db.$queryRawUnsafe<{ timeline: number; deviations: number }[]>(
          `select (select count(*)::int from rm_timeline) as timeline,
                  (select count(*)::int from rm_deviations) as deviations`,
        );
        expect(counts, label).toEqual({
          timeline: truth.timeline.filter(mine).length,
          deviations: side?.deviations.length ?? 0,
        });
      }
      // The owner's connection sees everything: the scope is what made the difference.
      expect(await world.prisma.batch.count()).toBe(3);
    });

    it('keeps concurrent callers of both pairs apart on pooled connections', async () => {
      const query = `{ batches { totalCount edges { node { batchId } } } summary { openDeviations } }`;
      const tokens: Record<string, string> = {
        [SPONSOR]: await world.token(SPONSOR),
        [OTHER_CDMO]: await world.token(OTHER_CDMO),
        [NOBODY_ORG]: await world.issuer.mint(person(NOBODY_ORG, 'np-p-0001', 'qa', 'Nobody')),
      };
      const expected: Record<string, string[]> = {
        [SPONSOR]: sorted(SIDE_A.batches),
        [OTHER_CDMO]: sorted(SIDE_B.batches),
        [NOBODY_ORG]: [],
      };
      const order = Array.from({ length: 30 }, (_, index) => Object.keys(tokens)[index % 3]!);
      const answers = await Promise.all(
        order.map((organizationId) => world.graphql(tokens[organizationId]!, query)),
      );
      answers.forEach(({ body }, index) => {
        expect(body.errors).toBeUndefined();
        const { batches } = body.data as { batches: Connection<{ batchId: string }> };
        expect(sorted(batches.edges.map((edge) => edge.node.batchId))).toEqual(
          expected[order[index]!],
        );
        expect(batches.totalCount).toBe(expected[order[index]!]!.length);
      });
    });
  },
);

describeWithPostgres(
  'isolation of live subscriptions over server-sent events (real PostgreSQL)',
  (database) => {
    let world: ApiWorld;
    beforeAll(async () => {
      world = await openApiWorld(database());
      await caughtUp(world);
    });
    afterAll(async () => world?.close());

    type Message = { data?: Record<string, { batchId?: string; deviationId?: string } | null> };
    const subscribe = (token: string | null, query: string) =>
      world.subscribe<Message>(token, query);
    type Stream = Awaited<ReturnType<typeof subscribe>>;

    const change = (kind: ReadModelChange['kind'], id: string, side: Side): ReadModelChange => ({
      kind,
      id,
      sponsorId: side.sponsor,
      cdmoId: side.cdmo,
      position: 0n,
    });

    /**
     * Waits until a subscription is listening: publishes a change about an id that does not
     * exist (answered `null`) until one arrives. Without this, "received nothing" could only mean
     * "was not listening yet".
     */
    async function listening(
      stream: Stream,
      field: string,
      kind: ReadModelChange['kind'],
      side: Side,
    ) {
      await waitFor(
        () => {
          world.api.changes.publish([change(kind, `handshake-${randomUUID()}`, side)]);
          return stream.messages.some((message) => message.data?.[field] === null);
        },
        { description: `${field} subscription of pair ${side.name} listening`, timeoutMs: 10_000 },
      );
    }

    const subjectOf = (message: Message, field: string) => {
      const node = message.data?.[field];
      return node ? (node.batchId ?? node.deviationId) : undefined;
    };

    it("delivers a pair's changes to its parties only, never to the other pair", async () => {
      const fields = [
        ['batchChanged', 'batch', 'batchId status'],
        ['readinessChanged', 'readiness', 'batchId releaseReady blockers { kind }'],
        ['deviationChanged', 'deviation', 'deviationId status'],
      ] as const;
      const parties = [
        { name: 'sponsor A', token: await world.token(SPONSOR), side: SIDE_A },
        { name: 'CDMO X', token: await world.token(CDMO), side: SIDE_A },
        { name: 'sponsor B', token: await world.token(OTHER_SPONSOR), side: SIDE_B },
        { name: 'CDMO Y', token: await world.token(OTHER_CDMO), side: SIDE_B },
      ];
      const subscriptions = await Promise.all(
        parties.flatMap((party) =>
          fields.map(async ([field, kind, selection]) => ({
            party,
            field,
            stream: await subscribe(party.token, `subscription { ${field} { ${selection} } }`),
            kind,
          })),
        ),
      );
      try {
        for (const { stream, field, kind, party } of subscriptions)
          await listening(stream, field, kind, party.side);
        // Then one change about each pair's own subject per kind, after every handshake: once a
        // stream has it, every earlier message is in, and whatever follows was published later.
        const fenceOf = (kind: ReadModelChange['kind'], side: Side) =>
          kind === 'deviation' ? side.deviations[0]! : side.batches[0]!;
        for (const side of [SIDE_A, SIDE_B])
          for (const [, kind] of fields)
            world.api.changes.publish([change(kind, fenceOf(kind, side), side)]);
        const fenced = new Map<Stream, number>();
        for (const { stream, field, kind, party } of subscriptions) {
          const fence = fenceOf(kind, party.side);
          const at = await waitFor(
            () => {
              const index = stream.messages.findIndex(
                (message) => subjectOf(message, field) === fence,
              );
              return index >= 0 && index + 1;
            },
            { description: `the fence of ${party.name}'s ${field}` },
          );
          fenced.set(stream, at);
        }

        // Pair A changes first: a released disposition of A1 (its batch row and its readiness
        // change) and the classification of DEV_A ...
        const { batch, deviation } = world.exchange.feed;
        await world.exchange.publish([
          batch(PAIR_A, A1).disposition('2026-04-22T09:00:00Z', 'released'),
          deviation(PAIR_A, DEV_A).classified('2026-04-28T08:00:00Z', 'major'),
        ]);
        await caughtUp(world);
        // ... then pair B's, which its parties do receive: whatever of pair A reached them
        // would have arrived before these.
        const b1 = batch(PAIR_B, B1);
        await world.exchange.publish([
          b1.completed('2026-04-17T18:00:00Z'),
          b1.reviewed('2026-04-18T09:00:00Z'),
          b1.qc('2026-04-20T10:00:00Z', 98.4),
          b1.coa('2026-04-21T09:00:00Z'),
          deviation(PAIR_B, DEV_B).classified('2026-04-30T09:00:00Z', 'minor'),
        ]);
        await caughtUp(world);

        for (const { stream, field, party } of subscriptions) {
          const own = party.side === SIDE_A ? [A1, DEV_A] : [B1, DEV_B];
          const theirs =
            party.side === SIDE_A ? [B1, DEV_B, OTHER_SPONSOR] : [A1, A2, DEV_A, SPONSOR];
          const after = () => stream.messages.slice(fenced.get(stream));
          await waitFor(() => after().some((message) => own.includes(subjectOf(message, field)!)), {
            description: `${party.name} receiving its own ${field}`,
            timeoutMs: 10_000,
          });
          // Not even a `null` (a change it may not read, hidden by row-level security) arrives:
          // the feed routes a change to its pair's parties only.
          expect(
            after()
              .map((message) => subjectOf(message, field) ?? null)
              .filter((subject) => subject === null || !own.includes(subject)),
            `${party.name} ${field}`,
          ).toEqual([]);
          const text = JSON.stringify(stream.messages);
          for (const identifier of theirs)
            expect(text, `${party.name} ${field}`).not.toContain(identifier);
        }
        const received = (name: string, field: string) => {
          const { stream } = subscriptions.find(
            (entry) => entry.party.name === name && entry.field === field,
          )!;
          return stream.messages
            .slice(fenced.get(stream))
            .map((message) => subjectOf(message, field));
        };
        expect(received('sponsor A', 'batchChanged')).toContain(A1);
        expect(received('CDMO X', 'readinessChanged')).toContain(A1);
        expect(received('sponsor B', 'batchChanged')).toContain(B1);
        expect(received('CDMO Y', 'deviationChanged')).toContain(DEV_B);
      } finally {
        for (const { stream } of subscriptions) stream.close();
      }
    });

    it('refuses a subscription without credentials, with the same sentence and no data', async () => {
      const stream = await subscribe(null, 'subscription { batchChanged { batchId } }');
      try {
        await waitFor(() => stream.messages.length > 0 || stream.ended(), {
          description: 'the refusal',
        });
        expect(stream.messages).toEqual([
          expect.objectContaining({
            errors: [expect.objectContaining({ message: UNAUTHORIZED })],
          }),
        ]);
        expect(stream.messages[0]!.data ?? null).toBeNull();
      } finally {
        stream.close();
      }
    });
  },
);

/**
 * Waits until the process manager has followed, and the projector has projected, every event
 * appended so far. The store shows an event only once every transaction older than it has ended,
 * anywhere on the server, so a single pass can stop short while other work runs against the same
 * PostgreSQL; `publish([])` lets the exchange's process manager follow what it had not seen yet.
 */
async function caughtUp(world: ApiWorld) {
  await waitFor(
    async () => {
      await world.exchange.publish([]);
      const { rows } = await world.db.query<{ head: string }>(
        'select coalesce(max(global_position), 0)::text as head from es_events',
      );
      const head = BigInt(rows[0]!.head);
      return (
        (await world.store.headPosition()) >= head && (await world.projector.catchUp()) >= head
      );
    },
    {
      description: 'the process manager and the projector at the head of the store',
      timeoutMs: 60_000,
    },
  );
}

const NODE_LOOKUPS: [string, Record<string, unknown>][] = [
  ['query($id: ID!) { node(id: $id) { id } }', { id: gid('Batch', A1) }],
  ['query($id: ID!) { node(id: $id) { id } }', { id: gid('Organization', SPONSOR) }],
  [
    'query($ids: [ID!]!) { nodes(ids: $ids) { id } }',
    { ids: [gid('Deviation', DEV_A), gid('Batch', B1)] },
  ],
];

function anySignature() {
  return { printedName: 'Anyone', meaning: 'APPROVAL', reason: 'Probe.', credential: 'x.y.z' };
}

interface Summary {
  batchesByStatus: { key: string; count: number }[];
  deviationsBySeverity: { key: string; count: number }[];
  openDeviations: number;
  lateNotifications: number;
  releaseReady: number;
  blocked: number;
  cycleTimes: { stage: string; averageHours: number | null; batches: number }[];
  deviationRates: { productId: string; batches: number; deviations: number; rate: number }[];
}

type BatchRow = {
  id: string;
  status: string;
  productId: string;
  releaseReady: boolean;
  blockerCount: number;
} & Partial<Record<Milestone, Date | null>>;

type Milestone =
  | 'startedAt'
  | 'completedAt'
  | 'recordReviewedAt'
  | 'coaIssuedAt'
  | 'dispositionedAt'
  | 'certifiedAt';

/** The dashboard's figures computed from the rows themselves (the oracle for `summary`). */
function expectedSummary(
  batches: BatchRow[],
  deviations: {
    id: string;
    severity: string;
    status: string;
    notifiedLate: boolean;
    batchLinks: { batchId: string }[];
  }[],
): Summary {
  const countBy = <T>(rows: T[], key: (row: T) => string) =>
    [...new Set(rows.map(key))].sort().map((value) => ({
      key: value,
      count: rows.filter((row) => key(row) === value).length,
    }));
  const stages: [string, Milestone, Milestone][] = [
    ['manufacturing', 'startedAt', 'completedAt'],
    ['record-review', 'completedAt', 'recordReviewedAt'],
    ['qc-release', 'recordReviewedAt', 'coaIssuedAt'],
    ['disposition', 'coaIssuedAt', 'dispositionedAt'],
    ['certification', 'dispositionedAt', 'certifiedAt'],
    ['end-to-end', 'startedAt', 'certifiedAt'],
  ];
  const finished = ['aborted', 'qp-certified', 'shipped'];
  return {
    batchesByStatus: countBy(batches, (row) => row.status),
    deviationsBySeverity: countBy(deviations, (row) => row.severity),
    openDeviations: deviations.filter((row) => row.status !== 'closed').length,
    lateNotifications: deviations.filter((row) => row.notifiedLate).length,
    releaseReady: batches.filter((row) => row.releaseReady).length,
    blocked: batches.filter((row) => row.blockerCount > 0 && !finished.includes(row.status)).length,
    cycleTimes: stages.map(([stage, from, to]) => {
      const spans = batches
        .filter((row) => row[from] && row[to])
        .map((row) => (row[to]!.getTime() - row[from]!.getTime()) / 3_600_000);
      return {
        stage,
        averageHours: spans.length
          ? spans.reduce((sum, hours) => sum + hours, 0) / spans.length
          : null,
        batches: spans.length,
      };
    }),
    deviationRates: [...new Set(batches.map((row) => row.productId))].sort().map((productId) => {
      const ofProduct = batches.filter((row) => row.productId === productId).map((row) => row.id);
      const linked = new Set(
        deviations
          .filter((row) => row.batchLinks.some((link) => ofProduct.includes(link.batchId)))
          .map((row) => row.id),
      );
      return {
        productId,
        batches: ofProduct.length,
        deviations: linked.size,
        rate: linked.size / ofProduct.length,
      };
    }),
  };
}
