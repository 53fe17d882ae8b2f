import {
  batchStateAsOf,
  deviationStateAsOf,
  type BatchAsOf,
  type BatchFactsAsOf,
  type CapaAsOf,
  type DeviationAsOf,
  type DeviationFactsAsOf,
  type QcResultAsOf,
  type SignedAct,
} from '@concord/audit';
import { builder } from '../builder.ts';
import { FIELD_COSTS } from '../cost-limit.ts';
import { CapaAction } from './deviation.ts';
import {
  asSignature,
  BatchStatus,
  DeviationStatus,
  Quantity,
  Severity,
  SignatureManifestation,
} from './shared.ts';

// A record as it stood at an instant, typed field by field: the same facts the audit report shows
// (libs/audit's foldBatchAsOf / foldDeviationAsOf), rebuilt from the events by the domain.

export const Timeline = builder.enumType('AuditTimeline', {
  description: 'Which clock an "as of" instant is read on.',
  values: {
    OCCURRED: { value: 'occurred', description: 'When it happened, as the acting party states.' },
    RECORDED: { value: 'recorded', description: 'When Concord recorded it.' },
  } as const,
});

const instant = (value: string | null) => (value === null ? null : new Date(value));

/** The fields every signed act shares, as it stood. */
const SignedActRef = builder.interfaceRef<SignedAct>('AuditSignedAct').implement({
  description: 'An act someone performed (and signed electronically, where the act requires it).',
  fields: (t) => ({
    eventId: t.exposeID('eventId'),
    occurredAt: t.field({ type: 'DateTime', resolve: (a) => new Date(a.occurredAt) }),
    recordedAt: t.field({ type: 'DateTime', resolve: (a) => new Date(a.recordedAt) }),
    signature: t.field({
      type: SignatureManifestation,
      nullable: true,
      resolve: (a) => asSignature(a.signature),
    }),
  }),
});

type Coa = NonNullable<BatchFactsAsOf['coa']>;
type Disposition = NonNullable<BatchFactsAsOf['disposition']>;
type Certification = NonNullable<BatchFactsAsOf['certification']>;
type Closure = NonNullable<DeviationFactsAsOf['closure']>;

const CoaAsOf = builder.objectRef<Coa>('AuditCoaAsOf').implement({
  interfaces: [SignedActRef],
  fields: (t) => ({
    coaId: t.exposeID('coaId'),
    issuedAt: t.field({ type: 'DateTime', nullable: true, resolve: (c) => instant(c.issuedAt) }),
  }),
});

const DispositionAsOf = builder.objectRef<Disposition>('AuditDispositionAsOf').implement({
  interfaces: [SignedActRef],
  fields: (t) => ({
    decision: t.exposeString('decision'),
    conditions: t.exposeString('conditions', { nullable: true }),
  }),
});

const CertificationAsOf = builder.objectRef<Certification>('AuditCertificationAsOf').implement({
  interfaces: [SignedActRef],
  fields: (t) => ({
    registerEntryId: t.exposeID('registerEntryId'),
    certifiedAt: t.field({
      type: 'DateTime',
      nullable: true,
      resolve: (c) => instant(c.certifiedAt),
    }),
  }),
});

/** A plain signed act (an approval), with nothing of its own beyond the signature. */
const ApprovalAsOf = builder.objectRef<SignedAct>('AuditApprovalAsOf').implement({
  interfaces: [SignedActRef],
  fields: () => ({}),
});

const ClosureAsOf = builder.objectRef<Closure>('AuditClosureAsOf').implement({
  interfaces: [SignedActRef],
  fields: (t) => ({ conclusion: t.exposeString('conclusion', { nullable: true }) }),
});

const ChangedSinceFirstEntry = builder
  .objectRef<QcResultAsOf['changedSinceFirstEntry'][number]>('AuditFirstEntry')
  .implement({
    description: 'A value a correction had changed by then, with what was first entered.',
    fields: (t) => ({
      path: t.exposeString('path', { description: 'A JSON pointer into the event data.' }),
      firstEntered: t.field({
        type: 'JSON',
        nullable: true,
        resolve: (c) => c.firstEntered ?? null,
      }),
    }),
  });

const QcResultAsOfRef = builder.objectRef<QcResultAsOf>('AuditQcResultAsOf').implement({
  fields: (t) => ({
    resultId: t.exposeID('resultId'),
    eventId: t.exposeID('eventId'),
    test: t.exposeString('test'),
    method: t.exposeString('method', { nullable: true }),
    value: t.exposeFloat('value'),
    unit: t.exposeString('unit'),
    specificationLower: t.float({ nullable: true, resolve: (r) => r.specification.lower ?? null }),
    specificationUpper: t.float({ nullable: true, resolve: (r) => r.specification.upper ?? null }),
    specificationUnit: t.string({ resolve: (r) => r.specification.unit }),
    withinSpecification: t.exposeBoolean('withinSpecification'),
    testedAt: t.field({ type: 'DateTime', nullable: true, resolve: (r) => instant(r.testedAt) }),
    changedSinceFirstEntry: t.field({
      type: [ChangedSinceFirstEntry],
      resolve: (r) => r.changedSinceFirstEntry,
    }),
  }),
});

