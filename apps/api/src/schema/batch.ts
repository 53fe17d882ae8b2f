import {
  blocksReleaseOutright,
  getDatamodel,
  releaseBlockersOf,
  type ReleaseBlocker as Blocker,
} from '@concord/read-model';
import { GraphQLError } from 'graphql';
import { builder } from '../builder.ts';
import { organizationOf, partyOf, partySidesOf, type ApiContext } from '../context.ts';
import { FIELD_COSTS } from '../cost-limit.ts';
import { deviationById, organizationById } from '../loaders.ts';
import { BatchActs } from './viewer-can.ts';
import {
  asSignature,
  BatchStatus,
  DateRange,
  dateWhere,
  Quantity,
  SignatureManifestation,
  SortDirection,
} from './shared.ts';

const BlockerKind = builder.enumType('ReleaseBlockerKind', {
  values: {
    OPEN_DEVIATION: { value: 'open-deviation' },
    PENDING_SPONSOR_APPROVAL: { value: 'pending-sponsor-approval' },
    OPEN_OOS: { value: 'open-oos' },
    CONFIRMED_OOS: { value: 'confirmed-oos' },
    MISSING_COA: { value: 'missing-coa' },
    MISSING_DISPOSITION: { value: 'missing-disposition' },
    DISPOSITION_NOT_RELEASED: { value: 'disposition-not-released' },
    MISSING_CERTIFICATION: { value: 'missing-certification' },
  } as const,
});

export const ReleaseBlocker = builder.objectRef<Blocker>('ReleaseBlocker').implement({
  description: 'One thing that stands between a batch and its release (review by exception).',
  fields: (t) => ({
    kind: t.field({ type: BlockerKind, resolve: (b) => b.kind }),
    blocksRelease: t.boolean({
      description:
        'Whether it stops release until resolved (an open deviation, an OOS, a pending approval, a disposition that is not a release); the rest are steps still to come.',
      resolve: (b) => blocksReleaseOutright(b.kind),
    }),
    description: t.exposeString('description'),
    severity: t.exposeString('severity', { nullable: true }),
    reference: t.exposeString('reference', {
      nullable: true,
      description: 'The cause: a deviation id or an OOS investigation id.',
    }),
    deviation: t.prismaField({
      type: 'Deviation',
      nullable: true,
      description: 'The deviation behind the blocker, when there is one.',
      // Loaded with every other blocker's deviation of the request, in one statement.
      resolve: (query, blocker, _args, context) =>
        blocker.reference !== null &&
        (blocker.kind === 'open-deviation' || blocker.kind === 'pending-sponsor-approval')
          ? deviationById(context, blocker.reference, query)
          : null,
    }),
  }),
});

const Disposition = builder
  .objectRef<{ decision: string; at: Date | null; signature: unknown }>('Disposition')
  .implement({
    fields: (t) => ({
      decision: t.exposeString('decision'),
      recordedAt: t.field({ type: 'DateTime', nullable: true, resolve: (d) => d.at }),
      signature: t.field({
        type: SignatureManifestation,
        nullable: true,
        resolve: (d) => asSignature(d.signature),
      }),
    }),
  });

const Certification = builder
  .objectRef<{ registerEntryId: string; at: Date | null; signature: unknown }>('Certification')
  .implement({
    description: "The Qualified Person's certification of the batch.",
    fields: (t) => ({
      registerEntryId: t.exposeString('registerEntryId'),
      certifiedAt: t.field({ type: 'DateTime', nullable: true, resolve: (c) => c.at }),
      signature: t.field({
        type: SignatureManifestation,
        nullable: true,
        resolve: (c) => asSignature(c.signature),
      }),
    }),
  });

builder.prismaObject('QcResult', {
  description: 'A QC result against its specification (after any correction).',
  fields: (t) => ({
    resultId: t.exposeID('resultId'),
    test: t.exposeString('test'),
    method: t.exposeString('method', { nullable: true }),
    value: t.exposeFloat('value'),
    unit: t.exposeString('unit'),
    specificationLower: t.exposeFloat('specificationLower', { nullable: true }),
    specificationUpper: t.exposeFloat('specificationUpper', { nullable: true }),
    specificationUnit: t.exposeString('specificationUnit'),
    withinSpecification: t.exposeBoolean('withinSpecification'),
    testedAt: t.expose('testedAt', { type: 'DateTime' }),
    corrected: t.exposeBoolean('corrected', {
      description: 'A correction changed this result since it was first recorded.',
    }),
  }),
});

