// Shared test data for the domain's specs: the reference world's first partnership (sponsor,
// CDMO, agreement, product; @concord/contract/world, the demo's and the other tests' too), one
// batch, one deviation. The agreement's split of responsibilities is the specs' own.
import {
  CALDERA,
  HELVION,
  NORTHBRIDGE,
  WORLD_PARTNERSHIPS,
  worldPerson,
} from '@concord/contract/world';
import type { BatchCommandOf, BatchCommandType } from '../batch/batch-command.ts';
import type { DeviationCommandOf, DeviationCommandType } from '../deviation/deviation-command.ts';
import type { AgreementVersion, Responsibility } from '../events/agreement-events.ts';
import type { BatchEvent } from '../events/batch-events.ts';
import type { DeviationEvent } from '../events/deviation-events.ts';
import type { EventMetadata } from '../events/event.ts';
import type { Actor, CommandMetadata } from '../shared/command.ts';
import type {
  ElectronicSignature,
  Id,
  Instant,
  Role,
  SignatureMeaning,
} from '../shared/vocabulary.ts';

const partnership = WORLD_PARTNERSHIPS[0]!;
export const SPONSOR = HELVION;
export const CDMO = NORTHBRIDGE;
export const OTHER_CDMO = CALDERA;
export const PRODUCT = partnership.product.productId;
export const AGREEMENT = partnership.agreementId;
export const BATCH = `${CDMO}:b-1`;
export const DEVIATION = `${CDMO}:dev-1`;

const T0 = Date.parse('2026-03-01T08:00:00Z');

/** An instant `minutes` after the fixtures' epoch. */
export function at(minutes: number): Instant {
  return new Date(T0 + minutes * 60_000).toISOString();
}

/** The world's person holding `role` at an organization, acting in `roles`. */
const actor = (organizationId: string, role: Role, roles: readonly Role[] = [role]) => ({
  personId: worldPerson(organizationId, role).personId,
  organizationId,
  roles: [...roles],
});

export const people = {
  cdmoProduction: actor(CDMO, 'production'),
  cdmoQa: actor(CDMO, 'qa'),
  cdmoQc: actor(CDMO, 'qc', ['qc', 'analyst']),
  cdmoQp: actor(CDMO, 'qp'),
  sponsorQa: actor(SPONSOR, 'qa'),
  sponsorQp: actor(SPONSOR, 'qp', ['qp', 'qa']),
  otherCdmoProduction: actor(OTHER_CDMO, 'production'),
} satisfies Record<string, Actor>;

/** The usual split: the CDMO executes, records and tests; the sponsor disposes, certifies, approves. */
export const responsibilities: Responsibility[] = [
  { activity: 'batch-scheduling', performedBy: 'cdmo' },
  { activity: 'manufacturing', performedBy: 'cdmo' },
  { activity: 'batch-record-review', performedBy: 'cdmo' },
  { activity: 'qc-testing', performedBy: 'cdmo' },
  { activity: 'coa-issuance', performedBy: 'cdmo' },
  { activity: 'qa-disposition', performedBy: 'sponsor' },
  { activity: 'qp-certification', performedBy: 'sponsor' },
  { activity: 'shipping', performedBy: 'cdmo' },
  { activity: 'deviation-reporting', performedBy: 'cdmo' },
  { activity: 'deviation-investigation', performedBy: 'cdmo' },
  { activity: 'capa', performedBy: 'cdmo' },
  { activity: 'deviation-approval', performedBy: 'sponsor' },
];

export function signature(
  actor: Actor,
  meaning: SignatureMeaning,
  signedAt: Instant,
): ElectronicSignature {
  return {
    signerId: actor.personId,
    printedName: `Printed ${actor.personId}`,
    signedAt,
    meaning,
    reason: `Signed as ${meaning}`,
  };
}

