// The GraphQL operations the dashboard sends, with the shapes of their answers (written out by
// hand against schemas/graphql/concord.graphql; the API's printed-schema test keeps that stable).
import { gql } from '@urql/core';

export type BatchStatus =
  | 'SCHEDULED'
  | 'IN_MANUFACTURE'
  | 'HELD'
  | 'ABORTED'
  | 'MANUFACTURING_COMPLETE'
  | 'RECORD_REVIEWED'
  | 'QC_TESTING'
  | 'COA_ISSUED'
  | 'DISPOSITIONED'
  | 'QP_CERTIFIED'
  | 'SHIPPED';
export type Severity = 'MINOR' | 'MAJOR' | 'CRITICAL';
export type DeviationStatus =
  | 'REPORTED'
  | 'CLASSIFIED'
  | 'UNDER_INVESTIGATION'
  | 'ROOT_CAUSE_IDENTIFIED'
  | 'IMPACT_ASSESSED'
  | 'CAPA_PROPOSED'
  | 'CAPA_APPROVED'
  | 'CLOSURE_APPROVED'
  | 'CLOSED';
export type BlockerKind =
  | 'CONFIRMED_OOS'
  | 'DISPOSITION_NOT_RELEASED'
  | 'MISSING_CERTIFICATION'
  | 'MISSING_COA'
  | 'MISSING_DISPOSITION'
  | 'OPEN_DEVIATION'
  | 'OPEN_OOS'
  | 'PENDING_SPONSOR_APPROVAL';

export interface Organization {
  organizationId: string;
  name: string;
  kind: string;
}

export interface Signature {
  printedName: string;
  meaning: string;
  reason: string;
  signedAt: string;
  signerId: string;
}

export interface Blocker {
  kind: BlockerKind;
  /** Stops release until resolved; the others are steps still to come. */
  blocksRelease: boolean;
  description: string;
  reference: string | null;
  severity: string | null;
  deviation: { deviationId: string; title: string } | null;
}

export interface BatchCard {
  id: string;
  batchId: string;
  batchNumber: string;
  status: BatchStatus;
  productId: string;
  productName: string | null;
  site: string;
  sponsorId: string;
  cdmoId: string;
  releaseReady: boolean;
  lastChangedAt: string;
  scheduledAt: string;
  blockers: Pick<Blocker, 'kind' | 'severity' | 'blocksRelease'>[];
}

const BATCH_CARD = `
  id batchId batchNumber status productId productName site sponsorId cdmoId releaseReady
  lastChangedAt scheduledAt blockers { kind severity blocksRelease }
`;

export interface Viewer {
  id: string;
  kind: string;
  roles: string[];
  organization: Organization | null;
}

export const ViewerQuery = gql<{ viewer: Viewer; partners: Organization[] }>`
  query Viewer {
    viewer {
      id
      kind
      roles
      organization {
        organizationId
        name
        kind
      }
    }
    partners {
      organizationId
      name
      kind
    }
  }
`;

export interface BatchFilterInput {
  productId?: string;
  partnerId?: string;
  site?: string;
  status?: BatchStatus[];
}

// Page sizes are literals: the API's cost limit (graphql-armor) multiplies by literal `first`.

/** One column of the board: the most recently changed batches in some statuses. */
export const BoardColumnQuery = gql<
  { batches: { totalCount: number; edges: { node: BatchCard }[] } },
  { filter: BatchFilterInput }
>`
  query BoardColumn($filter: BatchFilter) {
    batches(filter: $filter, first: 40, orderBy: { field: LAST_CHANGED_AT, direction: DESC }) {
      totalCount
      edges { node { ${BATCH_CARD} } }
    }
  }
`;

export interface BatchFacet {
  id: string;
  batchId: string;
  productId: string;
  productName: string | null;
  site: string;
  sponsorId: string;
  cdmoId: string;
}

/** What the filters offer and the trends count: products, sites and partners of all batches. */
export const FacetsQuery = gql<{
  batches: { totalCount: number; edges: { node: BatchFacet }[] };
  partners: Organization[];
}>`
  query Facets {
    batches(first: 100, orderBy: { field: LAST_CHANGED_AT, direction: DESC }) {
      totalCount
      edges {
        node {
          id
          batchId
          productId
          productName
          site
          sponsorId
          cdmoId
        }
      }
    }
    partners {
      organizationId
      name
      kind
    }
  }
`;

export const AuditBatchesQuery = gql<{
  batches: {
    totalCount: number;
    edges: {
      node: Pick<
        BatchCard,
        'id' | 'batchId' | 'batchNumber' | 'status' | 'productId' | 'productName' | 'lastChangedAt'
      >;
    }[];
  };
}>`
  query AuditBatches {
    batches(first: 50, orderBy: { field: LAST_CHANGED_AT, direction: DESC }) {
      totalCount
      edges {
        node {
          id
          batchId
          batchNumber
          status
          productId
          productName
          lastChangedAt
        }
      }
    }
  }
`;

