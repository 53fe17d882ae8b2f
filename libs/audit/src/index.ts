export { AuditFacts, type AuditOptions } from './audit-facts.ts';
export {
  AUDIT_REPORT_FORMAT,
  auditReport,
  type AuditReport,
  type AuditReportOptions,
  type CorrectionEntry,
  type LinkedDeviation,
  type SignatureManifestation,
} from './audit-report.ts';
export {
  applyCorrections,
  type AppliedCorrection,
  type CorrectedRecord,
  type CorrectedValue,
} from './corrections.ts';
export { describeEvent, formatValue, reasonOf } from '@concord/domain';
export {
  agreementHistory,
  auditSubject,
  batchHistory,
  buildHistory,
  deviationHistory,
  organizationHistory,
  subjectHistory,
  UnknownSubjectError,
  whoOf,
  type AuditSubject,
  type Authority,
  type ChangeMark,
  type History,
  type HistoryContext,
  type HistoryEntry,
  type SubjectKind,
  type Who,
} from './history.ts';
export { escapeHtml } from './html.ts';
export { formatInstant, renderAuditReportHtml } from './render-audit-report-html.ts';
export { renderAuditReportPdf, toPdfText } from './render-audit-report-pdf.ts';
export {
  describeSignatureStatus,
  eSignatureOf,
  isSignatureProblem,
  signatureStatusOf,
  type SignatureStatus,
  type SignatureStatusKind,
} from './signature-status.ts';
export {
  batchStateAsOf,
  deviationStateAsOf,
  eventsAsOf,
  foldBatchAsOf,
  foldDeviationAsOf,
  recordAsOf,
  type AsOf,
  type BatchAsOf,
  type BatchFactsAsOf,
  type CapaAsOf,
  type DeviationAsOf,
  type DeviationFactsAsOf,
  type QcResultAsOf,
  type RecordAsOf,
  type SignedAct,
} from './state-as-of.ts';
export { occurredAtOf, parseInstant, type Timeline } from './stored-event.ts';
export {
  describeChainProblem,
  describeCheckpointCheck,
  verifyAudit,
  type AuditScope,
  type CheckpointCheck,
  type AuditVerification,
  type BrokenLink,
  type SignatureTally,
  type StreamRole,
  type VerifiedStream,
  type VerifyAuditOptions,
  type VerifyProgress,
} from './verify-audit.ts';
export { verifyAgainstCheckpoint, type CheckpointVerification } from './verify-checkpoint.ts';
export { exportEvidenceBundle, type EvidenceBundleOptions } from './evidence-bundle.ts';
