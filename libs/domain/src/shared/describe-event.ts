type Data = Record<string, unknown>;

const quantity = (value: unknown): string => {
  const q = value as { value?: unknown; unit?: unknown } | undefined;
  return q && q.value !== undefined ? `${String(q.value)} ${String(q.unit ?? '')}`.trim() : '?';
};

const text = (value: unknown): string => (value === undefined ? '?' : String(value));

/** shipped v1 names the destination in free text, v2 as a site and a country. */
const destination = (value: unknown): string => {
  if (typeof value === 'string') return value;
  const { siteName, country } = (value ?? {}) as { siteName?: string; country?: string };
  return [siteName, country].filter(Boolean).join(', ') || '?';
};

/** How a value reads in one line: strings as they are, everything else as JSON. */
export function formatValue(value: unknown): string {
  if (value === undefined) return '(absent)';
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/**
 * What an event says, in one line an inspector reads without knowing the catalogue: the one
 * wording of the timeline, the audit history and the report. Pure, and total: an event type it
 * does not know is described by its type.
 */
export function describeEvent(type: string, data: Data): string {
  switch (type) {
    case 'concord.organization.registered.v1':
      return `Organization ${text(data.name)} registered (${text(data.kind)})`;
    case 'concord.organization.signing-key-registered.v1':
      return `Signing key ${text(data.keyId)} registered, valid from ${text(data.validFrom)}`;
    case 'concord.organization.signing-key-revoked.v1':
      return `Signing key ${text(data.keyId)} revoked as of ${text(data.revokedAt)}: ${text(data.reason)}`;
    case 'concord.organization.role-granted.v1':
      return `${text(data.printedName)} granted the role ${text(data.role)}`;
    case 'concord.organization.role-revoked.v1':
      return `Role ${text(data.role)} of ${text(data.personId)} revoked: ${text(data.reason)}`;
    case 'concord.agreement.version-approved.v1':
      return `Quality agreement ${text(data.agreementId)} version ${text(data.version)} approved, effective ${text(data.effectiveFrom)}`;
    case 'concord.agreement.terminated.v1':
      return `Quality agreement ${text(data.agreementId)} terminated as of ${text(data.effectiveAt)}`;
    case 'concord.batch.scheduled.v1':
      return `Batch ${text(data.batchNumber)} scheduled at ${text(data.site)} (${quantity(data.plannedQuantity)} planned)`;
    case 'concord.batch.manufacturing-started.v1':
      return 'Manufacturing started';
    case 'concord.batch.manufacturing-held.v1':
      return `Manufacturing held: ${text(data.reason)}`;
    case 'concord.batch.manufacturing-resumed.v1':
      return `Manufacturing resumed: ${text(data.reason)}`;
    case 'concord.batch.manufacturing-aborted.v1':
      return `Manufacturing aborted: ${text(data.reason)}`;
    case 'concord.batch.manufacturing-completed.v1':
      return `Manufacturing completed (${quantity(data.actualQuantity)})`;
    case 'concord.batch.record-reviewed.v1':
      return data.outcome === 'approved'
        ? 'Executed batch record reviewed and approved'
        : 'Executed batch record returned for correction';
    case 'concord.batch.qc-result-recorded.v1':
      return `QC result ${text(data.resultId)}, ${text(data.test)}: ${text(data.value)} ${text(data.unit)}`;
    case 'concord.batch.oos-investigation-opened.v1':
      return `OOS investigation ${text(data.investigationId)} opened for result ${text(data.resultId)}`;
    case 'concord.batch.oos-resolved.v1':
      return `OOS investigation ${text(data.investigationId)} resolved: ${text(data.outcome)}`;
    case 'concord.batch.coa-issued.v1':
      return `Certificate of analysis ${text(data.coaId)} issued`;
    case 'concord.batch.disposition-recorded.v1':
      return `QA disposition: ${text(data.decision)}`;
    case 'concord.batch.qp-certified.v1':
      return `Certified by the Qualified Person (register entry ${text(data.registerEntryId)})`;
    case 'concord.batch.shipped.v1':
    case 'concord.batch.shipped.v2':
      return `Shipped to ${destination(data.destination)} (${quantity(data.quantity)})`;
    case 'concord.batch.deviation-linked.v1':
      return `Deviation ${text(data.deviationId)} (${text(data.severity)}) linked`;
    case 'concord.batch.deviation-link-closed.v1':
      return `Linked deviation ${text(data.deviationId)} closed`;
    case 'concord.deviation.reported.v1':
      return `Deviation reported (${text(data.severity)}): ${text(data.title)}`;
    case 'concord.deviation.reported-late.v1':
      return `Reported ${text(data.lateByMinutes)} minutes after the notification deadline ${text(data.deadline)}`;
    case 'concord.deviation.classified.v1':
      return `Classified ${text(data.severity)} (${text(data.category)})`;
    case 'concord.deviation.investigation-updated.v1':
      return `Investigation updated: ${text(data.summary)}`;
    case 'concord.deviation.root-cause-identified.v1':
      return `Root cause identified: ${text(data.rootCause)}`;
    case 'concord.deviation.batch-impact-assessed.v1':
      return `Batch impact assessed: ${((data.assessments as { batchId?: unknown; impact?: unknown }[] | undefined) ?? []).map((a) => `${text(a.batchId)} ${text(a.impact)}`).join(', ')}`;
    case 'concord.deviation.capa-proposed.v1':
      return `CAPA ${text(data.capaId)} proposed (${((data.actions as unknown[] | undefined) ?? []).length} actions)`;
    case 'concord.deviation.capa-approved.v1':
      return `CAPA ${text(data.capaId)} approved`;
    case 'concord.deviation.closure-approved.v1':
      return 'Closure approved';
    case 'concord.deviation.closed.v1':
      return `Deviation closed: ${text(data.conclusion)}`;
    case 'concord.correction.recorded.v1': {
      const changes = (data.changes as { path?: unknown; newValue?: unknown }[] | undefined) ?? [];
      return `Correction: ${changes.map((c) => `${text(c.path)} → ${formatValue(c.newValue)}`).join('; ')}`;
    }
    default:
      return type;
  }
}

/** Why it happened, where the event says: a stated reason, a rationale, a conclusion, or the e-signature's reason. */
export function reasonOf(data: Data): string | null {
  for (const key of ['reason', 'rationale', 'conclusion'] as const) {
    const value = data[key];
    if (typeof value === 'string' && value.trim() !== '') return value;
  }
  const signature = data.signature as { reason?: unknown } | undefined;
  return typeof signature?.reason === 'string' ? signature.reason : null;
}