export const BatchChanged = gql<{ batchChanged: BatchCard | null }>`
  subscription BatchChanged {
    batchChanged { ${BATCH_CARD} }
  }
`;

export const ReadinessChanged = gql<{ readinessChanged: { batchId: string } | null }>`
  subscription ReadinessChanged {
    readinessChanged {
      id
      batchId
    }
  }
`;

export const DeviationChanged = gql<{ deviationChanged: { deviationId: string } | null }>`
  subscription DeviationChanged {
    deviationChanged {
      id
      deviationId
      status
    }
  }
`;

export interface ReadinessBatch extends BatchCard {
  blockers: Blocker[];
}

export const ReadinessQuery = gql<{
  releaseReadiness: { totalCount: number; edges: { node: ReadinessBatch }[] };
}>`
  query Readiness {
    releaseReadiness(first: 30) {
      totalCount
      edges {
        node {
          id
          batchId
          batchNumber
          status
          productId
          productName
          site
          sponsorId
          cdmoId
          releaseReady
          lastChangedAt
          scheduledAt
          blockers {
            kind
            blocksRelease
            description
            reference
            severity
            deviation {
              id
              deviationId
              title
            }
          }
        }
      }
    }
  }
`;

export interface QcResult {
  resultId: string;
  test: string;
  method: string | null;
  value: number;
  unit: string;
  specificationLower: number | null;
  specificationUpper: number | null;
  specificationUnit: string;
  withinSpecification: boolean;
  corrected: boolean;
  testedAt: string;
}

export interface DeviationSummary {
  id: string;
  deviationId: string;
  title: string;
  severity: Severity;
  status: DeviationStatus;
  open: boolean;
  ageDays: number;
  notifiedLate: boolean;
  lateByMinutes: number | null;
  capaStatus: string;
}

export interface BatchDetail extends ReadinessBatch {
  plannedQuantity: { value: number; unit: string };
  actualQuantity: { value: number; unit: string } | null;
  agreementId: string;
  plannedStart: string;
  startedAt: string | null;
  completedAt: string | null;
  recordReviewedAt: string | null;
  coaId: string | null;
  coaIssuedAt: string | null;
  shippedAt: string | null;
  sponsor: Organization | null;
  cdmo: Organization | null;
  disposition: { decision: string; recordedAt: string | null; signature: Signature | null } | null;
  certification: {
    registerEntryId: string;
    certifiedAt: string | null;
    signature: Signature | null;
  } | null;
  qcResults: QcResult[];
  deviationLinks: {
    impact: string | null;
    impactConclusion: string | null;
    deviation: DeviationSummary | null;
  }[];
  /** What the viewer could sign now, as the domain decides it. */
  viewerCan: { release: boolean; quarantine: boolean; reject: boolean; certify: boolean };
}

const SIGNATURE = 'printedName meaning reason signedAt signerId';

export const BatchQuery = gql<{ batch: BatchDetail | null }, { id: string }>`
  query Batch($id: ID!) {
    batch(id: $id) {
      id batchId batchNumber status productId productName site sponsorId cdmoId releaseReady
      lastChangedAt scheduledAt agreementId plannedStart startedAt completedAt recordReviewedAt
      coaId coaIssuedAt shippedAt
      plannedQuantity { value unit }
      actualQuantity { value unit }
      sponsor { organizationId name kind }
      cdmo { organizationId name kind }
      disposition { decision recordedAt signature { ${SIGNATURE} } }
      certification { registerEntryId certifiedAt signature { ${SIGNATURE} } }
      blockers { kind blocksRelease description reference severity deviation { id deviationId title } }
      viewerCan { release quarantine reject certify }
      qcResults {
        resultId test method value unit specificationLower specificationUpper specificationUnit
        withinSpecification corrected testedAt
      }
      deviationLinks {
        impact impactConclusion
        deviation {
          id deviationId title severity status open ageDays notifiedLate lateByMinutes capaStatus
        }
      }
    }
  }
`;

export interface TimelineEntry {
  id: string;
  eventId: string;
  type: string;
  summary: string;
  actorId: string;
  actorName: string | null;
  actorRole: string | null;
  actorOrganizationId: string;
  occurredAt: string;
  recordedAt: string;
  reason: string | null;
  corrected: boolean;
  correctsEventId: string | null;
  correctedByEventIds: string[];
  data: Record<string, unknown>;
  correctedData: Record<string, unknown> | null;
  eSignature: Signature | null;
  partnerSignatureKeyId: string | null;
}

