import type { BatchStatus, DeviationStatus, Severity } from '../lib/api.ts';
import { DEVIATION_STATUS_LABELS, STATUS_LABELS } from '../lib/format.ts';

const STATUS_TONES: Record<BatchStatus, string> = {
  SCHEDULED: 'neutral',
  IN_MANUFACTURE: 'info',
  HELD: 'warning',
  ABORTED: 'danger',
  MANUFACTURING_COMPLETE: 'info',
  RECORD_REVIEWED: 'info',
  QC_TESTING: 'info',
  COA_ISSUED: 'accent',
  DISPOSITIONED: 'accent',
  QP_CERTIFIED: 'success',
  SHIPPED: 'success',
};

export function StatusBadge({ status }: { status: BatchStatus }) {
  return <span className={`badge badge-${STATUS_TONES[status]}`}>{STATUS_LABELS[status]}</span>;
}

export function SeverityBadge({ severity }: { severity: Severity | string }) {
  const key = severity.toUpperCase();
  const tone = key === 'CRITICAL' ? 'danger' : key === 'MAJOR' ? 'warning' : 'neutral';
  return (
    <span className={`badge badge-${tone}`}>{key.charAt(0) + key.slice(1).toLowerCase()}</span>
  );
}

export function DeviationStatusBadge({ status }: { status: DeviationStatus }) {
  const tone =
    status === 'CLOSED'
      ? 'success'
      : status === 'CAPA_PROPOSED' || status === 'IMPACT_ASSESSED'
        ? 'accent'
        : 'info';
  return <span className={`badge badge-${tone}`}>{DEVIATION_STATUS_LABELS[status]}</span>;
}