export const agreementV1: AgreementVersion = {
  agreementId: AGREEMENT,
  version: 1,
  sponsorId: SPONSOR,
  cdmoId: CDMO,
  products: [{ productId: PRODUCT, name: partnership.product.name }],
  responsibilities,
  notificationDeadlinesHours: { critical: 24, major: 72, minor: 720 },
  effectiveFrom: at(-60 * 24 * 30),
  signatures: [
    signature(people.sponsorQa, 'approval', at(-60 * 24 * 31)),
    signature(people.cdmoQa, 'approval', at(-60 * 24 * 31)),
  ],
};

export function commandMetadata(actor: Actor, occurredAt: Instant, eventId: Id): CommandMetadata {
  return { eventId, actor, occurredAt, recordedAt: occurredAt };
}

export type CommandOptions = {
  at?: Instant;
  eventId?: Id;
  agreement?: AgreementVersion | undefined;
  recordedAt?: Instant;
};

export function batchCommand<Type extends BatchCommandType>(
  type: Type,
  data: BatchCommandOf<Type>['data'],
  actor: Actor,
  options: CommandOptions = {},
): BatchCommandOf<Type> {
  const occurredAt = options.at ?? at(0);
  const metadata = commandMetadata(actor, occurredAt, options.eventId ?? 'cmd-1');
  if (options.recordedAt !== undefined) metadata.recordedAt = options.recordedAt;
  const agreement = 'agreement' in options ? options.agreement : agreementV1;
  return {
    type,
    data,
    metadata,
    context: agreement === undefined ? {} : { agreement },
  } as BatchCommandOf<Type>;
}

export function deviationCommand<Type extends DeviationCommandType>(
  type: Type,
  data: DeviationCommandOf<Type>['data'],
  actor: Actor,
  options: CommandOptions & {
    linkedBatches?: DeviationCommandOf<Type>['context']['linkedBatches'];
  } = {},
): DeviationCommandOf<Type> {
  const occurredAt = options.at ?? at(0);
  const metadata = commandMetadata(actor, occurredAt, options.eventId ?? 'cmd-1');
  if (options.recordedAt !== undefined) metadata.recordedAt = options.recordedAt;
  const agreement = 'agreement' in options ? options.agreement : agreementV1;
  const context: Record<string, unknown> = {};
  if (agreement !== undefined) context['agreement'] = agreement;
  if (options.linkedBatches !== undefined) context['linkedBatches'] = options.linkedBatches;
  return { type, data, metadata, context } as DeviationCommandOf<Type>;
}

function recordedMetadata(id: Id, actor: Actor, time: Instant): EventMetadata {
  return { id, time, recordedtime: time, actorid: actor.personId, actororg: actor.organizationId };
}

/** A recorded batch event, as the store would hand it to evolve. */
export function batchEvent<Type extends BatchEvent['type']>(
  type: Type,
  data: Extract<BatchEvent, { type: Type }>['data'],
  id: Id,
  actor: Actor = people.cdmoProduction,
): Extract<BatchEvent, { type: Type }> {
  return { type, data, metadata: recordedMetadata(id, actor, at(0)) } as Extract<
    BatchEvent,
    { type: Type }
  >;
}

export function deviationEvent<Type extends DeviationEvent['type']>(
  type: Type,
  data: Extract<DeviationEvent, { type: Type }>['data'],
  id: Id,
  actor: Actor = people.cdmoQa,
): Extract<DeviationEvent, { type: Type }> {
  return { type, data, metadata: recordedMetadata(id, actor, at(0)) } as Extract<
    DeviationEvent,
    { type: Type }
  >;
}

