// Labels and formats shared by the views: one place that turns API vocabulary into words.
import type { BatchStatus, BlockerKind, DeviationStatus, Severity } from './api.ts';

export const STATUS_LABELS: Record<BatchStatus, string> = {
  SCHEDULED: 'Scheduled',
  IN_MANUFACTURE: 'In manufacture',
  HELD: 'Held',
  ABORTED: 'Aborted',
  MANUFACTURING_COMPLETE: 'Manufacturing complete',
  RECORD_REVIEWED: 'Record reviewed',
  QC_TESTING: 'QC testing',
  COA_ISSUED: 'CoA issued',
  DISPOSITIONED: 'Dispositioned',
  QP_CERTIFIED: 'QP certified',
  SHIPPED: 'Shipped',
};

/** The board's columns: lifecycle stages, each holding one or more statuses. */
export const BOARD_COLUMNS: { key: string; title: string; statuses: BatchStatus[] }[] = [
  { key: 'scheduled', title: 'Scheduled', statuses: ['SCHEDULED'] },
  { key: 'manufacture', title: 'Manufacture', statuses: ['IN_MANUFACTURE', 'HELD', 'ABORTED'] },
  {
    key: 'review',
    title: 'Review & QC',
    statuses: ['MANUFACTURING_COMPLETE', 'RECORD_REVIEWED', 'QC_TESTING'],
  },
  { key: 'release', title: 'Release', statuses: ['COA_ISSUED', 'DISPOSITIONED'] },
  { key: 'certified', title: 'QP certified', statuses: ['QP_CERTIFIED'] },
  { key: 'shipped', title: 'Shipped', statuses: ['SHIPPED'] },
];

export const DEVIATION_STATUS_LABELS: Record<DeviationStatus, string> = {
  REPORTED: 'Reported',
  CLASSIFIED: 'Classified',
  UNDER_INVESTIGATION: 'Under investigation',
  ROOT_CAUSE_IDENTIFIED: 'Root cause identified',
  IMPACT_ASSESSED: 'Impact assessed',
  CAPA_PROPOSED: 'CAPA proposed',
  CAPA_APPROVED: 'CAPA approved',
  CLOSURE_APPROVED: 'Closure approved',
  CLOSED: 'Closed',
};

export const SEVERITY_ORDER: Severity[] = ['CRITICAL', 'MAJOR', 'MINOR'];

export const BLOCKER_LABELS: Record<BlockerKind, string> = {
  CONFIRMED_OOS: 'Confirmed OOS',
  DISPOSITION_NOT_RELEASED: 'Not released',
  MISSING_CERTIFICATION: 'QP certification',
  MISSING_COA: 'Certificate of analysis',
  MISSING_DISPOSITION: 'QA disposition',
  OPEN_DEVIATION: 'Open deviation',
  OPEN_OOS: 'Open OOS investigation',
  PENDING_SPONSOR_APPROVAL: 'Sponsor approval',
};

export const STAGE_LABELS: Record<string, string> = {
  manufacturing: 'Manufacturing',
  'record-review': 'Record review',
  'qc-release': 'QC to CoA',
  disposition: 'Disposition',
  certification: 'Certification',
  shipping: 'Shipping',
  'end-to-end': 'End to end',
};

/** `qc-testing` or `QC_TESTING` → `QC testing`, for vocabulary the API sends in kebab case. */
export function humanize(value: string): string {
  const key = value.toUpperCase().replace(/-/g, '_') as BatchStatus;
  if (key in STATUS_LABELS) return STATUS_LABELS[key];
  if (key in DEVIATION_STATUS_LABELS) return DEVIATION_STATUS_LABELS[key as DeviationStatus];
  const words = value.replace(/[-_]/g, ' ').toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

const dateTime = new Intl.DateTimeFormat('en-GB', {
  day: '2-digit',
  month: 'short',
  year: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
  timeZone: 'UTC',
});
const dateOnly = new Intl.DateTimeFormat('en-GB', {
  day: '2-digit',
  month: 'short',
  year: 'numeric',
  timeZone: 'UTC',
});

/** `25 Nov 2026, 14:50 UTC` (audit trails state their time zone). */
export function formatDateTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  return `${dateTime.format(new Date(iso))} UTC`;
}

export function formatDate(iso: string | null | undefined): string {
  if (!iso) return '—';
  return dateOnly.format(new Date(iso));
}

/** `3 h`, `2.5 d`: hours as the coarsest unit that reads well. */
export function formatHours(hours: number | null | undefined): string {
  if (hours === null || hours === undefined) return '—';
  if (hours < 48) return `${Math.round(hours)} h`;
  return `${(hours / 24).toFixed(1)} d`;
}

/** `4 min ago`, `3 d ago`, relative to `now`. */
export function formatAge(iso: string, now: Date = new Date()): string {
  const minutes = Math.max(0, Math.round((now.getTime() - Date.parse(iso)) / 60_000));
  if (minutes < 1) return 'just now';
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.round(minutes / 60);
  if (hours < 48) return `${hours} h ago`;
  return `${Math.round(hours / 24)} d ago`;
}

/** How late a notification was: `26 h late`, `3.2 d late`. */
export function formatLateness(minutes: number | null | undefined): string {
  if (!minutes) return '';
  return `${formatHours(minutes / 60)} late`;
}

export function formatNumber(value: number): string {
  return new Intl.NumberFormat('en-GB', { maximumFractionDigits: 2 }).format(value);
}

/** The specification as people write it: `≥ 97 %`, `95–105 %`, `≤ 0.5 EU/mL`. */
export function formatSpecification(
  lower: number | null,
  upper: number | null,
  unit: string,
): string {
  const suffix = unit ? ` ${unit}` : '';
  if (lower !== null && upper !== null)
    return `${formatNumber(lower)}–${formatNumber(upper)}${suffix}`;
  if (lower !== null) return `≥ ${formatNumber(lower)}${suffix}`;
  if (upper !== null) return `≤ ${formatNumber(upper)}${suffix}`;
  return 'no limits';
}

/** An organization id as a name, when the directory knows it. */
export function organizationName(
  id: string,
  directory: ReadonlyMap<string, string> | undefined,
): string {
  return directory?.get(id) ?? id;
}
