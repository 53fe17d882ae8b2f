import type { Event } from '../events/event.ts';
import type { DomainEvent } from './stored-event.ts';
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
export function describeEvent(type: string, data: object): string {
  // The type and data come from the store, validated against the catalogue when recorded; a type
  // outside it (none today) falls through to `uncatalogued` and is described by its type.
  const stored: Event<string, unknown> = { type, data };
  return describe(stored as DomainEvent);
}

/** Reached only by a type outside the catalogue: the compiler proves every catalogue type has a case. */
const uncatalogued = (event: never): string => (event as { type: string }).type;

function describe(event: DomainEvent): string {
  switch (event.type) {
    case 'concord.organization.registered.v1':
      return `Organization ${text(event.data.name)} registered (${text(event.data.kind)})`;
    case 'concord.organization.signing-key-registered.v1':
      return `Signing key ${text(event.data.keyId)} registered, valid from ${text(event.data.validFrom)}`;
    case 'concord.organization.signing-key-revoked.v1':
      return `Signing key ${text(event.data.keyId)} revoked as of ${text(event.data.revokedAt)}: ${text(event.data.reason)}`;
    case 'concord.organization.role-granted.v1':
      return `${text(event.data.printedName)} granted the role ${text(event.data.role)}`;
    case 'concord.organization.role-revoked.v1':
      return `Role ${text(event.data.role)} of ${text(event.data.personId)} revoked: ${text(event.data.reason)}`;
    case 'concord.organization.administrator-appointed.v1':
      return `${text(event.data.printedName)} appointed administrator`;
    case 'concord.organization.administrator-removed.v1':
      return `Administrator ${text(event.data.personId)} removed: ${text(event.data.reason)}`;
    case 'concord.organization.partner-system-registered.v1':
      return `Partner system ${text(event.data.systemId)} registered (${text(event.data.name)})`;
    case 'concord.organization.site-registered.v1':
      return `Site ${text(event.data.siteId)} registered: ${text(event.data.name)} (${text(event.data.country)})`;
    case 'concord.organization.product-registered.v1':
      return `Product ${text(event.data.productId)} registered: ${text(event.data.name)}`;
    case 'concord.organization.api-key-issued.v1':
      return `API key ${text(event.data.keyId)} issued to ${text(event.data.systemId)}, expires ${text(event.data.expiresAt)}`;
    case 'concord.organization.api-key-revoked.v1':
      return `API key ${text(event.data.keyId)} of ${text(event.data.systemId)} revoked as of ${text(event.data.revokedAt)}: ${text(event.data.reason)}`;
    case 'concord.agreement.version-approved.v1':
    case 'concord.agreement.version-approved.v2':
      return `Quality agreement ${text(event.data.agreementId)} version ${text(event.data.version)} approved, effective ${text(event.data.effectiveFrom)}`;
    case 'concord.agreement.version-drafted.v1':
    case 'concord.agreement.version-drafted.v2':
      return `Quality agreement ${text(event.data.agreementId)} version ${text(event.data.version)} drafted, to take effect ${text(event.data.effectiveFrom)} once both parties sign`;
    case 'concord.agreement.version-signed.v1':
      return `Quality agreement ${text(event.data.agreementId)} version ${text(event.data.version)} signed by the ${text(event.data.party)} (${text(event.data.signature.printedName)})`;
    case 'concord.agreement.terminated.v1':
      return `Quality agreement ${text(event.data.agreementId)} terminated as of ${text(event.data.effectiveAt)}`;
    case 'concord.batch.scheduled.v1':
      return `Batch ${text(event.data.batchNumber)} scheduled at ${text(event.data.site)} (${quantity(event.data.plannedQuantity)} planned)`;
    case 'concord.batch.manufacturing-started.v1':
      return 'Manufacturing started';
    case 'concord.batch.manufacturing-held.v1':
      return `Manufacturing held: ${text(event.data.reason)}`;
    case 'concord.batch.manufacturing-resumed.v1':
      return `Manufacturing resumed: ${text(event.data.reason)}`;
    case 'concord.batch.manufacturing-aborted.v1':
      return `Manufacturing aborted: ${text(event.data.reason)}`;
    case 'concord.batch.manufacturing-completed.v1':
      return `Manufacturing completed (${quantity(event.data.actualQuantity)})`;
    case 'concord.batch.record-reviewed.v1':
      return event.data.outcome === 'approved'
        ? 'Executed batch record reviewed and approved'
        : 'Executed batch record returned for correction';
    case 'concord.batch.qc-result-recorded.v1':
      return `QC result ${text(event.data.resultId)}, ${text(event.data.test)}: ${text(event.data.value)} ${text(event.data.unit)}`;
    case 'concord.batch.oos-investigation-opened.v1':
      return `OOS investigation ${text(event.data.investigationId)} opened for result ${text(event.data.resultId)}`;
    case 'concord.batch.oos-resolved.v1':
      return `OOS investigation ${text(event.data.investigationId)} resolved: ${text(event.data.outcome)}`;
    case 'concord.batch.coa-issued.v1':
      return `Certificate of analysis ${text(event.data.coaId)} issued`;
    case 'concord.batch.disposition-recorded.v1':
      return `QA disposition: ${text(event.data.decision)}`;
    case 'concord.batch.qp-certified.v1':
      return `Certified by the Qualified Person (register entry ${text(event.data.registerEntryId)})`;
    case 'concord.batch.shipped.v1':
    case 'concord.batch.shipped.v2':
      return `Shipped to ${destination(event.data.destination)} (${quantity(event.data.quantity)})`;
    case 'concord.batch.deviation-linked.v1':
      return `Deviation ${text(event.data.deviationId)} (${text(event.data.severity)}) linked`;
    case 'concord.batch.deviation-link-closed.v1':
      return `Linked deviation ${text(event.data.deviationId)} closed`;
    case 'concord.deviation.reported.v1':
      return `Deviation reported (${text(event.data.severity)}): ${text(event.data.title)}`;
    case 'concord.deviation.reported-late.v1':
      return `Reported ${text(event.data.lateByMinutes)} minutes after the notification deadline ${text(event.data.deadline)}`;
    case 'concord.deviation.due-dates-set.v1':
      return `Due dates set for a ${text(event.data.severity)} deviation under agreement version ${text(event.data.agreementVersion)}: root cause by ${text(event.data.investigation.dueAt)}, CAPA approved by ${text(event.data.capa.dueAt)}, closed by ${text(event.data.closure.dueAt)}`;
    case 'concord.deviation.deadline-due-soon.v1':
      return `The ${text(event.data.deadline)} due date ${text(event.data.dueAt)} is near`;
    case 'concord.deviation.deadline-overdue.v1':
      return `The ${text(event.data.deadline)} due date ${text(event.data.dueAt)} passed${event.data.escalatedTo === undefined ? '' : `; escalated to ${text(event.data.escalatedTo)}`}`;
    case 'concord.deviation.classified.v1':
      return `Classified ${text(event.data.severity)} (${text(event.data.category)})`;
    case 'concord.deviation.investigation-updated.v1':
      return `Investigation updated: ${text(event.data.summary)}`;
    case 'concord.deviation.root-cause-identified.v1':
      return `Root cause identified: ${text(event.data.rootCause)}`;
    case 'concord.deviation.batch-impact-assessed.v1':
      return `Batch impact assessed: ${event.data.assessments.map((a) => `${text(a.batchId)} ${text(a.impact)}`).join(', ')}`;
    case 'concord.deviation.capa-proposed.v1':
      return `CAPA ${text(event.data.capaId)} proposed (${event.data.actions.length} actions)`;
    case 'concord.deviation.capa-approved.v1':
      return `CAPA ${text(event.data.capaId)} approved`;
    case 'concord.deviation.closure-approved.v1':
      return 'Closure approved';
    case 'concord.deviation.closed.v1':
      return `Deviation closed: ${text(event.data.conclusion)}`;
    case 'concord.correction.recorded.v1': {
      const changes = event.data.changes;
      return `Correction: ${changes.map((c) => `${text(c.path)} → ${formatValue(c.newValue)}`).join('; ')}`;
    }
    default:
      return uncatalogued(event);
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