builder.prismaObject('DeviationBatch', {
  name: 'DeviationLink',
  description: 'A deviation linked to a batch, with the assessed impact on it.',
  fields: (t) => ({
    impact: t.exposeString('impact', { nullable: true }),
    impactConclusion: t.exposeString('impactConclusion', { nullable: true }),
    deviation: t.relation('deviation', { nullable: true }),
    batch: t.relation('batch', { nullable: true }),
  }),
});

/** The columns every batch is read with (`prismaNode('Batch')`'s select). */
const SUMMARY = {
  id: true,
  batchNumber: true,
  productId: true,
  productName: true,
  sponsorId: true,
  cdmoId: true,
  site: true,
  status: true,
  scheduledAt: true,
  lastChangedAt: true,
  releaseReady: true,
  blockers: true,
} as const;

builder.prismaNode('Batch', {
  id: { field: 'id' },
  nullable: true,
  // Select mode: a batch is read with the columns of its summary (what a list or a pushed change
  // shows: who, what, where, status, schedule, readiness), and each other field adds the columns
  // it reads when it is asked for; a page never reads the signatures or the open-deviation maps
  // it does not show. The summary's fields read their column plainly: `t.expose*` in select mode
  // looks up Pothos's query plan on every row, which costs more than the column would.
  select: SUMMARY,
  fields: (t) => ({
    batchId: t.id({ resolve: (b) => b.id }),
    batchNumber: t.string({ resolve: (b) => b.batchNumber }),
    productId: t.id({ resolve: (b) => b.productId }),
    productName: t.string({ nullable: true, resolve: (b) => b.productName }),
    agreementId: t.exposeID('agreementId'),
    // A page's organizations are loaded together, in one statement (loaders.ts).
    sponsor: t.prismaField({
      type: 'Organization',
      nullable: true,
      resolve: (_query, batch, _args, context) => organizationById(context, batch.sponsorId),
    }),
    cdmo: t.prismaField({
      type: 'Organization',
      nullable: true,
      resolve: (_query, batch, _args, context) => organizationById(context, batch.cdmoId),
    }),
    sponsorId: t.id({ resolve: (b) => b.sponsorId }),
    cdmoId: t.id({ resolve: (b) => b.cdmoId }),
    site: t.string({ resolve: (b) => b.site }),
    status: t.field({ type: BatchStatus, resolve: (b) => b.status as never }),
    plannedQuantity: t.field({
      type: Quantity,
      select: { plannedQuantityValue: true, plannedQuantityUnit: true },
      resolve: (b) => ({ value: b.plannedQuantityValue, unit: b.plannedQuantityUnit }),
    }),
    actualQuantity: t.field({
      type: Quantity,
      nullable: true,
      select: { actualQuantityValue: true, actualQuantityUnit: true },
      resolve: (b) =>
        b.actualQuantityValue === null
          ? null
          : { value: b.actualQuantityValue, unit: b.actualQuantityUnit ?? '' },
    }),
    plannedStart: t.expose('plannedStart', { type: 'DateTime' }),
    scheduledAt: t.field({ type: 'DateTime', resolve: (b) => b.scheduledAt }),
    startedAt: t.expose('startedAt', { type: 'DateTime', nullable: true }),
    completedAt: t.expose('completedAt', { type: 'DateTime', nullable: true }),
    recordReviewedAt: t.expose('recordReviewedAt', { type: 'DateTime', nullable: true }),
    coaId: t.exposeString('coaId', { nullable: true }),
    coaIssuedAt: t.expose('coaIssuedAt', { type: 'DateTime', nullable: true }),
    disposition: t.field({
      type: Disposition,
      nullable: true,
      select: { dispositionDecision: true, dispositionedAt: true, dispositionSignature: true },
      resolve: (b) =>
        b.dispositionDecision === null
          ? null
          : {
              decision: b.dispositionDecision,
              at: b.dispositionedAt,
              signature: b.dispositionSignature,
            },
    }),
    certification: t.field({
      type: Certification,
      nullable: true,
      select: { registerEntryId: true, certifiedAt: true, certificationSignature: true },
      resolve: (b) =>
        b.registerEntryId === null
          ? null
          : {
              registerEntryId: b.registerEntryId,
              at: b.certifiedAt,
              signature: b.certificationSignature,
            },
    }),
    shippedAt: t.expose('shippedAt', { type: 'DateTime', nullable: true }),
    releaseReady: t.boolean({
      description: 'Nothing but the final acts (disposition, certification) remains.',
      resolve: (b) => b.releaseReady,
    }),
    blockers: t.field({
      type: [ReleaseBlocker],
      resolve: (b) => releaseBlockersOf(b.blockers),
    }),
    viewerCan: t.field({
      type: BatchActs,
      description: 'What you could sign on this batch now, as the domain decides it.',
      extensions: { cost: FIELD_COSTS.storeRead },
      resolve: async (b, _args, context) => {
        const disposition = (decision: 'released' | 'quarantined' | 'rejected') => ({
          kind: 'record-disposition' as const,
          batchId: b.id,
          decision,
        });
        const [release, quarantine, reject, certify] = await context.acts.allowed(context.caller, [
          disposition('released'),
          disposition('quarantined'),
          disposition('rejected'),
          { kind: 'certify-batch', batchId: b.id, registerEntryId: `QPR-${b.batchNumber}` },
        ]);
        return { release: release!, quarantine: quarantine!, reject: reject!, certify: certify! };
      },
    }),
    lastChangedAt: t.field({ type: 'DateTime', resolve: (b) => b.lastChangedAt }),
    qcResults: t.relation('qcResults', { query: { orderBy: { testedAt: 'asc' } } }),
    deviationLinks: t.relation('deviationLinks'),
    timeline: t.relatedConnection('timeline', {
      cursor: 'eventId',
      description: 'Every event of the batch, oldest first: who, what, when and why.',
      query: { orderBy: { position: 'asc' } },
      totalCount: true,
    }),
  }),
});

