// The GraphQL operations the dashboard sends. Their result and variable types are inferred from
// the printed schema (see graphql.ts); the named types below are those results, not a second copy.
import { graphql, type ResultOf, type VariablesOf } from './graphql.ts';

// Page sizes are literals: the API's cost limit (graphql-armor) multiplies by literal `first`.

const OrganizationFields = graphql(`
  fragment OrganizationFields on Organization {
    organizationId
    name
    kind
  }
`);

const SignatureFields = graphql(`
  fragment SignatureFields on SignatureManifestation {
    printedName
    meaning
    reason
    signedAt
    signerId
  }
`);

// A batch's heading fields; each query adds the blockers in the detail it shows.
const BatchSummaryFields = graphql(`
  fragment BatchSummaryFields on Batch {
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
  }
`);

const BlockerFields = graphql(`
  fragment BlockerFields on ReleaseBlocker {
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
`);

const DeviationSummaryFields = graphql(`
  fragment DeviationSummaryFields on Deviation {
    id
    deviationId
    title
    severity
    status
    open
    ageDays
    notifiedLate
    lateByMinutes
    capaStatus
  }
`);

const DeviationRowFields = graphql(
  `
    fragment DeviationRowFields on Deviation {
      ...DeviationSummaryFields
      description
      category
      productId
      sponsorId
      cdmoId
      detectedAt
      reportedAt
      closedAt
      notificationDeadline
      reportedByOrganizationId
      deadlineStatus
      deadlines {
        kind
        dueAt
        dueSoonAt
        met
        warnings {
          warning
          at
          escalatedTo
        }
      }
      batchLinks {
        impact
        batch {
          id
          batchId
          batchNumber
        }
      }
    }
  `,
  [DeviationSummaryFields],
);

const TimelineEntryFields = graphql(
  `
    fragment TimelineEntryFields on TimelineEntry {
      id
      eventId
      type
      summary
      actorId
      actorName
      actorRole
      actorOrganizationId
      occurredAt
      recordedAt
      reason
      corrected
      correctsEventId
      correctedByEventIds
      data
      correctedData
      partnerSignatureKeyId
      eSignature {
        ...SignatureFields
      }
    }
  `,
  [SignatureFields],
);

const PageInfoFields = graphql(`
  fragment PageInfoFields on PageInfo {
    hasNextPage
    endCursor
  }
`);

export type Organization = ResultOf<typeof OrganizationFields>;
export type Signature = ResultOf<typeof SignatureFields>;
export type Blocker = ResultOf<typeof BlockerFields>;
export type BlockerKind = Blocker['kind'];
export type Deviation = ResultOf<typeof DeviationRowFields>;
export type Severity = Deviation['severity'];
export type DeviationStatus = Deviation['status'];
export type TimelineEntry = ResultOf<typeof TimelineEntryFields>;

export const ViewerQuery = graphql(
  `
    query Viewer {
      viewer {
        id
        kind
        roles
        organization {
          ...OrganizationFields
        }
      }
      partners {
        ...OrganizationFields
      }
    }
  `,
  [OrganizationFields],
);

/** One column of the board: the most recently changed batches in some statuses. */
export const BoardColumnQuery = graphql(
  `
    query BoardColumn($filter: BatchFilter) {
      batches(filter: $filter, first: 40, orderBy: { field: LAST_CHANGED_AT, direction: DESC }) {
        totalCount
        edges {
          node {
            ...BatchSummaryFields
            blockers {
              kind
              severity
              blocksRelease
            }
          }
        }
      }
    }
  `,
  [BatchSummaryFields],
);

export type BatchCard = ResultOf<typeof BoardColumnQuery>['batches']['edges'][number]['node'];
export type BatchStatus = BatchCard['status'];
export type BatchFilterInput = NonNullable<VariablesOf<typeof BoardColumnQuery>['filter']>;