const OosInvestigationAsOf = builder
  .objectRef<{ investigationId: string; status: string }>('AuditOosInvestigationAsOf')
  .implement({
    fields: (t) => ({
      investigationId: t.exposeID('investigationId'),
      status: t.exposeString('status', { description: 'open, invalidated or confirmed.' }),
    }),
  });

const OpenDeviationAsOf = builder
  .objectRef<{
    deviationId: string;
    severity: BatchFactsAsOf['openDeviations'][string];
  }>('AuditOpenDeviationAsOf')
  .implement({
    fields: (t) => ({
      deviationId: t.exposeID('deviationId'),
      severity: t.field({ type: Severity, resolve: (d) => d.severity }),
    }),
  });

const ShipmentAsOf = builder
  .objectRef<NonNullable<BatchFactsAsOf['shipment']>>('AuditShipmentAsOf')
  .implement({
    fields: (t) => ({
      shipmentId: t.exposeID('shipmentId'),
      shippedAt: t.field({
        type: 'DateTime',
        nullable: true,
        resolve: (s) => instant(s.shippedAt),
      }),
      destination: t.field({ type: 'JSON', resolve: (s) => s.destination }),
    }),
  });

const BatchFactsAsOfRef = builder.objectRef<BatchFactsAsOf>('AuditBatchFacts').implement({
  description: 'What a person asks of a batch at an instant.',
  fields: (t) => ({
    batchId: t.exposeID('batchId'),
    batchNumber: t.exposeString('batchNumber'),
    status: t.field({ type: BatchStatus, resolve: (f) => f.status }),
    productId: t.exposeID('productId'),
    agreementId: t.exposeID('agreementId'),
    sponsorId: t.exposeID('sponsorId'),
    cdmoId: t.exposeID('cdmoId'),
    site: t.exposeString('site', { nullable: true }),
    plannedQuantity: t.field({ type: Quantity, nullable: true, resolve: (f) => f.plannedQuantity }),
    actualQuantity: t.field({ type: Quantity, nullable: true, resolve: (f) => f.actualQuantity }),
    qcResults: t.field({ type: [QcResultAsOfRef], resolve: (f) => f.qcResults }),
    oosInvestigations: t.field({
      type: [OosInvestigationAsOf],
      resolve: (f) =>
        Object.entries(f.oosInvestigations).map(([investigationId, status]) => ({
          investigationId,
          status,
        })),
    }),
    openDeviations: t.field({
      type: [OpenDeviationAsOf],
      description: 'Linked deviations still open, with their severity then.',
      resolve: (f) =>
        Object.entries(f.openDeviations).map(([deviationId, severity]) => ({
          deviationId,
          severity,
        })),
    }),
    linkedDeviationIds: t.exposeIDList('linkedDeviationIds'),
    coa: t.field({ type: CoaAsOf, nullable: true, resolve: (f) => f.coa }),
    disposition: t.field({ type: DispositionAsOf, nullable: true, resolve: (f) => f.disposition }),
    certification: t.field({
      type: CertificationAsOf,
      nullable: true,
      resolve: (f) => f.certification,
    }),
    shipment: t.field({ type: ShipmentAsOf, nullable: true, resolve: (f) => f.shipment }),
  }),
});

const CapaAsOfRef = builder.objectRef<CapaAsOf>('AuditCapaAsOf').implement({
  fields: (t) => ({
    capaId: t.exposeID('capaId'),
    proposedEventId: t.exposeID('proposedEventId'),
    actions: t.field({ type: [CapaAction], resolve: (c) => c.actions }),
    approval: t.field({ type: ApprovalAsOf, nullable: true, resolve: (c) => c.approval }),
  }),
});

