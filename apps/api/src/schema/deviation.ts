import {
  deadlineKinds,
  deadlineMet,
  type DeadlineKind,
  type DeviationStatus as DeviationStatusValue,
} from '@concord/domain';
import type { DeadlineWarningRow } from '@concord/read-model';
import { DeviationActs } from './viewer-can.ts';
import { builder } from '../builder.ts';
import { partyOf } from '../context.ts';
import { FIELD_COSTS } from '../cost-limit.ts';
import {
  asSignature,
  DateRange,
  dateWhere,
  DeviationStatus,
  Severity,
  SignatureManifestation,
  SortDirection,
} from './shared.ts';

export const CapaAction = builder
  .objectRef<{ description: string; owner: string; dueDate: string }>('CapaAction')
  .implement({
    fields: (t) => ({
      description: t.exposeString('description'),
      owner: t.exposeString('owner'),
      dueDate: t.exposeString('dueDate', { description: 'A calendar date (YYYY-MM-DD).' }),
    }),
  });

const DAY_MS = 86_400_000;

export const DeadlineStatus = builder.enumType('DeadlineStatus', {
  description: 'Where a deviation stands against the due dates its quality agreement sets.',
  values: {
    NONE: { value: 'none', description: 'The agreement in force sets no due dates.' },
    ON_TRACK: { value: 'on-track', description: 'No unmet due date is near.' },
    DUE_SOON: { value: 'due-soon', description: 'An unmet due date is near (warned).' },
    OVERDUE: { value: 'overdue', description: 'An unmet due date passed (warned).' },
    MET: { value: 'met', description: 'Every due date was met.' },
  } as const,
});

const DeadlineKindEnum = builder.enumType('DeviationDeadlineKind', {
  values: {
    INVESTIGATION: { value: 'investigation', description: 'The root cause identified.' },
    CAPA: { value: 'capa', description: 'The CAPA approved.' },
    CLOSURE: { value: 'closure', description: 'The deviation closed.' },
  } as const,
});

type DueDate = { dueAt: string; dueSoonAt: string };
type DeviationDeadlineShape = {
  kind: DeadlineKind;
  dueAt: string;
  dueSoonAt: string;
  met: boolean;
  warnings: DeadlineWarningRow[];
};

const DeadlineWarningRef = builder.objectRef<DeadlineWarningRow>('DeadlineWarning').implement({
  description: 'A warning the platform gave both parties about a due date.',
  fields: (t) => ({
    warning: t.string({ description: '`due-soon` or `overdue`.', resolve: (w) => w.warning }),
    deadline: t.field({ type: DeadlineKindEnum, resolve: (w) => w.deadline }),
    dueAt: t.field({ type: 'DateTime', resolve: (w) => new Date(w.dueAt) }),
    at: t.field({ type: 'DateTime', resolve: (w) => new Date(w.at) }),
    escalatedTo: t.id({
      nullable: true,
      description: "The sponsor a critical deviation's missed due date was escalated to.",
      resolve: (w) => w.escalatedTo ?? null,
    }),
  }),
});

const DeviationDeadline = builder.objectRef<DeviationDeadlineShape>('DeviationDeadline').implement({
  description:
    'A due date of the deviation, from the quality agreement in force when its severity was set.',
  fields: (t) => ({
    kind: t.field({ type: DeadlineKindEnum, resolve: (d) => d.kind }),
    dueAt: t.field({ type: 'DateTime', resolve: (d) => new Date(d.dueAt) }),
    dueSoonAt: t.field({ type: 'DateTime', resolve: (d) => new Date(d.dueSoonAt) }),
    met: t.exposeBoolean('met'),
    warnings: t.field({ type: [DeadlineWarningRef], resolve: (d) => d.warnings }),
  }),
});