/** What the filters offer and the trends count: products, sites and partners of all batches. */
export const FacetsQuery = graphql(
  `
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
        ...OrganizationFields
      }
    }
  `,
  [OrganizationFields],
);

export const AuditBatchesQuery = graphql(`
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
`);

export const BatchChanged = graphql(
  `
    subscription BatchChanged {
      batchChanged {
        ...BatchSummaryFields
        blockers {
          kind
          severity
          blocksRelease
        }
      }
    }
  `,
  [BatchSummaryFields],
);

export const ReadinessChanged = graphql(`
  subscription ReadinessChanged {
    readinessChanged {
      id
      batchId
    }
  }
`);

export const DeadlineAlertsQuery = graphql(
  `
    query DeadlineAlerts {
      deadlineCounts {
        sponsorId
        cdmoId
        dueSoon
        overdue
        escalated
      }
      deviations(
        filter: { deadlineStatus: [DUE_SOON, OVERDUE] }
        first: 20
        orderBy: { field: DETECTED_AT, direction: ASC }
      ) {
        totalCount
        edges {
          node {
            ...DeviationRowFields
          }
        }
      }
    }
  `,
  [DeviationRowFields],
);

export type DeadlineAlertsResult = ResultOf<typeof DeadlineAlertsQuery>;

export const DeviationChanged = graphql(`
  subscription DeviationChanged {
    deviationChanged {
      id
      deviationId
      status
    }
  }
`);

export const ReadinessQuery = graphql(
  `
    query Readiness {
      releaseReadiness(first: 30) {
        totalCount
        edges {
          node {
            ...BatchSummaryFields
            blockers {
              ...BlockerFields
            }
          }
        }
      }
    }
  `,
  [BatchSummaryFields, BlockerFields],
);

export type ReadinessBatch = ResultOf<
  typeof ReadinessQuery
>['releaseReadiness']['edges'][number]['node'];

export const BatchQuery = graphql(
  `
    query Batch($id: ID!) {
      batch(id: $id) {
        ...BatchSummaryFields
        agreementId
        plannedStart
        startedAt
        completedAt
        recordReviewedAt
        coaId
        coaIssuedAt
        shippedAt
        plannedQuantity {
          value
          unit
        }
        actualQuantity {
          value
          unit
        }
        sponsor {
          ...OrganizationFields
        }
        cdmo {
          ...OrganizationFields
        }
        disposition {
          decision
          recordedAt
          signature {
            ...SignatureFields
          }
        }
        certification {
          registerEntryId
          certifiedAt
          signature {
            ...SignatureFields
          }
        }
        blockers {
          ...BlockerFields
        }
        viewerCan {
          release
          quarantine
          reject
          certify
        }
        qcResults {
          resultId
          test
          method
          value
          unit
          specificationLower
          specificationUpper
          specificationUnit
          withinSpecification
          corrected
          testedAt
        }
        deviationLinks {
          impact
          impactConclusion
          deviation {
            ...DeviationSummaryFields
          }
        }
      }
    }
  `,
  [BatchSummaryFields, BlockerFields, OrganizationFields, SignatureFields, DeviationSummaryFields],
);

export type BatchDetail = NonNullable<ResultOf<typeof BatchQuery>['batch']>;
export type QcResult = BatchDetail['qcResults'][number];

export const BatchTimelineQuery = graphql(
  `
    query BatchTimeline($id: ID!, $after: String) {
      batch(id: $id) {
        id
        timeline(first: 25, after: $after) {
          totalCount
          pageInfo {
            ...PageInfoFields
          }
          edges {
            node {
              ...TimelineEntryFields
            }
          }
        }
      }
    }
  `,
  [PageInfoFields, TimelineEntryFields],
);

/** One page of a record's timeline (batches and deviations page the same way). */
export type TimelinePage = NonNullable<ResultOf<typeof BatchTimelineQuery>['batch']>['timeline'];

