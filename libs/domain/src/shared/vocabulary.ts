/** Identifiers follow the catalogue pattern `^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$`. */
export type Id = string;
/** An RFC 3339 date-time with offset. */
export type Instant = string;
/** A calendar date (`YYYY-MM-DD`). */
export type CalendarDate = string;

export type Quantity = { value: number; unit: string };

export const roles = ['qa', 'qc', 'production', 'qp', 'analyst', 'auditor'] as const;
export type Role = (typeof roles)[number];

export const organizationKinds = ['sponsor', 'cdmo', 'testing-lab'] as const;
export type OrganizationKind = (typeof organizationKinds)[number];

export const severities = ['minor', 'major', 'critical'] as const;
export type Severity = (typeof severities)[number];

export const activities = [
  'batch-scheduling',
  'manufacturing',
  'batch-record-review',
  'qc-testing',
  'coa-issuance',
  'qa-disposition',
  'qp-certification',
  'shipping',
  'deviation-reporting',
  'deviation-investigation',
  'capa',
  'deviation-approval',
] as const;
export type Activity = (typeof activities)[number];

/** The two parties of a quality agreement. */
export type Party = 'sponsor' | 'cdmo';

export const signatureMeanings = ['review', 'approval', 'responsibility', 'authorship'] as const;
export type SignatureMeaning = (typeof signatureMeanings)[number];

/** 21 CFR 11.50/11.70: who signed, when, and what the signature means; bound to its event. */
export type ElectronicSignature = {
  signerId: Id;
  printedName: string;
  signedAt: Instant;
  meaning: SignatureMeaning;
  reason: string;
};

/** Major and critical deviations block release and need the sponsor's approval. */
export function isMajorOrCritical(severity: Severity): boolean {
  return severity === 'major' || severity === 'critical';
}
