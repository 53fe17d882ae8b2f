import type { BatchRow, DeviationRow, ReleaseBlocker } from './rows.ts';

const severityRank: Record<string, number> = { critical: 0, major: 1, minor: 2 };

/** Statuses after which release readiness no longer applies (the batch is out of the pipeline). */
const finished = new Set(['aborted', 'qp-certified', 'shipped']);
/** Statuses in which a missing CoA still blocks (the domain lets QA disposition before it). */
const awaitingCoa = new Set(['qc-testing', 'dispositioned']);

/**
 * Review by exception: everything that stands between a batch and its release, most serious
 * first. Linked major/critical deviations that are open block release (the domain refuses the
 * disposition); a linked deviation whose CAPA or closure waits for the sponsor is a pending
 * approval; OOS investigations that are open or confirmed block; and the documents the lifecycle
 * still needs (CoA, disposition, QP certification) are listed as missing.
 */
export function releaseBlockers(
  batch: BatchRow,
  deviationOf: (id: string) => DeviationRow | undefined,
): ReleaseBlocker[] {
  if (finished.has(batch.status)) return [];
  const blockers: ReleaseBlocker[] = [];
  const open = Object.entries(batch.open_deviations).sort(
    ([a, severityA], [b, severityB]) =>
      (severityRank[severityA] ?? 9) - (severityRank[severityB] ?? 9) || a.localeCompare(b),
  );
  for (const [deviationId, linkedSeverity] of open) {
    const deviation = deviationOf(deviationId);
    const severity = deviation?.severity ?? linkedSeverity;
    const title = deviation ? `: ${deviation.title}` : '';
    if (severity === 'major' || severity === 'critical') {
      blockers.push({
        kind: 'open-deviation',
        reference: deviationId,
        severity,
        description: `Open ${severity} deviation ${deviationId}${title}`,
      });
    }
    // The sponsor's approvals gate release only for deviations that block it (major, critical).
    const gating = severity === 'major' || severity === 'critical';
    if (gating && deviation?.capa_status === 'proposed') {
      blockers.push({
        kind: 'pending-sponsor-approval',
        reference: deviationId,
        severity,
        description: `CAPA ${deviation.capa_id ?? ''} of deviation ${deviationId} awaits approval`,
      });
    } else if (gating && deviation?.status === 'capa-approved') {
      blockers.push({
        kind: 'pending-sponsor-approval',
        reference: deviationId,
        severity,
        description: `Closure of deviation ${deviationId} awaits approval`,
      });
    }
  }
  for (const [investigationId, status] of Object.entries(batch.oos_investigations).sort()) {
    if (status === 'open')
      blockers.push({
        kind: 'open-oos',
        reference: investigationId,
        severity: null,
        description: `OOS investigation ${investigationId} is open`,
      });
    if (status === 'confirmed')
      blockers.push({
        kind: 'confirmed-oos',
        reference: investigationId,
        severity: null,
        description: `OOS investigation ${investigationId} confirmed an out-of-specification result`,
      });
  }
  if (awaitingCoa.has(batch.status) && batch.coa_id === null)
    blockers.push({
      kind: 'missing-coa',
      reference: null,
      severity: null,
      description: 'No certificate of analysis issued yet',
    });
  // QP certification needs an unconditional release (the domain refuses anything else).
  if (batch.disposition_decision !== null && batch.disposition_decision !== 'released')
    blockers.push({
      kind: 'disposition-not-released',
      reference: null,
      severity: null,
      description: `QA disposition: ${batch.disposition_decision}`,
    });
  if (batch.disposition_decision === null)
    blockers.push({
      kind: 'missing-disposition',
      reference: null,
      severity: null,
      description: 'No QA disposition recorded yet',
    });
  if (batch.certified_at === null)
    blockers.push({
      kind: 'missing-certification',
      reference: null,
      severity: null,
      description: 'Not certified by a Qualified Person yet',
    });
  return blockers;
}

/** Ready for release: nothing but the final acts (disposition, certification) remains. */
export function isReleaseReady(blockers: readonly ReleaseBlocker[], status: string): boolean {
  if (finished.has(status)) return status !== 'aborted';
  const finalActs = new Set(['missing-disposition', 'missing-certification']);
  return (
    ['coa-issued', 'dispositioned'].includes(status) &&
    blockers.every((blocker) => finalActs.has(blocker.kind))
  );
}