const BatchFilter = builder.inputType('BatchFilter', {
  fields: (t) => ({
    status: t.field({ type: [BatchStatus], required: false }),
    productId: t.id({ required: false }),
    search: t.string({
      required: false,
      description:
        'Batches whose batch number or product name contains this text (any case), or whose product id it is (at most 100 characters).',
    }),
    partnerId: t.id({ required: false, description: 'The sponsor or CDMO on the other side.' }),
    site: t.string({ required: false }),
    scheduled: t.field({ type: DateRange, required: false }),
    releaseReady: t.boolean({ required: false }),
    blocked: t.boolean({
      required: false,
      description: 'Only batches with (or without) blockers.',
    }),
  }),
});

const BatchOrderField = builder.enumType('BatchOrderField', {
  values: {
    SCHEDULED_AT: { value: 'scheduledAt' },
    LAST_CHANGED_AT: { value: 'lastChangedAt' },
    BATCH_NUMBER: { value: 'batchNumber' },
    BLOCKER_COUNT: { value: 'blockerCount' },
  } as const,
});

const BatchOrder = builder.inputType('BatchOrder', {
  fields: (t) => ({
    field: t.field({ type: BatchOrderField, required: true }),
    direction: t.field({ type: SortDirection, required: false, defaultValue: 'desc' }),
  }),
});

type BatchFilterValue = typeof BatchFilter.$inferInput;

const SEARCH_MAX = 100;

function batchWhere(filter: BatchFilterValue | null | undefined) {
  if (!filter) return {};
  const search = filter.search?.trim();
  if (search && search.length > SEARCH_MAX)
    throw new GraphQLError(`search is at most ${SEARCH_MAX} characters.`, {
      extensions: { code: 'BAD_USER_INPUT' },
    });
  const conditions = [
    filter.status?.length ? { status: { in: filter.status as string[] } } : {},
    filter.productId ? { productId: String(filter.productId) } : {},
    filter.site ? { site: filter.site } : {},
    filter.partnerId
      ? { OR: [{ sponsorId: String(filter.partnerId) }, { cdmoId: String(filter.partnerId) }] }
      : {},
    search
      ? {
          OR: [
            { batchNumber: { contains: search, mode: 'insensitive' as const } },
            { productName: { contains: search, mode: 'insensitive' as const } },
            { productId: search },
          ],
        }
      : {},
    filter.scheduled ? { scheduledAt: dateWhere(filter.scheduled) } : {},
    typeof filter.releaseReady === 'boolean' ? { releaseReady: filter.releaseReady } : {},
    typeof filter.blocked === 'boolean' ? { blockerCount: filter.blocked ? { gt: 0 } : 0 } : {},
  ];
  return { AND: conditions.filter((condition) => Object.keys(condition).length > 0) };
}