// The batch's life, event by event.
export const batch = {
  scheduled: batchEvent(
    'concord.batch.scheduled.v1',
    {
      batchId: BATCH,
      batchNumber: 'L-0001',
      productId: PRODUCT,
      agreementId: AGREEMENT,
      sponsorId: SPONSOR,
      cdmoId: CDMO,
      site: 'Basel',
      plannedQuantity: { value: 200, unit: 'L' },
      plannedStart: at(60),
    },
    'e-scheduled',
  ),
  started: batchEvent(
    'concord.batch.manufacturing-started.v1',
    { batchId: BATCH, startedAt: at(60) },
    'e-started',
  ),
  held: batchEvent(
    'concord.batch.manufacturing-held.v1',
    { batchId: BATCH, heldAt: at(90), reason: 'Pressure alarm' },
    'e-held',
  ),
  completed: batchEvent(
    'concord.batch.manufacturing-completed.v1',
    { batchId: BATCH, completedAt: at(600), actualQuantity: { value: 198, unit: 'L' } },
    'e-completed',
  ),
  reviewed: batchEvent(
    'concord.batch.record-reviewed.v1',
    {
      batchId: BATCH,
      outcome: 'approved',
      signature: signature(people.cdmoQa, 'review', at(700)),
    },
    'e-reviewed',
    people.cdmoQa,
  ),
  qcPassed: batchEvent(
    'concord.batch.qc-result-recorded.v1',
    {
      batchId: BATCH,
      resultId: 'r-assay',
      test: 'Assay',
      specification: { lower: 95, upper: 105, unit: '%' },
      value: 99.1,
      unit: '%',
      testedAt: at(800),
    },
    'e-qc-assay',
    people.cdmoQc,
  ),
  qcFailed: batchEvent(
    'concord.batch.qc-result-recorded.v1',
    {
      batchId: BATCH,
      resultId: 'r-endotoxin',
      test: 'Endotoxin',
      specification: { upper: 0.5, unit: 'EU/mL' },
      value: 0.9,
      unit: 'EU/mL',
      testedAt: at(810),
    },
    'e-qc-endotoxin',
    people.cdmoQc,
  ),
  oosOpened: batchEvent(
    'concord.batch.oos-investigation-opened.v1',
    {
      batchId: BATCH,
      resultId: 'r-endotoxin',
      investigationId: 'oos-r-endotoxin',
      openedAt: at(810),
    },
    'e-qc-endotoxin:oos',
    people.cdmoQc,
  ),
  oosInvalidated: batchEvent(
    'concord.batch.oos-resolved.v1',
    {
      batchId: BATCH,
      investigationId: 'oos-r-endotoxin',
      outcome: 'invalidated',
      rootCause: 'Sample contaminated in the laboratory',
      signature: signature(people.cdmoQa, 'approval', at(900)),
    },
    'e-oos-invalidated',
    people.cdmoQa,
  ),
  oosConfirmed: batchEvent(
    'concord.batch.oos-resolved.v1',
    {
      batchId: BATCH,
      investigationId: 'oos-r-endotoxin',
      outcome: 'confirmed',
      rootCause: 'Contaminated buffer',
      signature: signature(people.cdmoQa, 'approval', at(900)),
    },
    'e-oos-confirmed',
    people.cdmoQa,
  ),
  coaIssued: batchEvent(
    'concord.batch.coa-issued.v1',
    {
      batchId: BATCH,
      coaId: 'coa-1',
      issuedAt: at(1000),
      signature: signature(people.cdmoQa, 'approval', at(1000)),
    },
    'e-coa',
    people.cdmoQa,
  ),
  released: batchEvent(
    'concord.batch.disposition-recorded.v1',
    {
      batchId: BATCH,
      decision: 'released',
      signature: signature(people.sponsorQa, 'approval', at(1100)),
    },
    'e-released',
    people.sponsorQa,
  ),
  quarantined: batchEvent(
    'concord.batch.disposition-recorded.v1',
    {
      batchId: BATCH,
      decision: 'quarantined',
      signature: signature(people.sponsorQa, 'approval', at(1100)),
    },
    'e-quarantined',
    people.sponsorQa,
  ),
  conditionallyReleased: batchEvent(
    'concord.batch.disposition-recorded.v1',
    {
      batchId: BATCH,
      decision: 'conditionally-released',
      conditions: 'Stability data at 3 months',
      signature: signature(people.sponsorQa, 'approval', at(1100)),
    },
    'e-cond-released',
    people.sponsorQa,
  ),
  certified: batchEvent(
    'concord.batch.qp-certified.v1',
    {
      batchId: BATCH,
      registerEntryId: 'reg-1',
      certifiedAt: at(1200),
      signature: signature(people.sponsorQp, 'responsibility', at(1200)),
    },
    'e-certified',
    people.sponsorQp,
  ),
  shipped: batchEvent(
    'concord.batch.shipped.v1',
    {
      batchId: BATCH,
      shipmentId: 'ship-1',
      shippedAt: at(1300),
      destination: 'Sponsor DC Frankfurt',
      quantity: { value: 198, unit: 'L' },
    },
    'e-shipped',
  ),
  aborted: batchEvent(
    'concord.batch.manufacturing-aborted.v1',
    { batchId: BATCH, abortedAt: at(100), reason: 'Bioreactor failure' },
    'e-aborted',
  ),
  majorDeviationLinked: batchEvent(
    'concord.batch.deviation-linked.v1',
    { batchId: BATCH, deviationId: DEVIATION, severity: 'major' },
    'e-dev-linked',
  ),
  minorDeviationLinked: batchEvent(
    'concord.batch.deviation-linked.v1',
    { batchId: BATCH, deviationId: DEVIATION, severity: 'minor' },
    'e-dev-linked-minor',
  ),
  deviationLinkClosed: batchEvent(
    'concord.batch.deviation-link-closed.v1',
    { batchId: BATCH, deviationId: DEVIATION },
    'e-dev-link-closed',
  ),
};