function deviationDeadlines(d: {
  status: string;
  dueDates: unknown;
  deadlineWarnings: unknown;
}): DeviationDeadlineShape[] {
  const dueDates = d.dueDates as Record<DeadlineKind, DueDate> | null;
  if (!dueDates) return [];
  const warnings = (d.deadlineWarnings ?? []) as DeadlineWarningRow[];
  return deadlineKinds.map((kind) => ({
    kind,
    ...dueDates[kind],
    met: deadlineMet(kind, d.status as DeviationStatusValue),
    warnings: warnings.filter((w) => w.deadline === kind && w.dueAt === dueDates[kind].dueAt),
  }));
}

/** The columns every deviation is read with (`prismaNode('Deviation')`'s select). */
const SUMMARY = {
  id: true,
  title: true,
  category: true,
  severity: true,
  status: true,
  productId: true,
  agreementId: true,
  sponsorId: true,
  cdmoId: true,
  reportedByOrganizationId: true,
  detectedAt: true,
  reportedAt: true,
  notifiedLate: true,
  deadlineStatus: true,
  closedAt: true,
} as const;

builder.prismaNode('Deviation', {
  id: { field: 'id' },
  nullable: true,
  // Select mode, as a batch (batch.ts): a deviation is read with its summary's columns (what a
  // list or a pushed change shows), and each other field adds the columns it reads when asked
  // for; a list never reads the descriptions, CAPA plans or signatures it does not show.
  select: SUMMARY,
  fields: (t) => ({
    deviationId: t.id({ resolve: (d) => d.id }),
    title: t.string({ resolve: (d) => d.title }),
    description: t.exposeString('description'),
    category: t.string({ resolve: (d) => d.category }),
    severity: t.field({ type: Severity, resolve: (d) => d.severity as never }),
    status: t.field({ type: DeviationStatus, resolve: (d) => d.status as never }),
    open: t.boolean({ resolve: (d) => d.status !== 'closed' }),
    productId: t.id({ resolve: (d) => d.productId }),
    agreementId: t.id({ resolve: (d) => d.agreementId }),
    sponsorId: t.id({ resolve: (d) => d.sponsorId }),
    cdmoId: t.id({ resolve: (d) => d.cdmoId }),
    reportedByOrganizationId: t.id({ resolve: (d) => d.reportedByOrganizationId }),
    detectedAt: t.field({ type: 'DateTime', resolve: (d) => d.detectedAt }),
    reportedAt: t.field({ type: 'DateTime', resolve: (d) => d.reportedAt }),
    notificationDeadline: t.expose('notificationDeadline', { type: 'DateTime', nullable: true }),
    notifiedLate: t.boolean({
      description: 'Reported after the deadline the quality agreement sets for its severity.',
      resolve: (d) => d.notifiedLate,
    }),
    lateByMinutes: t.exposeInt('lateByMinutes', { nullable: true }),
    deadlineStatus: t.field({
      type: DeadlineStatus,
      description: 'Its worst unmet due date: the alert a dashboard shows.',
      resolve: (d) => d.deadlineStatus as never,
    }),
    deadlines: t.field({
      type: [DeviationDeadline],
      description: 'Investigation, CAPA and closure due dates (none when the agreement sets none).',
      select: { dueDates: true, deadlineWarnings: true },
      resolve: (d) => deviationDeadlines(d),
    }),
    ageDays: t.float({
      description: 'Days from detection to closure, or to now while open.',
      resolve: (d) =>
        Math.round(
          (((d.closedAt ?? new Date()).getTime() - d.detectedAt.getTime()) / DAY_MS) * 10,
        ) / 10,
    }),
    investigationSummary: t.exposeString('investigationSummary', { nullable: true }),
    rootCause: t.exposeString('rootCause', { nullable: true }),
    rootCauseCategory: t.exposeString('rootCauseCategory', { nullable: true }),
    capaId: t.exposeString('capaId', { nullable: true }),
    viewerCan: t.field({
      type: DeviationActs,
      description: 'What you could sign on this deviation now, as the domain decides it.',
      extensions: { cost: FIELD_COSTS.storeRead },
      select: { capaId: true },
      resolve: async (d, _args, context) => {
        const [approveCapa, approveClosure] = await context.acts.allowed(context.caller, [
          { kind: 'approve-capa', deviationId: d.id, capaId: d.capaId ?? '' },
          { kind: 'approve-deviation-closure', deviationId: d.id },
        ]);
        return { approveCapa: approveCapa! && d.capaId !== null, approveClosure: approveClosure! };
      },
    }),
    capaStatus: t.exposeString('capaStatus'),
    capaActions: t.field({
      type: [CapaAction],
      select: { capaActions: true },
      resolve: (d) =>
        (d.capaActions ?? []) as { description: string; owner: string; dueDate: string }[],
    }),
    capaApprovalSignature: t.field({
      type: SignatureManifestation,
      nullable: true,
      select: { capaApprovalSignature: true },
      resolve: (d) => asSignature(d.capaApprovalSignature),
    }),
    closureApprovalSignature: t.field({
      type: SignatureManifestation,
      nullable: true,
      select: { closureApprovalSignature: true },
      resolve: (d) => asSignature(d.closureApprovalSignature),
    }),
    closedAt: t.field({ type: 'DateTime', nullable: true, resolve: (d) => d.closedAt }),
    conclusion: t.exposeString('conclusion', { nullable: true }),
    closingSignature: t.field({
      type: SignatureManifestation,
      nullable: true,
      select: { closingSignature: true },
      resolve: (d) => asSignature(d.closingSignature),
    }),
    batchLinks: t.relation('batchLinks'),
    timeline: t.relatedConnection('timeline', {
      cursor: 'eventId',
      query: { orderBy: { position: 'asc' } },
      totalCount: true,
    }),
  }),
});