export const DeviationsQuery = graphql(
  `
    query Deviations($open: Boolean) {
      deviations(
        filter: { open: $open }
        first: 30
        orderBy: { field: DETECTED_AT, direction: DESC }
      ) {
        totalCount
        edges {
          node {
            ...DeviationRowFields
          }
        }
      }
    }
  `,
  [DeviationRowFields],
);

export const DeviationQuery = graphql(
  `
    query Deviation($id: ID!) {
      deviation(id: $id) {
        ...DeviationRowFields
        agreementId
        investigationSummary
        rootCause
        rootCauseCategory
        conclusion
        capaId
        capaActions {
          description
          owner
          dueDate
        }
        capaApprovalSignature {
          ...SignatureFields
        }
        closureApprovalSignature {
          ...SignatureFields
        }
        closingSignature {
          ...SignatureFields
        }
        viewerCan {
          approveCapa
          approveClosure
        }
      }
    }
  `,
  [DeviationRowFields, SignatureFields],
);

export type DeviationDetail = NonNullable<ResultOf<typeof DeviationQuery>['deviation']>;

export const DeviationTimelineQuery = graphql(
  `
    query DeviationTimeline($id: ID!, $after: String) {
      deviation(id: $id) {
        id
        timeline(first: 25, after: $after) {
          totalCount
          pageInfo {
            ...PageInfoFields
          }
          edges {
            node {
              ...TimelineEntryFields
            }
          }
        }
      }
    }
  `,
  [PageInfoFields, TimelineEntryFields],
);

export const SummaryQuery = graphql(`
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
`);

/** Deviations over time, for the trends (detected date, severity and product only). */
export const DeviationHistoryQuery = graphql(`
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
`);

// An e-signed act's answer: the recorded act, or the refusal the dialog shows.
const RefusalFields = graphql(`
  fragment RefusalFields on Refusal {
    code
    message
  }
`);

const ActResultFields = graphql(
  `
    fragment ActResultFields on RecordedAct {
      eventId
      position
      streamId
      signature {
        ...SignatureFields
      }
    }
  `,
  [SignatureFields],
);

export const ApproveCapaMutation = graphql(
  `
    mutation ApproveCapa($deviationId: ID!, $capaId: ID!, $signature: SignatureInput!) {
      approveCapa(deviationId: $deviationId, capaId: $capaId, signature: $signature) {
        __typename
        ...RefusalFields
        ... on MutationApproveCapaSuccess {
          data {
            ...ActResultFields
          }
        }
      }
    }
  `,
  [RefusalFields, ActResultFields],
);

export const ApproveClosureMutation = graphql(
  `
    mutation ApproveClosure($deviationId: ID!, $signature: SignatureInput!) {
      approveDeviationClosure(deviationId: $deviationId, signature: $signature) {
        __typename
        ...RefusalFields
        ... on MutationApproveDeviationClosureSuccess {
          data {
            ...ActResultFields
          }
        }
      }
    }
  `,
  [RefusalFields, ActResultFields],
);

export const RecordDispositionMutation = graphql(
  `
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
        __typename
        ...RefusalFields
        ... on MutationRecordDispositionSuccess {
          data {
            ...ActResultFields
          }
        }
      }
    }
  `,
  [RefusalFields, ActResultFields],
);

export const CertifyBatchMutation = graphql(
  `
    mutation CertifyBatch($batchId: ID!, $registerEntryId: ID!, $signature: SignatureInput!) {
      certifyBatch(batchId: $batchId, registerEntryId: $registerEntryId, signature: $signature) {
        __typename
        ...RefusalFields
        ... on MutationCertifyBatchSuccess {
          data {
            ...ActResultFields
          }
        }
      }
    }
  `,
  [RefusalFields, ActResultFields],
);

