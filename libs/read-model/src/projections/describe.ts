/** One sentence per event for the timeline: what happened, in the words of the people involved. */
export function describeEvent(type: string, data: Record<string, unknown>): string {
  const d = data as Record<string, never>;
  const quantity = (q: { value: number; unit: string } | undefined) =>
    q ? `${q.value} ${q.unit}` : '';
  switch (type) {
    case 'concord.batch.scheduled.v1':
      return `Batch ${d.batchNumber} scheduled at ${d.site} (${quantity(d.plannedQuantity)} planned)`;
    case 'concord.batch.manufacturing-started.v1':
      return 'Manufacturing started';
    case 'concord.batch.manufacturing-held.v1':
      return `Manufacturing held: ${d.reason}`;
    case 'concord.batch.manufacturing-resumed.v1':
      return `Manufacturing resumed: ${d.reason}`;
    case 'concord.batch.manufacturing-aborted.v1':
      return `Manufacturing aborted: ${d.reason}`;
    case 'concord.batch.manufacturing-completed.v1':
      return `Manufacturing completed (${quantity(d.actualQuantity)})`;
    case 'concord.batch.record-reviewed.v1':
      return d.outcome === 'approved'
        ? 'Batch record reviewed and approved'
        : 'Batch record returned for correction';
    case 'concord.batch.qc-result-recorded.v1':
      return `QC result ${d.test}: ${d.value} ${d.unit}`;
    case 'concord.batch.oos-investigation-opened.v1':
      return `OOS investigation ${d.investigationId} opened for result ${d.resultId}`;
    case 'concord.batch.oos-resolved.v1':
      return `OOS investigation ${d.investigationId} resolved: ${d.outcome}`;
    case 'concord.batch.coa-issued.v1':
      return `Certificate of analysis ${d.coaId} issued`;
    case 'concord.batch.disposition-recorded.v1':
      return `QA disposition: ${d.decision}`;
    case 'concord.batch.qp-certified.v1':
      return `Certified by the Qualified Person (register entry ${d.registerEntryId})`;
    case 'concord.batch.shipped.v1':
    case 'concord.batch.shipped.v2':
      return `Shipped to ${destinationOf(d.destination)} (${quantity(d.quantity)})`;
    case 'concord.batch.deviation-linked.v1':
      return `Deviation ${d.deviationId} (${d.severity}) linked`;
    case 'concord.batch.deviation-link-closed.v1':
      return `Linked deviation ${d.deviationId} closed`;
    case 'concord.deviation.reported.v1':
      return `Deviation reported (${d.severity}): ${d.title}`;
    case 'concord.deviation.reported-late.v1':
      return `Reported ${d.lateByMinutes} minutes after the notification deadline`;
    case 'concord.deviation.classified.v1':
      return `Classified ${d.severity} (${d.category})`;
    case 'concord.deviation.investigation-updated.v1':
      return `Investigation updated: ${d.summary}`;
    case 'concord.deviation.root-cause-identified.v1':
      return `Root cause identified: ${d.rootCause}`;
    case 'concord.deviation.batch-impact-assessed.v1':
      return `Batch impact assessed for ${(d.assessments as unknown as unknown[]).length} batch(es)`;
    case 'concord.deviation.capa-proposed.v1':
      return `CAPA ${d.capaId} proposed`;
    case 'concord.deviation.capa-approved.v1':
      return `CAPA ${d.capaId} approved`;
    case 'concord.deviation.closure-approved.v1':
      return 'Closure approved';
    case 'concord.deviation.closed.v1':
      return `Deviation closed: ${d.conclusion}`;
    case 'concord.correction.recorded.v1':
      return `Correction of ${(d.changes as unknown as { path: string }[]).map((c) => c.path).join(', ')}`;
    default:
      return type;
  }
}

/** Why it happened, where the event says: a stated reason, a rationale, or the signature's reason. */
export function reasonOf(data: Record<string, unknown>): string | null {
  for (const key of ['reason', 'rationale', 'conclusion'] as const) {
    const value = data[key];
    if (typeof value === 'string') return value;
  }
  const signature = data.signature as { reason?: unknown } | undefined;
  return typeof signature?.reason === 'string' ? signature.reason : null;
}

/** shipped v1 names the destination in free text, v2 as a site and a country. */
function destinationOf(destination: unknown): string {
  if (typeof destination === 'string') return destination;
  const { siteName, country } = (destination ?? {}) as { siteName?: string; country?: string };
  return [siteName, country].filter(Boolean).join(', ');
}