const DeviationFactsAsOfRef = builder
  .objectRef<DeviationFactsAsOf>('AuditDeviationFacts')
  .implement({
    description: 'What a person asks of a deviation at an instant.',
    fields: (t) => ({
      deviationId: t.exposeID('deviationId'),
      status: t.field({ type: DeviationStatus, resolve: (f) => f.status }),
      severity: t.field({ type: Severity, resolve: (f) => f.severity }),
      title: t.exposeString('title', { nullable: true }),
      description: t.exposeString('description', { nullable: true }),
      category: t.exposeString('category', { nullable: true }),
      agreementId: t.exposeID('agreementId'),
      productId: t.exposeID('productId'),
      linkedBatchIds: t.exposeIDList('linkedBatchIds'),
      detectedAt: t.field({
        type: 'DateTime',
        nullable: true,
        resolve: (f) => instant(f.detectedAt),
      }),
      reportedAt: t.field({
        type: 'DateTime',
        nullable: true,
        resolve: (f) => instant(f.reportedAt),
      }),
      notificationDeadline: t.field({
        type: 'DateTime',
        nullable: true,
        resolve: (f) => instant(f.late?.deadline ?? null),
      }),
      lateByMinutes: t.int({ nullable: true, resolve: (f) => f.late?.lateByMinutes ?? null }),
      classificationRationale: t.string({
        nullable: true,
        resolve: (f) => f.classification?.rationale ?? null,
      }),
      investigation: t.exposeStringList('investigation', {
        description: 'The investigation notes recorded by then, oldest first.',
      }),
      rootCause: t.string({ nullable: true, resolve: (f) => f.rootCause?.rootCause ?? null }),
      rootCauseCategory: t.string({
        nullable: true,
        resolve: (f) => f.rootCause?.category ?? null,
      }),
      impactAssessments: t.field({
        type: [
          builder
            .objectRef<DeviationFactsAsOf['impactAssessments'][number]>('AuditImpactAsOf')
            .implement({
              fields: (a) => ({
                batchId: a.exposeID('batchId'),
                impact: a.exposeString('impact'),
                conclusion: a.exposeString('conclusion'),
              }),
            }),
        ],
        resolve: (f) => f.impactAssessments,
      }),
      capa: t.field({ type: CapaAsOfRef, nullable: true, resolve: (f) => f.capa }),
      closureApproval: t.field({
        type: ApprovalAsOf,
        nullable: true,
        resolve: (f) => f.closureApproval,
      }),
      closure: t.field({ type: ClosureAsOf, nullable: true, resolve: (f) => f.closure }),
    }),
  });

type Asked = { instant: string; timeline: 'occurred' | 'recorded' };

const AsOfRef = builder
  .interfaceRef<Asked & { eventsApplied: number; correctionsApplied: number }>('AuditAsOf')
  .implement({
    description:
      "A record as it stood at an instant, rebuilt from the events by the domain's own evolve (not read from the projection).",
    fields: (t) => ({
      instant: t.field({ type: 'DateTime', resolve: (a) => new Date(a.instant) }),
      timeline: t.field({ type: Timeline, resolve: (a) => a.timeline }),
      eventsApplied: t.exposeInt('eventsApplied', {
        description: 'The events that had counted by then.',
      }),
      correctionsApplied: t.exposeInt('correctionsApplied'),
    }),
  });

const BatchAsOfRef = builder.objectRef<Asked & BatchAsOf>('BatchAsOf').implement({
  interfaces: [AsOfRef],
  fields: (t) => ({
    status: t.field({
      type: BatchStatus,
      nullable: true,
      description: 'Null when the batch was not yet scheduled at that instant.',
      resolve: (a) => a.facts?.status ?? null,
    }),
    facts: t.field({ type: BatchFactsAsOfRef, nullable: true, resolve: (a) => a.facts }),
  }),
});

const DeviationAsOfRef = builder.objectRef<Asked & DeviationAsOf>('DeviationAsOf').implement({
  interfaces: [AsOfRef],
  fields: (t) => ({
    status: t.field({
      type: DeviationStatus,
      nullable: true,
      description: 'Null when the deviation was not yet reported at that instant.',
      resolve: (a) => a.facts?.status ?? null,
    }),
    facts: t.field({ type: DeviationFactsAsOfRef, nullable: true, resolve: (a) => a.facts }),
  }),
});

builder.prismaObjectFields('Batch', (t) => ({
  asOf: t.field({
    type: BatchAsOfRef,
    description: 'The batch as it stood at an instant, on the occurred or the recorded timeline.',
    extensions: { cost: FIELD_COSTS.storeRead },
    args: {
      at: t.arg({ type: 'DateTime', required: true }),
      timeline: t.arg({ type: Timeline, required: false, defaultValue: 'recorded' }),
    },
    resolve: async (batch, args, context) => {
      const asked = { instant: args.at.toISOString(), timeline: args.timeline ?? 'recorded' };
      return {
        ...(await batchStateAsOf(context.store, batch.id, asked.instant, asked.timeline)),
        ...asked,
      };
    },
  }),
}));

builder.prismaObjectFields('Deviation', (t) => ({
  asOf: t.field({
    type: DeviationAsOfRef,
    description:
      'The deviation as it stood at an instant, on the occurred or the recorded timeline.',
    extensions: { cost: FIELD_COSTS.storeRead },
    args: {
      at: t.arg({ type: 'DateTime', required: true }),
      timeline: t.arg({ type: Timeline, required: false, defaultValue: 'recorded' }),
    },
    resolve: async (deviation, args, context) => {
      const asked = { instant: args.at.toISOString(), timeline: args.timeline ?? 'recorded' };
      return {
        ...(await deviationStateAsOf(context.store, deviation.id, asked.instant, asked.timeline)),
        ...asked,
      };
    },
  }),
}));