type BatchQuery = NonNullable<Parameters<ApiContext['db']['batch']['findMany']>[0]>;

/** What Pothos hands a connection's resolver: the nodes' selection and the page asked for. */
interface ConnectionQuery {
  take: number;
  skip: number;
  cursor?: BatchQuery['cursor'];
  include?: BatchQuery['include'];
  select?: BatchQuery['select'];
}

/** The fields of a batch that are columns of its row; the others are nested rows (QC results, …). */
const BATCH_COLUMNS = new Set(
  getDatamodel()
    .datamodel.models.Batch!.fields.filter((field) => field.kind === 'scalar')
    .map((field) => field.name),
);

/** Whether a page's shape reads nested rows (each a statement per page, not per batch). */
function readsNestedRows({ include, select }: Pick<ConnectionQuery, 'include' | 'select'>) {
  if (include && Object.values(include).some(Boolean)) return true;
  return Object.entries(select ?? {}).some(
    ([field, wanted]) => wanted && !BATCH_COLUMNS.has(field),
  );
}

type BatchWhere = NonNullable<BatchQuery['where']>;

/** `where` as the caller's two party sides (`partySidesOf`), each one index's range. */
function partiesOf(context: ApiContext, where: BatchWhere): BatchWhere[] {
  return partySidesOf(context).map((side) => ({ AND: [side, where] }));
}

/**
 * The orders kept by an index per party and status (migration 0007): a list of some statuses in
 * them is read one status at a time, each an ordered range of its own, not by walking past every
 * batch in other statuses (a year of shipped batches, the weeks of scheduled ones).
 */
const ORDERED_PER_STATUS: ReadonlySet<string> = new Set(['scheduledAt', 'lastChangedAt']);

/** The parts a batch list reads apart: party sides, and statuses where the order allows. */
function listParts(
  context: ApiContext,
  filter: BatchFilterValue | null | undefined,
  field: string,
): BatchWhere[] {
  const statuses = [...new Set((filter?.status ?? []) as string[])];
  if (statuses.length === 0 || !ORDERED_PER_STATUS.has(field))
    return partiesOf(context, batchWhere(filter));
  const others = batchWhere({ ...filter, status: null });
  return statuses.flatMap((status) => partiesOf(context, { AND: [others, { status }] }));
}

/**
 * The batches Prisma answers for `findMany({ ...query, where: { OR: parts }, orderBy })`, read
 * one part at a time: parts that share no row, each one index's range (the caller's party sides,
 * `partiesOf`; and statuses, `listParts`), so a page costs what it shows, however many batches
 * the caller has had. Each part gives its first rows in the order asked for, from the cursor's
 * place (Prisma finds it, whichever part it is in; it is left out, as `skip: 1` would). Where
 * the parts are the party sides and the page reads only the batches' own columns, the parts give
 * whole rows: where one part has rows (most organizations are on one side only) they are the
 * page; where both do, the database orders their ids (its collation orders text) and the page is
 * taken from the rows already read. Otherwise the parts give ids and the page is read by them,
 * so nested rows, and whole rows of a status list's several parts, are read for the page only.
 */
async function batchesOfParts(
  context: ApiContext,
  parts: readonly BatchWhere[],
  orderBy: NonNullable<BatchQuery['orderBy']>,
  { take, skip, cursor, ...shape }: ConnectionQuery,
) {
  // Past the cursor, `skip` more: the cursor itself, where the part holds it.
  const perPart = Math.abs(take) + skip;
  // Ids first where nested rows would be read for every candidate, or where several parts will
  // likely have rows (a status list): only the page's rows are then read whole.
  const idsFirst = readsNestedRows(shape) || parts.length > 2;
  // The id picks the page's rows and leaves the cursor out, whatever else the page selects.
  const partShape: Pick<BatchQuery, 'select' | 'include'> = idsFirst
    ? { select: { id: true } }
    : shape.select
      ? { select: { ...shape.select, id: true } }
      : { include: shape.include };
  const filled = [];
  for (const where of parts) {
    const rows = await context.db.batch.findMany({
      ...partShape,
      where,
      orderBy,
      ...(cursor ? { cursor } : {}),
      take: take < 0 ? -perPart : perPart,
    });
    const past = rows.filter((row) => row.id !== cursor?.id);
    if (past.length > 0) filled.push(past);
  }
  const pageOf = <T>(rows: T[]) => (take < 0 ? rows.slice(take) : rows.slice(0, take));
  if (filled.length === 0) return [];
  const candidates = filled.flat();
  const ids = candidates.map((row) => row.id);
  if (idsFirst)
    return context.db.batch.findMany({
      ...shape,
      where: { AND: [partyOf(context), { id: { in: ids } }] },
      orderBy,
      take,
    });
  if (filled.length === 1) return pageOf(filled[0]!);
  const byId = new Map(candidates.map((row) => [row.id, row]));
  const ordered = await context.db.batch.findMany({
    select: { id: true },
    where: { AND: [partyOf(context), { id: { in: ids } }] },
    orderBy,
  });
  return pageOf(ordered.map(({ id }) => byId.get(id)!));
}