const DeviationFilter = builder.inputType('DeviationFilter', {
  fields: (t) => ({
    status: t.field({ type: [DeviationStatus], required: false }),
    severity: t.field({ type: [Severity], required: false }),
    open: t.boolean({ required: false }),
    notifiedLate: t.boolean({ required: false }),
    deadlineStatus: t.field({
      type: [DeadlineStatus],
      required: false,
      description:
        'Only deviations standing so against their due dates (e.g. [DUE_SOON, OVERDUE]).',
    }),
    productId: t.id({ required: false }),
    partnerId: t.id({ required: false }),
    batchId: t.id({ required: false, description: 'Only deviations linked to this batch.' }),
    reported: t.field({ type: DateRange, required: false }),
  }),
});

const DeviationOrderField = builder.enumType('DeviationOrderField', {
  values: {
    REPORTED_AT: { value: 'reportedAt' },
    DETECTED_AT: { value: 'detectedAt' },
    LAST_CHANGED_AT: { value: 'lastChangedAt' },
    SEVERITY: { value: 'severity' },
  } as const,
});

const DeviationOrder = builder.inputType('DeviationOrder', {
  fields: (t) => ({
    field: t.field({ type: DeviationOrderField, required: true }),
    direction: t.field({ type: SortDirection, required: false, defaultValue: 'desc' }),
  }),
});

function deviationWhere(filter: typeof DeviationFilter.$inferInput | null | undefined) {
  if (!filter) return {};
  return {
    ...(filter.status?.length ? { status: { in: filter.status as string[] } } : {}),
    ...(filter.severity?.length ? { severity: { in: filter.severity as string[] } } : {}),
    ...(typeof filter.open === 'boolean'
      ? { status: filter.open ? { not: 'closed' } : 'closed' }
      : {}),
    ...(typeof filter.notifiedLate === 'boolean' ? { notifiedLate: filter.notifiedLate } : {}),
    ...(filter.deadlineStatus?.length
      ? { deadlineStatus: { in: filter.deadlineStatus as string[] } }
      : {}),
    ...(filter.productId ? { productId: String(filter.productId) } : {}),
    ...(filter.partnerId
      ? { OR: [{ sponsorId: String(filter.partnerId) }, { cdmoId: String(filter.partnerId) }] }
      : {}),
    ...(filter.batchId ? { batchLinks: { some: { batchId: String(filter.batchId) } } } : {}),
    ...(filter.reported ? { reportedAt: dateWhere(filter.reported) } : {}),
  };
}

