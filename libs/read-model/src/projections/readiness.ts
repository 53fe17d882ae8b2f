import { releaseBlocks, type OosStatus, type Severity } from '@concord/domain';
import type { ProjectionContext } from './projection.ts';
import type { BatchRow, DeviationRow, ReleaseBlocker } from './rows.ts';

/** Statuses after which release readiness no longer applies (the batch is out of the pipeline). */
const finished = new Set(['aborted', 'qp-certified', 'shipped']);
/** Statuses in which a missing CoA still blocks (the domain lets QA disposition before it). */
const awaitingCoa = new Set(['qc-testing', 'dispositioned']);

/**
 * Review by exception: everything that stands between a batch and its release, most serious
 * first. What the domain refuses release for (`releaseBlocks`: open major/critical linked
 * deviations, open or confirmed OOS investigations); a blocking deviation whose CAPA or closure
 * waits for the sponsor is a pending approval; and the documents the lifecycle still needs
 * (CoA, disposition, QP certification) are listed as missing.
 */
export function releaseBlockers(
  batch: BatchRow,
  deviationOf: (id: string) => DeviationRow | undefined,
): ReleaseBlocker[] {
  if (finished.has(batch.status)) return [];
  const blockers: ReleaseBlocker[] = [];
  // The deviation's own severity is the latest word on it (a reclassification reaches the
  // batch stream only through the process manager).
  const openDeviations = Object.fromEntries(
    Object.entries(batch.open_deviations).map(([deviationId, linkedSeverity]) => [
      deviationId,
      (deviationOf(deviationId)?.severity ?? linkedSeverity) as Severity,
    ]),
  );
  const oosInvestigations = batch.oos_investigations as Record<string, OosStatus>;
  // What refuses release is the domain's rule; the read model adds what is still to be done.
  for (const block of releaseBlocks({ openDeviations, oosInvestigations })) {
    if (block.kind !== 'open-deviation') {
      blockers.push({
        kind: block.kind,
        reference: block.reference,
        severity: null,
        description:
          block.kind === 'open-oos'
            ? `OOS investigation ${block.reference} is open`
            : `OOS investigation ${block.reference} confirmed an out-of-specification result`,
      });
      continue;
    }
    const { reference: deviationId, severity } = block;
    const deviation = deviationOf(deviationId);
    const title = deviation ? `: ${deviation.title}` : '';
    blockers.push({
      kind: 'open-deviation',
      reference: deviationId,
      severity,
      description: `Open ${severity} deviation ${deviationId}${title}`,
    });
    // The sponsor's approvals gate release for the deviations that block it.
    if (deviation?.capa_status === 'proposed') {
      blockers.push({
        kind: 'pending-sponsor-approval',
        reference: deviationId,
        severity,
        description: `CAPA ${deviation.capa_id ?? ''} of deviation ${deviationId} awaits approval`,
      });
    } else if (deviation?.status === 'capa-approved') {
      blockers.push({
        kind: 'pending-sponsor-approval',
        reference: deviationId,
        severity,
        description: `Closure of deviation ${deviationId} awaits approval`,
      });
    }
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

/** The steps still to come; every other blocker refuses release until it is resolved. */
const REMAINING_STEPS: ReadonlySet<ReleaseBlocker['kind']> = new Set([
  'missing-coa',
  'missing-disposition',
  'missing-certification',
]);

/** Whether a blocker stops release outright, rather than being a step still to come. */
export function blocksReleaseOutright(kind: ReleaseBlocker['kind']): boolean {
  return !REMAINING_STEPS.has(kind);
}

/** Ready for release: nothing but the final acts (disposition, certification) remains. */
export function isReleaseReady(blockers: readonly ReleaseBlocker[], status: string): boolean {
  if (finished.has(status)) return status !== 'aborted';
  return (
    ['coa-issued', 'dispositioned'].includes(status) &&
    blockers.every((blocker) => FINAL_ACTS.has(blocker.kind))
  );
}

/** The acts that end the pipeline: all that may remain of a batch ready for release. */
const FINAL_ACTS: ReadonlySet<ReleaseBlocker['kind']> = new Set([
  'missing-disposition',
  'missing-certification',
]);

/** Readiness in a fixed field order (jsonb hands objects back with their keys reordered). */
export function readinessKey(batch: BatchRow): string {
  return JSON.stringify([
    batch.blockers.map(({ kind, reference, severity, description }) => [
      kind,
      reference,
      severity,
      description,
    ]),
    batch.release_ready,
  ]);
}

/**
 * The readiness projection, run once a chunk's events are applied: the batches the chunk moved,
 * directly or through a linked deviation, get their blockers recomputed; a batch whose readiness
 * differs from `before` (its readiness when the chunk read it; none for a new batch) is written
 * back and announced.
 */
export async function refreshReadiness(
  context: ProjectionContext,
  before: ReadonlyMap<string, string>,
): Promise<void> {
  const { batches, deviations, links } = context.tables;
  const moved = new Set(batches.changedKeys());
  const changedDeviations = new Set(deviations.changedKeys());
  for (const link of links.values())
    if (changedDeviations.has(link.deviation_id)) moved.add(link.batch_id);
  for (const batchId of moved) {
    const batch = await batches.find(batchId);
    if (!batch) continue;
    await deviations.load(Object.keys(batch.open_deviations));
    const blockers = releaseBlockers(batch, (id) => deviations.get(id));
    batch.blockers = blockers;
    batch.blocker_count = blockers.length;
    batch.release_ready = isReleaseReady(blockers, batch.status);
    if (readinessKey(batch) !== (before.get(batchId) ?? '')) {
      batches.touch(batch);
      context.announce('readiness', batch, BigInt(batch.last_position));
    }
  }
}

/** Every kind of blocker (the compiler checks the list is whole). */
const BLOCKER_KINDS: { readonly [Kind in ReleaseBlocker['kind']]: true } = {
  'open-deviation': true,
  'pending-sponsor-approval': true,
  'open-oos': true,
  'confirmed-oos': true,
  'missing-coa': true,
  'missing-disposition': true,
  'disposition-not-released': true,
  'missing-certification': true,
};

const textOrNull = (value: unknown): value is string | null =>
  value === null || typeof value === 'string';

function isReleaseBlocker(item: unknown): item is ReleaseBlocker {
  if (typeof item !== 'object' || item === null) return false;
  const { kind, reference, severity, description } = item as Record<string, unknown>;
  return (
    typeof kind === 'string' &&
    Object.hasOwn(BLOCKER_KINDS, kind) &&
    textOrNull(reference) &&
    textOrNull(severity) &&
    typeof description === 'string'
  );
}

/**
 * The blockers of a batch as its JSON column holds them (what `releaseBlockers` wrote); anything
 * else in the column is left out rather than shown as a blocker.
 */
export function releaseBlockersOf(column: unknown): ReleaseBlocker[] {
  return Array.isArray(column) ? column.filter(isReleaseBlocker) : [];
}