/** The events that bring the batch to a status along the happy path. */
export const batchHistory = {
  scheduled: [batch.scheduled],
  inManufacture: [batch.scheduled, batch.started],
  held: [batch.scheduled, batch.started, batch.held],
  aborted: [batch.scheduled, batch.started, batch.aborted],
  manufacturingComplete: [batch.scheduled, batch.started, batch.completed],
  recordReviewed: [batch.scheduled, batch.started, batch.completed, batch.reviewed],
  qcTesting: [batch.scheduled, batch.started, batch.completed, batch.reviewed, batch.qcPassed],
  coaIssued: [
    batch.scheduled,
    batch.started,
    batch.completed,
    batch.reviewed,
    batch.qcPassed,
    batch.coaIssued,
  ],
  released: [
    batch.scheduled,
    batch.started,
    batch.completed,
    batch.reviewed,
    batch.qcPassed,
    batch.coaIssued,
    batch.released,
  ],
  certified: [
    batch.scheduled,
    batch.started,
    batch.completed,
    batch.reviewed,
    batch.qcPassed,
    batch.coaIssued,
    batch.released,
    batch.certified,
  ],
  shipped: [
    batch.scheduled,
    batch.started,
    batch.completed,
    batch.reviewed,
    batch.qcPassed,
    batch.coaIssued,
    batch.released,
    batch.certified,
    batch.shipped,
  ],
} satisfies Record<string, BatchEvent[]>;

/** The parties of the fixture batch, as the deviation decider's context carries them. */
export const linkedBatches = {
  [BATCH]: { agreementId: AGREEMENT, productId: PRODUCT, sponsorId: SPONSOR, cdmoId: CDMO },
};