const TIMELINE_ENTRY = `
  id eventId type summary actorId actorName actorRole actorOrganizationId occurredAt recordedAt
  reason corrected correctsEventId correctedByEventIds data correctedData partnerSignatureKeyId
  eSignature { ${SIGNATURE} }
`;

export interface TimelinePage {
  totalCount: number;
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
  edges: { node: TimelineEntry }[];
}

export const BatchTimelineQuery = gql<
  { batch: { id: string; timeline: TimelinePage } | null },
  { id: string; after?: string | null }
>`
  query BatchTimeline($id: ID!, $after: String) {
    batch(id: $id) {
      id
      timeline(first: 25, after: $after) {
        totalCount
        pageInfo { hasNextPage endCursor }
        edges { node { ${TIMELINE_ENTRY} } }
      }
    }
  }
`;

export interface Deviation extends DeviationSummary {
  description: string;
  category: string;
  productId: string;
  sponsorId: string;
  cdmoId: string;
  detectedAt: string;
  reportedAt: string;
  closedAt: string | null;
  notificationDeadline: string | null;
  reportedByOrganizationId: string;
  batchLinks: {
    impact: string | null;
    batch: { id: string; batchId: string; batchNumber: string } | null;
  }[];
}

const DEVIATION_ROW = `
  id deviationId title severity status open ageDays notifiedLate lateByMinutes capaStatus
  description category productId sponsorId cdmoId detectedAt reportedAt closedAt
  notificationDeadline reportedByOrganizationId
  batchLinks { impact batch { id batchId batchNumber } }
`;

export const DeviationsQuery = gql<
  { deviations: { totalCount: number; edges: { node: Deviation }[] } },
  { open?: boolean | null }
>`
  query Deviations($open: Boolean) {
    deviations(filter: { open: $open }, first: 30, orderBy: { field: DETECTED_AT, direction: DESC }) {
      totalCount
      edges { node { ${DEVIATION_ROW} } }
    }
  }
`;

export interface DeviationDetail extends Deviation {
  agreementId: string;
  investigationSummary: string | null;
  rootCause: string | null;
  rootCauseCategory: string | null;
  conclusion: string | null;
  capaId: string | null;
  capaActions: { description: string; owner: string; dueDate: string }[];
  capaApprovalSignature: Signature | null;
  closureApprovalSignature: Signature | null;
  closingSignature: Signature | null;
  /** What the viewer could sign now, as the domain decides it. */
  viewerCan: { approveCapa: boolean; approveClosure: boolean };
}

export const DeviationQuery = gql<{ deviation: DeviationDetail | null }, { id: string }>`
  query Deviation($id: ID!) {
    deviation(id: $id) {
      ${DEVIATION_ROW}
      agreementId investigationSummary rootCause rootCauseCategory conclusion capaId
      capaActions { description owner dueDate }
      capaApprovalSignature { ${SIGNATURE} }
      closureApprovalSignature { ${SIGNATURE} }
      closingSignature { ${SIGNATURE} }
      viewerCan { approveCapa approveClosure }
    }
  }
`;

export const DeviationTimelineQuery = gql<
  { deviation: { id: string; timeline: TimelinePage } | null },
  { id: string; after?: string | null }
>`
  query DeviationTimeline($id: ID!, $after: String) {
    deviation(id: $id) {
      id
      timeline(first: 25, after: $after) {
        totalCount
        pageInfo { hasNextPage endCursor }
        edges { node { ${TIMELINE_ENTRY} } }
      }
    }
  }
`;

export interface Summary {
  batchesByStatus: { key: string; count: number }[];
  blocked: number;
  cycleTimes: { stage: string; averageHours: number | null; batches: number }[];
  deviationRates: { productId: string; batches: number; deviations: number; rate: number }[];
  deviationsBySeverity: { key: string; count: number }[];
  lateNotifications: number;
  openDeviations: number;
  releaseReady: number;
}

export const SummaryQuery = gql<{ summary: Summary }>`
  query Summary {
    summary {
      batchesByStatus {
        key
        count
      }
      blocked
      cycleTimes {
        stage
        averageHours
        batches
      }
      deviationRates {
        productId
        batches
        deviations
        rate
      }
      deviationsBySeverity {
        key
        count
      }
      lateNotifications
      openDeviations
      releaseReady
    }
  }
`;

/** Deviations over time, for the trends (detected date, severity and product only). */
export const DeviationHistoryQuery = gql<{
  deviations: {
    totalCount: number;
    edges: {
      node: Pick<
        Deviation,
        'id' | 'deviationId' | 'severity' | 'productId' | 'detectedAt' | 'cdmoId' | 'sponsorId'
      >;
    }[];
  };
}>`
  query DeviationHistory {
    deviations(first: 100, orderBy: { field: DETECTED_AT, direction: ASC }) {
      totalCount
      edges {
        node {
          id
          deviationId
          severity
          productId
          detectedAt
          cdmoId
          sponsorId
        }
      }
    }
  }
`;

