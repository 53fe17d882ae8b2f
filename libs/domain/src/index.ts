// Vocabulary and shared blocks
export {
  activities,
  isMajorOrCritical,
  organizationKinds,
  roles,
  severities,
  signatureMeanings,
  type Activity,
  type CalendarDate,
  type ElectronicSignature,
  type Id,
  type Instant,
  type OrganizationKind,
  type Party,
  type Quantity,
  type Role,
  type Severity,
  type SignatureMeaning,
} from './shared/vocabulary.ts';
export {
  DOMAIN_ERROR_CODES,
  DomainError,
  domainErrorCatalogue,
  isDomainError,
  type DomainErrorCode,
} from './shared/domain-error.ts';
export {
  assertInOwnNamespace,
  assertSubjectKnownTo,
  namespaceOf,
  NAMESPACE_SEPARATOR,
  unknownSubject,
  type NamedSubject,
  type SubjectParties,
} from './shared/subject.ts';
export {
  assertNotAfterReceipt,
  DEFAULT_CLOCK_TOLERANCE_MS,
  LATE_ENTRY_AFTER_MS,
  lateEntry,
} from './shared/time.ts';
export type { Decider } from './shared/decider.ts';
export {
  apiKeyRefusalAt,
  evolveDirectory,
  foldOrganization,
  keyValidAt,
  type ApiKey,
  type ApiKeyRefusal,
  type OrganizationDirectory,
  type PartnerSystem,
  type SigningKey,
} from './organization/organization-directory.ts';
export {
  API_KEY_MAX_LIFETIME_MS,
  decideOrganization,
  mayAdminister,
  organizationDecider,
  type OrganizationCommand,
  type OrganizationState,
  type RegisterSigningKey,
  type RevokeSigningKey,
  type SigningKeyProof,
} from './organization/organization-decider.ts';
export {
  correctedStoredEventIdOf,
  toDomainEvent,
  type DomainEvent,
  type StoredEvent,
} from './shared/stored-event.ts';
export {
  ADMINISTRATION_SOURCE,
  assertActsInRegisteredRole,
  eventMetadata,
  PLATFORM_ORGANIZATION_ID,
  platformActor,
  type Actor,
  type CommandMetadata,
  type RecordEvent,
} from './shared/command.ts';
export {
  assertRegisteredPrintedName,
  SIGNATURE_TIME_TOLERANCE_MS,
  signatureRules,
  verifySignature,
  type SignatureRule,
  type SignedEventType,
} from './shared/signature.ts';
export {
  checkCorrection,
  correctableFieldsOf,
  correctedData,
  isCorrectablePath,
  NOTHING_SEEN,
  rememberEvent,
  seenEvent,
  type SeenEvent,
  type SeenEvents,
} from './shared/correction.ts';
export { pointerSegments, valueAt, withValues, type Json } from './shared/json-pointer.ts';
export { streamOf, streams, type StreamKind } from './shared/streams.ts';
export { describeEvent, formatValue, reasonOf } from './shared/describe-event.ts';

// Events (the catalogue)
export type { Event, EventMetadata } from './events/event.ts';
export type * from './events/organization-events.ts';
export type * from './events/agreement-events.ts';
export type * from './events/batch-events.ts';
export { correctableBatchFields } from './events/batch-events.ts';
export type * from './events/deviation-events.ts';
export { correctableDeviationFields } from './events/deviation-events.ts';
export type * from './events/correction-events.ts';

// Quality agreement
export {
  AGREEMENT_SIGNATORY_ROLE,
  agreementDecider,
  agreementVersionAt,
  decideAgreement,
  evolveAgreement,
  initialAgreementState,
  type AgreementCommand,
  type AgreementDraft,
  type AgreementState,
  type ApproveAgreementVersion,
  type DraftAgreementVersion,
  type SignAgreementVersion,
  type Signatories,
  type TerminateAgreement,
} from './agreement/agreement-decider.ts';
export { agreementInForce } from './agreement/agreement-in-force.ts';
export {
  activityByEventType,
  assertAuthorizedInForce,
  platformEventTypes,
  type AgreementsInForce,
  activityOf,
  assertAuthorized,
  authorize,
  organizationOf,
  responsibleParty,
  type Authorization,
  type AuthorizationSubject,
} from './agreement/authorization.ts';

// Batch
export { batchDecider, decideBatch } from './batch/batch-decider.ts';
export type {
  BatchCommand,
  BatchCommandOf,
  BatchCommandType,
  BatchContext,
} from './batch/batch-command.ts';
export {
  batchTransitions,
  evolveBatch,
  initialBatchState,
  releaseBlocks,
  type BatchFacts,
  type BatchState,
  type BatchStatus,
  type OosStatus,
  type ReleaseBlock,
} from './batch/batch-state.ts';
export { oosInvestigationId, withinSpecification } from './batch/record-qc-result.ts';
export type { ScheduleBatch } from './batch/schedule-batch.ts';
export type { ReviewRecord } from './batch/review-record.ts';
export type { RecordQcResult } from './batch/record-qc-result.ts';
export type { ResolveOos } from './batch/resolve-oos.ts';
export type { IssueCoa } from './batch/issue-coa.ts';
export type { RecordDisposition } from './batch/record-disposition.ts';
export type { CertifyBatch } from './batch/certify-batch.ts';
export type { ShipBatch } from './batch/ship-batch.ts';
export type { CloseDeviationLink, LinkDeviation } from './batch/deviation-links.ts';

// Deviation
export { decideDeviation, deviationDecider } from './deviation/deviation-decider.ts';
export type {
  DeviationCommand,
  DeviationCommandOf,
  DeviationCommandType,
  DeviationContext,
} from './deviation/deviation-command.ts';
export {
  evolveDeviation,
  initialDeviationState,
  type DeviationFacts,
  type DeviationState,
  type DeviationStatus,
} from './deviation/deviation-state.ts';
export {
  deadlineKinds,
  deadlineMet,
  deadlineStatus,
  deadlineWarningCommand,
  deadlineWarningsDue,
  dueDatesUnder,
  nextDeadlineCheck,
  warningKey,
  type DeadlineKind,
  type DeadlineStatus,
  type DeadlineWarning,
  type DueDates,
} from './deviation/deadlines.ts';
export type { ReportDeviation } from './deviation/report-deviation.ts';
export type {
  AssessBatchImpact,
  ClassifyDeviation,
  IdentifyRootCause,
  UpdateInvestigation,
} from './deviation/investigate-deviation.ts';
export type { ApproveCapa, ProposeCapa } from './deviation/capa.ts';
export type { ApproveClosure, CloseDeviation } from './deviation/close-deviation.ts';

// Process manager
export {
  deviationBatchLinkage,
  evolveDeviationLinkage,
  initialDeviationLinkageState,
  reactToDeviation,
  type BatchStreamCommand,
  type DeviationLinkageState,
} from './process-manager/deviation-batch-linkage.ts';
