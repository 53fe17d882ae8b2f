/**
 * Rows of the read model exactly as stored (column names, JSON values): the projector loads them
 * with `to_jsonb(row)`, changes them in memory and writes them back with `jsonb_populate_recordset`,
 * so one chunk of events costs a handful of statements whatever its size. Instants are RFC 3339
 * strings; bigints travel as strings.
 */
import type { ElectronicSignature } from '@concord/domain';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/**
 * Event data kept in a JSON column. Event data is JSON by construction (its types are generated
 * from the JSON Schemas); the generated interfaces merely declare no index signature.
 */
export const jsonOf = (value: object): Json => value as Json;

export interface OrganizationRow {
  id: string;
  name: string;
  kind: string;
}

export interface PersonRow {
  organization_id: string;
  person_id: string;
  printed_name: string;
  roles: string[];
}

export interface AgreementRow {
  id: string;
  version: number;
  sponsor_id: string;
  cdmo_id: string;
  products: { productId: string; name: string }[];
  responsibilities: Json;
  notification_deadlines_hours: { critical: number; major: number; minor: number };
  effective_from: string;
  terminated_at: string | null;
}

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

export interface BatchRow {
  id: string;
  batch_number: string;
  product_id: string;
  product_name: string | null;
  agreement_id: string;
  sponsor_id: string;
  cdmo_id: string;
  site: string;
  status: string;
  planned_quantity_value: number;
  planned_quantity_unit: string;
  actual_quantity_value: number | null;
  actual_quantity_unit: string | null;
  planned_start: string;
  scheduled_at: string;
  started_at: string | null;
  completed_at: string | null;
  record_reviewed_at: string | null;
  coa_id: string | null;
  coa_issued_at: string | null;
  disposition_decision: string | null;
  dispositioned_at: string | null;
  disposition_signature: ElectronicSignature | null;
  register_entry_id: string | null;
  certified_at: string | null;
  certification_signature: ElectronicSignature | null;
  shipment_id: string | null;
  shipped_at: string | null;
  /** Open linked deviations and their severity, as the batch stream knows them. */
  open_deviations: Record<string, string>;
  oos_investigations: Record<string, string>;
  blockers: ReleaseBlocker[];
  blocker_count: number;
  release_ready: boolean;
  last_changed_at: string;
  stream_version: number;
  last_position: string;
}

export interface QcResultRow {
  batch_id: string;
  result_id: string;
  sponsor_id: string;
  cdmo_id: string;
  test: string;
  method: string | null;
  specification_lower: number | null;
  specification_upper: number | null;
  specification_unit: string;
  value: number;
  unit: string;
  within_specification: boolean;
  tested_at: string;
  corrected: boolean;
  event_id: string;
}

export interface DeviationRow {
  id: string;
  title: string;
  description: string;
  category: string;
  severity: string;
  status: string;
  product_id: string;
  agreement_id: string;
  sponsor_id: string;
  cdmo_id: string;
  reported_by_organization_id: string;
  detected_at: string;
  reported_at: string;
  notification_deadline: string | null;
  notified_late: boolean;
  late_by_minutes: number | null;
  investigation_summary: string | null;
  root_cause: string | null;
  root_cause_category: string | null;
  capa_id: string | null;
  capa_actions: Json;
  capa_status: 'none' | 'proposed' | 'approved';
  capa_approval_signature: ElectronicSignature | null;
  closure_approved_at: string | null;
  closure_approval_signature: ElectronicSignature | null;
  closed_at: string | null;
  conclusion: string | null;
  closing_signature: ElectronicSignature | null;
  last_changed_at: string;
  stream_version: number;
  last_position: string;
}

export interface DeviationBatchRow {
  deviation_id: string;
  batch_id: string;
  sponsor_id: string;
  cdmo_id: string;
  impact: string | null;
  impact_conclusion: string | null;
}

export interface TimelineRow {
  position: string;
  event_id: string;
  stream_id: string;
  batch_id: string | null;
  deviation_id: string | null;
  sponsor_id: string;
  cdmo_id: string;
  type: string;
  summary: string;
  occurred_at: string;
  recorded_at: string;
  actor_id: string;
  actor_name: string | null;
  actor_organization_id: string;
  actor_role: string | null;
  reason: string | null;
  data: Json;
  corrected_data: Json;
  e_signature: ElectronicSignature | null;
  partner_signature_key_id: string | null;
  corrects_event_id: string | null;
  corrected_by_event_ids: string[];
}
