/**
 * Rows of the read model exactly as stored (column names, JSON values): the projector loads them
 * with `to_jsonb(row)`, changes them in memory and writes them back with `json_populate_record`,
 * so one chunk of events costs a handful of statements whatever its size. Instants are RFC 3339
 * strings; bigints travel as strings.
 *
 * Each row type is derived from its Prisma model (prisma/schema.prisma, the same tables the API
 * reads): a column added, renamed, retyped or made nullable there changes the row here, and the
 * compiler names every projection that no longer fits. Column names are the fields' names in
 * snake_case (prisma-schema.int.spec.ts holds every `@map` to that), and JSON columns are narrowed
 * to what they hold.
 */
import type { DeadlineKind, DueDates, ElectronicSignature } from '@concord/domain';
import type {
  AgreementModel,
  BatchModel,
  DeviationBatchModel,
  DeviationModel,
  OrganizationModel,
  PersonModel,
  QcResultModel,
  TimelineEntryModel,
} from '../generated/prisma/models.ts';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/**
 * Event data kept in a JSON column. Event data is JSON by construction (its types are generated
 * from the JSON Schemas); the generated interfaces merely declare no index signature.
 */
export const jsonOf = (value: object): Json => value as Json;

/** `plannedQuantityValue` → `planned_quantity_value`. */
type SnakeCase<Name extends string> = Name extends `${infer Head}${infer Tail}`
  ? `${Head extends Lowercase<Head> ? Head : `_${Lowercase<Head>}`}${SnakeCase<Tail>}`
  : Name;

/** A column's value as `to_jsonb(row)` gives it: instants and bigints as strings. */
type Stored<Value> = Value extends Date ? string : Value extends bigint ? string : Value;

/** A row as stored, from its Prisma model, with its JSON columns narrowed to what they hold. */
type StoredRow<Model, JsonColumns extends object = object> = Omit<
  { [Field in keyof Model & string as SnakeCase<Field>]: Stored<Model[Field]> },
  keyof JsonColumns
> &
  JsonColumns;

export type OrganizationRow = StoredRow<OrganizationModel>;

export type PersonRow = StoredRow<PersonModel>;

export type AgreementRow = StoredRow<
  AgreementModel,
  {
    products: { productId: string; name: string }[];
    responsibilities: Json;
    notification_deadlines_hours: { critical: number; major: number; minor: number };
  }
>;

/** Why a batch cannot be released yet; `reference` names the cause (a deviation, an OOS). */
export interface ReleaseBlocker {
  kind:
    | 'open-deviation'
    | 'pending-sponsor-approval'
    | 'open-oos'
    | 'confirmed-oos'
    | 'missing-coa'
    | 'missing-disposition'
    | 'disposition-not-released'
    | 'missing-certification';
  reference: string | null;
  severity: string | null;
  description: string;
}

export type BatchRow = StoredRow<
  BatchModel,
  {
    disposition_signature: ElectronicSignature | null;
    certification_signature: ElectronicSignature | null;
    /** Open linked deviations and their severity, as the batch stream knows them. */
    open_deviations: Record<string, string>;
    oos_investigations: Record<string, string>;
    blockers: ReleaseBlocker[];
  }
>;

export type QcResultRow = StoredRow<QcResultModel>;

export type DeviationRow = StoredRow<
  DeviationModel,
  {
    capa_actions: Json;
    capa_status: 'none' | 'proposed' | 'approved';
    capa_approval_signature: ElectronicSignature | null;
    closure_approval_signature: ElectronicSignature | null;
    closing_signature: ElectronicSignature | null;
    due_dates: DueDates | null;
    deadline_warnings: DeadlineWarningRow[];
  }
>;

/** A warning the platform gave about a due date, as the deviation row keeps it. */
export type DeadlineWarningRow = {
  warning: 'due-soon' | 'overdue';
  deadline: DeadlineKind;
  dueAt: string;
  at: string;
  escalatedTo?: string;
};

export type DeviationBatchRow = StoredRow<DeviationBatchModel>;

export type TimelineRow = StoredRow<
  TimelineEntryModel,
  { data: Json; corrected_data: Json; e_signature: ElectronicSignature | null }
>;