/** How many batches of the caller's `where` selects: both sides' counts, each from its index. */
async function countOfBothSides(context: ApiContext, where: NonNullable<BatchQuery['where']>) {
  let count = 0;
  for (const side of partySidesOf(context))
    count += await context.db.batch.count({ where: { AND: [side, where] } });
  return count;
}

/**
 * How many batches of the caller's a list selects. Where the filter names only what the batch
 * counts are kept by (status, readiness, blocked), their sum: a few rows read, however many
 * batches; else both sides' counts (`countOfBothSides`).
 */
async function totalOfBatches(
  context: ApiContext,
  filter: BatchFilterValue | null | undefined,
): Promise<number> {
  const { status, releaseReady, blocked, ...others } = filter ?? {};
  if (Object.values(others).some((value) => value !== null && value !== undefined))
    return countOfBothSides(context, batchWhere(filter));
  return sumOfCounts(context, {
    ...(status?.length ? { status: { in: status as string[] } } : {}),
    ...(typeof releaseReady === 'boolean' ? { releaseReady } : {}),
    ...(typeof blocked === 'boolean' ? { blocked } : {}),
  });
}

type CountsWhere = NonNullable<
  NonNullable<Parameters<ApiContext['db']['batchCount']['aggregate']>[0]>['where']
>;

async function sumOfCounts(context: ApiContext, where: CountsWhere): Promise<number> {
  const { _sum } = await context.db.batchCount.aggregate({
    _sum: { batches: true },
    where: { AND: [{ organizationId: organizationOf(context) }, where] },
  });
  return _sum.batches ?? 0;
}

/** Batches still on their way to release. */
const UNFINISHED = { status: { notIn: ['aborted', 'qp-certified', 'shipped'] } };

builder.queryFields((t) => ({
  batches: t.prismaConnection({
    type: 'Batch',
    cursor: 'id',
    authScopes: { member: true },
    description: 'Batches you are party to, newest first unless ordered otherwise.',
    args: {
      filter: t.arg({ type: BatchFilter, required: false }),
      orderBy: t.arg({ type: BatchOrder, required: false }),
    },
    totalCount: (_connection, args, context) => totalOfBatches(context, args.filter),
    resolve: (query, _root, args, context) => {
      const field = args.orderBy?.field ?? 'scheduledAt';
      return batchesOfParts(
        context,
        listParts(context, args.filter, field),
        [{ [field]: args.orderBy?.direction ?? 'desc' }, { id: 'asc' }],
        query,
      );
    },
  }),
  batch: t.prismaField({
    type: 'Batch',
    nullable: true,
    authScopes: { member: true },
    description: 'One batch by its id (null when it does not exist or is not yours to see).',
    args: { id: t.arg.id({ required: true }) },
    resolve: (query, _root, args, context) =>
      context.db.batch.findFirst({ ...query, where: { id: String(args.id), ...partyOf(context) } }),
  }),
  releaseReadiness: t.prismaConnection({
    type: 'Batch',
    cursor: 'id',
    authScopes: { member: true },
    description:
      'Review by exception: batches still on their way to release, the most blocked first.',
    totalCount: (_connection, _args, context) => sumOfCounts(context, UNFINISHED),
    resolve: (query, _root, _args, context) =>
      batchesOfParts(
        context,
        partiesOf(context, UNFINISHED),
        [{ blockerCount: 'desc' }, { id: 'asc' }],
        query,
      ),
  }),
}));
