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

builder.prismaNode('Deviation', {
  id: { field: 'id' },
  nullable: true,
  fields: (t) => ({
    deviationId: t.exposeID('id'),
    title: t.exposeString('title'),
    description: t.exposeString('description'),
    category: t.exposeString('category'),
    severity: t.field({ type: Severity, resolve: (d) => d.severity as never }),
    status: t.field({ type: DeviationStatus, resolve: (d) => d.status as never }),
    open: t.boolean({ resolve: (d) => d.status !== 'closed' }),
    productId: t.exposeID('productId'),
    agreementId: t.exposeID('agreementId'),
    sponsorId: t.exposeID('sponsorId'),
    cdmoId: t.exposeID('cdmoId'),
    reportedByOrganizationId: t.exposeID('reportedByOrganizationId'),
    detectedAt: t.expose('detectedAt', { type: 'DateTime' }),
    reportedAt: t.expose('reportedAt', { type: 'DateTime' }),
    notificationDeadline: t.expose('notificationDeadline', { type: 'DateTime', nullable: true }),
    notifiedLate: t.exposeBoolean('notifiedLate', {
      description: 'Reported after the deadline the quality agreement sets for its severity.',
    }),
    lateByMinutes: t.exposeInt('lateByMinutes', { nullable: true }),
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
      resolve: (d) =>
        (d.capaActions ?? []) as { description: string; owner: string; dueDate: string }[],
    }),
    capaApprovalSignature: t.field({
      type: SignatureManifestation,
      nullable: true,
      resolve: (d) => asSignature(d.capaApprovalSignature),
    }),
    closureApprovalSignature: t.field({
      type: SignatureManifestation,
      nullable: true,
      resolve: (d) => asSignature(d.closureApprovalSignature),
    }),
    closedAt: t.expose('closedAt', { type: 'DateTime', nullable: true }),
    conclusion: t.exposeString('conclusion', { nullable: true }),
    closingSignature: t.field({
      type: SignatureManifestation,
      nullable: true,
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
    ...(filter.productId ? { productId: String(filter.productId) } : {}),
    ...(filter.partnerId
      ? { OR: [{ sponsorId: String(filter.partnerId) }, { cdmoId: String(filter.partnerId) }] }
      : {}),
    ...(filter.batchId ? { batchLinks: { some: { batchId: String(filter.batchId) } } } : {}),
    ...(filter.reported ? { reportedAt: dateWhere(filter.reported) } : {}),
  };
}

builder.queryFields((t) => ({
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