// The deviation's life, event by event (a major deviation on the fixture batch).
export const deviation = {
  reported: deviationEvent(
    'concord.deviation.reported.v1',
    {
      deviationId: DEVIATION,
      title: 'Temperature excursion in cold room',
      description: 'Cold room 3 reached 12 °C for 40 minutes',
      category: 'equipment',
      severity: 'major',
      productId: PRODUCT,
      agreementId: AGREEMENT,
      linkedBatchIds: [BATCH],
      detectedAt: at(0),
    },
    'd-reported',
  ),
  classified: deviationEvent(
    'concord.deviation.classified.v1',
    {
      deviationId: DEVIATION,
      severity: 'major',
      category: 'equipment',
      rationale: 'Product impact possible',
    },
    'd-classified',
  ),
  investigating: deviationEvent(
    'concord.deviation.investigation-updated.v1',
    { deviationId: DEVIATION, summary: 'Logger data pulled' },
    'd-investigation',
  ),
  rootCause: deviationEvent(
    'concord.deviation.root-cause-identified.v1',
    { deviationId: DEVIATION, rootCause: 'Door sensor failure', rootCauseCategory: 'equipment' },
    'd-root-cause',
  ),
  impactAssessed: deviationEvent(
    'concord.deviation.batch-impact-assessed.v1',
    {
      deviationId: DEVIATION,
      assessments: [{ batchId: BATCH, impact: 'minor', conclusion: 'Within stability data' }],
    },
    'd-impact',
  ),
  capaProposed: deviationEvent(
    'concord.deviation.capa-proposed.v1',
    {
      deviationId: DEVIATION,
      capaId: 'capa-1',
      actions: [
        { description: 'Replace door sensor', owner: 'Engineering', dueDate: '2026-04-01' },
      ],
    },
    'd-capa-proposed',
  ),
  capaApproved: deviationEvent(
    'concord.deviation.capa-approved.v1',
    {
      deviationId: DEVIATION,
      capaId: 'capa-1',
      signature: signature(people.sponsorQa, 'approval', at(0)),
    },
    'd-capa-approved',
    people.sponsorQa,
  ),
  closureApproved: deviationEvent(
    'concord.deviation.closure-approved.v1',
    { deviationId: DEVIATION, signature: signature(people.sponsorQa, 'approval', at(0)) },
    'd-closure-approved',
    people.sponsorQa,
  ),
  closed: deviationEvent(
    'concord.deviation.closed.v1',
    {
      deviationId: DEVIATION,
      conclusion: 'No impact',
      signature: signature(people.cdmoQa, 'approval', at(0)),
    },
    'd-closed',
  ),
};

const d = deviation;
/** The events that bring the (major) deviation to a status. */
export const deviationHistory = {
  reported: [d.reported],
  classified: [d.reported, d.classified],
  underInvestigation: [d.reported, d.classified, d.investigating],
  rootCauseIdentified: [d.reported, d.classified, d.investigating, d.rootCause],
  impactAssessed: [d.reported, d.classified, d.investigating, d.rootCause, d.impactAssessed],
  capaProposed: [
    d.reported,
    d.classified,
    d.investigating,
    d.rootCause,
    d.impactAssessed,
    d.capaProposed,
  ],
  capaApproved: [
    d.reported,
    d.classified,
    d.investigating,
    d.rootCause,
    d.impactAssessed,
    d.capaProposed,
    d.capaApproved,
  ],
  closureApproved: [
    d.reported,
    d.classified,
    d.investigating,
    d.rootCause,
    d.impactAssessed,
    d.capaProposed,
    d.capaApproved,
    d.closureApproved,
  ],
  closed: [
    d.reported,
    d.classified,
    d.investigating,
    d.rootCause,
    d.impactAssessed,
    d.capaProposed,
    d.capaApproved,
    d.closureApproved,
    d.closed,
  ],
} satisfies Record<string, DeviationEvent[]>;

/** The same history with the deviation minor from the start. */
export function asMinor(events: readonly DeviationEvent[]): DeviationEvent[] {
  return events.map((event) =>
    event.type === 'concord.deviation.reported.v1' ||
    event.type === 'concord.deviation.classified.v1'
      ? ({ ...event, data: { ...event.data, severity: 'minor' } } as DeviationEvent)
      : event,
  );
}

/** The fixture agreement with one activity handed to the other party. */
export function agreementWith(
  activity: Responsibility['activity'],
  performedBy: Responsibility['performedBy'],
): AgreementVersion {
  return {
    ...agreementV1,
    responsibilities: agreementV1.responsibilities.map((r) =>
      r.activity === activity ? { ...r, performedBy } : r,
    ),
  };
}