type PartnershipDeadlinesShape = {
  sponsorId: string;
  cdmoId: string;
  dueSoon: number;
  overdue: number;
  escalated: number;
};

const PartnershipDeadlines = builder
  .objectRef<PartnershipDeadlinesShape>('PartnershipDeadlines')
  .implement({
    description: "Deviations with a due date near or passed, in one of the caller's partnerships.",
    fields: (t) => ({
      sponsorId: t.exposeID('sponsorId'),
      cdmoId: t.exposeID('cdmoId'),
      dueSoon: t.exposeInt('dueSoon'),
      overdue: t.exposeInt('overdue'),
      escalated: t.exposeInt('escalated', {
        description: 'Of the overdue, the critical ones (escalated to the sponsor).',
      }),
    }),
  });

builder.queryFields((t) => ({
  deadlineCounts: t.field({
    type: [PartnershipDeadlines],
    authScopes: { member: true },
    description:
      'Per partnership of the caller, how many deviations have a due date near (due soon) or passed (overdue); partnerships with neither are left out.',
    resolve: async (_root, _args, context) => {
      const rows = await context.db.deviation.groupBy({
        by: ['sponsorId', 'cdmoId', 'deadlineStatus', 'severity'],
        where: { AND: [partyOf(context), { deadlineStatus: { in: ['due-soon', 'overdue'] } }] },
        _count: { _all: true },
      });
      const byPartnership = new Map<string, PartnershipDeadlinesShape>();
      for (const row of rows) {
        const key = `${row.sponsorId}\u0000${row.cdmoId}`;
        const counts = byPartnership.get(key) ?? {
          sponsorId: row.sponsorId,
          cdmoId: row.cdmoId,
          dueSoon: 0,
          overdue: 0,
          escalated: 0,
        };
        const n = row._count._all;
        if (row.deadlineStatus === 'due-soon') counts.dueSoon += n;
        else counts.overdue += n;
        if (row.deadlineStatus === 'overdue' && row.severity === 'critical') counts.escalated += n;
        byPartnership.set(key, counts);
      }
      return [...byPartnership.values()].sort(
        (a, b) => a.sponsorId.localeCompare(b.sponsorId) || a.cdmoId.localeCompare(b.cdmoId),
      );
    },
  }),
  deviations: t.prismaConnection({
    type: 'Deviation',
    cursor: 'id',
    authScopes: { member: true },
    args: {
      filter: t.arg({ type: DeviationFilter, required: false }),
      orderBy: t.arg({ type: DeviationOrder, required: false }),
    },
    totalCount: (_connection, args, context) =>
      context.db.deviation.count({
        where: { AND: [partyOf(context), deviationWhere(args.filter)] },
      }),
    resolve: (query, _root, args, context) =>
      context.db.deviation.findMany({
        ...query,
        where: { AND: [partyOf(context), deviationWhere(args.filter)] },
        orderBy: [
          { [args.orderBy?.field ?? 'reportedAt']: args.orderBy?.direction ?? 'desc' },
          { id: 'asc' },
        ],
      }),
  }),
  deviation: t.prismaField({
    type: 'Deviation',
    nullable: true,
    authScopes: { member: true },
    args: { id: t.arg.id({ required: true }) },
    resolve: (query, _root, args, context) =>
      context.db.deviation.findFirst({
        ...query,
        where: { id: String(args.id), ...partyOf(context) },
      }),
  }),
}));