export type SignatureMeaning = 'APPROVAL' | 'AUTHORSHIP' | 'RESPONSIBILITY' | 'REVIEW';

export interface SignatureInput {
  printedName: string;
  meaning: SignatureMeaning;
  reason: string;
  credential: string;
}

export interface ActResult {
  __typename: string;
  code?: string;
  message?: string;
  data?: { eventId: string; signature: Signature };
}

const ACT_RESULT = `
  __typename
  ... on Refusal { code message }
`;
const ACT_SUCCESS = (type: string) =>
  `... on ${type} { data { eventId position streamId signature { ${SIGNATURE} } } }`;

export const ApproveCapaMutation = gql<
  { approveCapa: ActResult },
  { deviationId: string; capaId: string; signature: SignatureInput }
>`
  mutation ApproveCapa($deviationId: ID!, $capaId: ID!, $signature: SignatureInput!) {
    approveCapa(deviationId: $deviationId, capaId: $capaId, signature: $signature) {
      ${ACT_RESULT} ${ACT_SUCCESS('MutationApproveCapaSuccess')}
    }
  }
`;

export const ApproveClosureMutation = gql<
  { approveDeviationClosure: ActResult },
  { deviationId: string; signature: SignatureInput }
>`
  mutation ApproveClosure($deviationId: ID!, $signature: SignatureInput!) {
    approveDeviationClosure(deviationId: $deviationId, signature: $signature) {
      ${ACT_RESULT} ${ACT_SUCCESS('MutationApproveDeviationClosureSuccess')}
    }
  }
`;

export type DispositionDecision =
  | 'RELEASED'
  | 'REJECTED'
  | 'QUARANTINED'
  | 'CONDITIONALLY_RELEASED';

export const RecordDispositionMutation = gql<
  { recordDisposition: ActResult },
  {
    batchId: string;
    decision: DispositionDecision;
    conditions?: string | null;
    signature: SignatureInput;
  }
>`
  mutation RecordDisposition(
    $batchId: ID!
    $decision: DispositionDecision!
    $conditions: String
    $signature: SignatureInput!
  ) {
    recordDisposition(
      batchId: $batchId
      decision: $decision
      conditions: $conditions
      signature: $signature
    ) {
      ${ACT_RESULT} ${ACT_SUCCESS('MutationRecordDispositionSuccess')}
    }
  }
`;

export const CertifyBatchMutation = gql<
  { certifyBatch: ActResult },
  { batchId: string; registerEntryId: string; signature: SignatureInput }
>`
  mutation CertifyBatch($batchId: ID!, $registerEntryId: ID!, $signature: SignatureInput!) {
    certifyBatch(batchId: $batchId, registerEntryId: $registerEntryId, signature: $signature) {
      ${ACT_RESULT} ${ACT_SUCCESS('MutationCertifyBatchSuccess')}
    }
  }
`;

export type AuditTimeline = 'OCCURRED' | 'RECORDED';

export interface AuditVerification {
  ok: boolean;
  streams: number;
  events: number;
  signaturesChecked: number;
  signaturesValid: number;
  eSignatureOnly: number;
  platformEvents: number;
  brokenLink: {
    streamId: string;
    streamVersion: number;
    eventId: string | null;
    check: string;
    detail: string;
  } | null;
}

/** A batch's verification verdict: hash chains recomputed and partner signatures checked now. */
export const AuditVerificationQuery = gql<
  {
    batch:
      | (Pick<
          BatchCard,
          'id' | 'batchId' | 'batchNumber' | 'status' | 'productId' | 'productName'
        > & { verification: AuditVerification })
      | null;
  },
  { id: string }
>`
  query AuditVerification($id: ID!) {
    batch(id: $id) {
      id
      batchId
      batchNumber
      status
      productId
      productName
      verification {
        ok
        streams
        events
        signaturesChecked
        signaturesValid
        eSignatureOnly
        platformEvents
        brokenLink {
          streamId
          streamVersion
          eventId
          check
          detail
        }
      }
    }
  }
`;

export interface AuditAsOf {
  instant: string;
  timeline: string;
  status: string;
  eventsApplied: number;
  correctionsApplied: number;
}

/** The batch as it stood at an instant, on the occurred or the recorded timeline. */
export const AuditAsOfQuery = gql<
  { batch: { id: string; asOf: AuditAsOf } | null },
  { id: string; at: string; timeline: AuditTimeline }
>`
  query AuditAsOf($id: ID!, $at: DateTime!, $timeline: AuditTimeline) {
    batch(id: $id) {
      id
      asOf(at: $at, timeline: $timeline) {
        instant
        timeline
        status
        eventsApplied
        correctionsApplied
      }
    }
  }
`;