export type SignatureInput = VariablesOf<typeof CertifyBatchMutation>['signature'];
export type SignatureMeaning = SignatureInput['meaning'];
export type DispositionDecision = VariablesOf<typeof RecordDispositionMutation>['decision'];
/** The answer of any e-signed act: every act mutation answers with the same shape. */
export type ActResult =
  | ResultOf<typeof ApproveCapaMutation>['approveCapa']
  | ResultOf<typeof ApproveClosureMutation>['approveDeviationClosure']
  | ResultOf<typeof RecordDispositionMutation>['recordDisposition']
  | ResultOf<typeof CertifyBatchMutation>['certifyBatch'];

/**
 * A batch's verification verdict: hash chains recomputed and partner signatures checked now, and
 * the log held to the latest tree head the platform signed.
 */
export const AuditVerificationQuery = graphql(`
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
        checkpoint {
          ok
          treeSize
          summary
        }
      }
    }
  }
`);

export type AuditVerification = NonNullable<
  ResultOf<typeof AuditVerificationQuery>['batch']
>['verification'];

/** The batch as it stood at an instant, on the occurred or the recorded timeline. */
export const AuditAsOfQuery = graphql(`
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
`);

export type AuditTimeline = NonNullable<VariablesOf<typeof AuditAsOfQuery>['timeline']>;

// The QP register (Annex 16): the certifications of the caller's partnerships, filtered by QP
// and product on the server; a page of 100 is the view, the download takes the whole selection.
export const QpRegisterQuery = graphql(`
  query QpRegister($filter: QpRegisterFilter) {
    qpRegister(first: 100, filter: $filter) {
      totalCount
      edges {
        node {
          registerEntryId
          certifiedAt
          batchId
          batchNumber
          productId
          productName
          site
          sponsor {
            organizationId
          }
          cdmo {
            organizationId
          }
          qualifiedPerson {
            personId
            printedName
          }
        }
      }
    }
  }
`);
export type QpRegisterRow = ResultOf<typeof QpRegisterQuery>['qpRegister']['edges'][number]['node'];

// ---- administration (operators, organization administrators) ------------------------------

export const AdministeredOrganizationQuery = graphql(`
  query AdministeredOrganization($organizationId: ID!) {
    administeredOrganization(organizationId: $organizationId) {
      organizationId
      name
      kind
      administrators {
        personId
        printedName
      }
      people {
        personId
        printedName
        roles
      }
      signingKeys {
        keyId
        validFrom
        revokedAt
      }
      sites {
        siteId
        name
        country
      }
      products {
        productId
        name
      }
      systems {
        systemId
        name
        apiKeys {
          keyId
          roles
          status
          expiresAt
          lastUsedAt
        }
      }
    }
  }
`);

export type AdministeredOrganization = NonNullable<
  ResultOf<typeof AdministeredOrganizationQuery>['administeredOrganization']
>;

export const RegisterSiteMutation = graphql(`
  mutation RegisterSite(
    $organizationId: ID!
    $siteId: ID!
    $name: String!
    $country: String!
    $reason: String!
  ) {
    registerSite(
      organizationId: $organizationId
      siteId: $siteId
      name: $name
      country: $country
      reason: $reason
    ) {
      __typename
      ... on Refusal {
        code
        message
      }
    }
  }
`);

export const RegisterProductMutation = graphql(`
  mutation RegisterProduct(
    $organizationId: ID!
    $productId: ID!
    $name: String!
    $reason: String!
  ) {
    registerProduct(
      organizationId: $organizationId
      productId: $productId
      name: $name
      reason: $reason
    ) {
      __typename
      ... on Refusal {
        code
        message
      }
    }
  }
`);

export const RegisterOrganizationMutation = graphql(`
  mutation RegisterOrganization(
    $organizationId: ID!
    $name: String!
    $kind: OrganizationKind!
    $reason: String!
  ) {
    registerOrganization(
      organizationId: $organizationId
      name: $name
      kind: $kind
      reason: $reason
    ) {
      __typename
      ... on Refusal {
        code
        message
      }
    }
  }
`);

