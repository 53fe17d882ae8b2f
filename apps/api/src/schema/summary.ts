import { builder } from '../builder.ts';
import { organizationOf, partyOf } from '../context.ts';

interface Summary {
  batchesByStatus: { key: string; count: number }[];
  deviationsBySeverity: { key: string; count: number }[];
  openDeviations: number;
  lateNotifications: number;
  deadlinesDueSoon: number;
  deadlinesOverdue: number;
  releaseReady: number;
  blocked: number;
  cycleTimes: { stage: string; averageHours: number | null; batches: number }[];
  deviationRates: { productId: string; batches: number; deviations: number; rate: number }[];
}

const Count = builder
  .objectRef<{ key: string; count: number }>('Count')
  .implement({ fields: (t) => ({ key: t.exposeString('key'), count: t.exposeInt('count') }) });

const CycleTime = builder.objectRef<Summary['cycleTimes'][number]>('CycleTime').implement({
  description: 'Average time a stage takes, over the batches that went through it.',
  fields: (t) => ({
    stage: t.exposeString('stage'),
    averageHours: t.exposeFloat('averageHours', { nullable: true }),
    batches: t.exposeInt('batches'),
  }),
});

const DeviationRate = builder
  .objectRef<Summary['deviationRates'][number]>('DeviationRate')
  .implement({
    fields: (t) => ({
      productId: t.exposeID('productId'),
      batches: t.exposeInt('batches'),
      deviations: t.exposeInt('deviations'),
      rate: t.exposeFloat('rate', { description: 'Linked deviations per batch.' }),
    }),
  });

const SummaryRef = builder.objectRef<Summary>('OrganizationSummary').implement({
  description: "Dashboard figures over everything the caller's organization may see.",
  fields: (t) => ({
    batchesByStatus: t.field({ type: [Count], resolve: (s) => s.batchesByStatus }),
    deviationsBySeverity: t.field({ type: [Count], resolve: (s) => s.deviationsBySeverity }),
    openDeviations: t.exposeInt('openDeviations'),
    lateNotifications: t.exposeInt('lateNotifications'),
    deadlinesDueSoon: t.exposeInt('deadlinesDueSoon', {
      description: 'Deviations with an unmet due date near (warned due soon).',
    }),
    deadlinesOverdue: t.exposeInt('deadlinesOverdue', {
      description: 'Deviations with an unmet due date passed (warned overdue).',
    }),
    releaseReady: t.exposeInt('releaseReady'),
    blocked: t.exposeInt('blocked'),
    cycleTimes: t.field({ type: [CycleTime], resolve: (s) => s.cycleTimes }),
    deviationRates: t.field({ type: [DeviationRate], resolve: (s) => s.deviationRates }),
  }),
});

/** Stages as pairs of milestone columns (from, to) of rm_batches. */
const STAGES = [
  ['manufacturing', 'started_at', 'completed_at'],
  ['record-review', 'completed_at', 'record_reviewed_at'],
  ['qc-release', 'record_reviewed_at', 'coa_issued_at'],
  ['disposition', 'coa_issued_at', 'dispositioned_at'],
  ['certification', 'dispositioned_at', 'certified_at'],
  ['end-to-end', 'started_at', 'certified_at'],
] as const;

builder.queryFields((t) => ({
  summary: t.field({
    type: SummaryRef,
    authScopes: { member: true },
    resolve: async (_root, _args, context) => {
      const { db } = context;
      const party = partyOf(context);
      const organizationId = organizationOf(context);
      const [byStatus, bySeverity, openDeviations, late, ready, blocked, dueSoon, overdue] =
        await Promise.all([
          db.batch.groupBy({
            by: ['status'],
            where: party,
            _count: { _all: true },
            orderBy: { status: 'asc' },
          }),
          db.deviation.groupBy({
            by: ['severity'],
            where: party,
            _count: { _all: true },
            orderBy: { severity: 'asc' },
          }),
          db.deviation.count({ where: { ...party, status: { not: 'closed' } } }),
          db.deviation.count({ where: { ...party, notifiedLate: true } }),
          db.batch.count({ where: { ...party, releaseReady: true } }),
          db.batch.count({
            where: {
              ...party,
              blockerCount: { gt: 0 },
              status: { notIn: ['aborted', 'qp-certified', 'shipped'] },
            },
          }),
          db.deviation.count({ where: { ...party, deadlineStatus: 'due-soon' } }),
          db.deviation.count({ where: { ...party, deadlineStatus: 'overdue' } }),
        ]);
      // Aggregates Prisma cannot express, filtered here too and read through row-level security.
      const cycleTimes = await Promise.all(
        STAGES.map(async ([stage, from, to]) => {
          const [row] = await db.$queryRawUnsafe<{ hours: number | null; batches: number }[]>(
            `select avg(extract(epoch from (${to} - ${from})) / 3600)::float8 as hours,
                    count(*)::int as batches
               from rm_batches
              where ${from} is not null and ${to} is not null and $1 in (sponsor_id, cdmo_id)`,
            organizationId,
          );
          return { stage, averageHours: row?.hours ?? null, batches: row?.batches ?? 0 };
        }),
      );
      const rates = await db.$queryRawUnsafe<
        { product_id: string; batches: number; deviations: number }[]
      >(
        `select b.product_id, count(distinct b.id)::int as batches,
                count(distinct l.deviation_id)::int as deviations
           from rm_batches b left join rm_deviation_batches l on l.batch_id = b.id
          where $1 in (b.sponsor_id, b.cdmo_id)
          group by b.product_id order by b.product_id`,
        organizationId,
      );
      return {
        batchesByStatus: byStatus.map((row) => ({ key: row.status, count: row._count._all })),
        deviationsBySeverity: bySeverity.map((row) => ({
          key: row.severity,
          count: row._count._all,
        })),
        openDeviations,
        lateNotifications: late,
        deadlinesDueSoon: dueSoon,
        deadlinesOverdue: overdue,
        releaseReady: ready,
        blocked,
        cycleTimes,
        deviationRates: rates.map((row) => ({
          productId: row.product_id,
          batches: row.batches,
          deviations: row.deviations,
          rate: row.batches === 0 ? 0 : row.deviations / row.batches,
        })),
      };
    },
  }),
}));