export const AppointAdministratorMutation = graphql(`
  mutation AppointAdministrator(
    $organizationId: ID!
    $personId: ID!
    $printedName: String!
    $reason: String!
  ) {
    appointAdministrator(
      organizationId: $organizationId
      personId: $personId
      printedName: $printedName
      reason: $reason
    ) {
      __typename
      ... on Refusal {
        code
        message
      }
    }
  }
`);

export const GrantRoleMutation = graphql(`
  mutation GrantRole(
    $organizationId: ID!
    $personId: ID!
    $printedName: String!
    $role: Role!
    $reason: String!
  ) {
    grantRole(
      organizationId: $organizationId
      personId: $personId
      printedName: $printedName
      role: $role
      reason: $reason
    ) {
      __typename
      ... on Refusal {
        code
        message
      }
    }
  }
`);

export const RegisterPartnerSystemMutation = graphql(`
  mutation RegisterPartnerSystem(
    $organizationId: ID!
    $systemId: ID!
    $name: String!
    $reason: String!
  ) {
    registerPartnerSystem(
      organizationId: $organizationId
      systemId: $systemId
      name: $name
      reason: $reason
    ) {
      __typename
      ... on Refusal {
        code
        message
      }
    }
  }
`);

export const IssueApiKeyMutation = graphql(`
  mutation IssueApiKey(
    $organizationId: ID!
    $systemId: ID!
    $roles: [Role!]!
    $expiresAt: DateTime!
    $reason: String!
  ) {
    issueApiKey(
      organizationId: $organizationId
      systemId: $systemId
      roles: $roles
      expiresAt: $expiresAt
      reason: $reason
    ) {
      __typename
      ... on Refusal {
        code
        message
      }
      ... on MutationIssueApiKeySuccess {
        data {
          keyId
          key
          expiresAt
        }
      }
    }
  }
`);

export const RevokeApiKeyMutation = graphql(`
  mutation RevokeApiKey($organizationId: ID!, $systemId: ID!, $keyId: ID!, $reason: String!) {
    revokeApiKey(
      organizationId: $organizationId
      systemId: $systemId
      keyId: $keyId
      reason: $reason
    ) {
      __typename
      ... on Refusal {
        code
        message
      }
    }
  }
`);

export const RegisterSigningKeyMutation = graphql(`
  mutation RegisterSigningKey(
    $organizationId: ID!
    $keyId: ID!
    $publicKey: String!
    $validFrom: String!
    $proof: SigningKeyProofInput!
    $reason: String!
  ) {
    registerSigningKey(
      organizationId: $organizationId
      keyId: $keyId
      publicKey: $publicKey
      validFrom: $validFrom
      proof: $proof
      reason: $reason
    ) {
      __typename
      ... on Refusal {
        code
        message
      }
      ... on MutationRegisterSigningKeySuccess {
        data {
          eventId
        }
      }
    }
  }
`);

export const AgreementDraftQuery = graphql(`
  query AgreementDraft($agreementId: ID!) {
    agreementDraft(agreementId: $agreementId) {
      draftId
      agreementId
      version
      sponsorId
      cdmoId
      effectiveFrom
      notificationDeadlinesHours
      deviationDueDays
      products
      signedBy
    }
  }
`);

export const DraftAgreementVersionMutation = graphql(`
  mutation DraftAgreementVersion($version: AgreementVersionInput!, $reason: String!) {
    draftAgreementVersion(version: $version, reason: $reason) {
      __typename
      ... on Refusal {
        code
        message
      }
    }
  }
`);

export const SignAgreementVersionMutation = graphql(`
  mutation SignAgreementVersion(
    $agreementId: ID!
    $version: Int!
    $draftId: ID!
    $signature: AdministratorSignatureInput!
    $reason: String!
  ) {
    signAgreementVersion(
      agreementId: $agreementId
      version: $version
      draftId: $draftId
      signature: $signature
      reason: $reason
    ) {
      __typename
      ... on Refusal {
        code
        message
      }
      ... on MutationSignAgreementVersionSuccess {
        data {
          recordedTypes
        }
      }
    }
  }
`);
