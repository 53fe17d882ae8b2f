import type { EventStore, RecordedEvent } from '@concord/event-store';
import {
  checkpointOf,
  inclusionIn,
  publicHalf,
  readLog,
  type LogSnapshot,
  type PlatformKey,
  type PlatformKeyring,
} from '@concord/evidence';
import {
  consistencyProof,
  EVIDENCE_BUNDLE_FORMAT,
  toBase64,
  type BundleEvent,
  type EvidenceBundle,
  type SignedCheckpoint,
} from '@concord/verifier';
import { auditReport, type AuditReport } from './audit-report.ts';
import { renderAuditReportHtml } from './render-audit-report-html.ts';

export interface EvidenceBundleOptions {
  /** Signs the bundle's checkpoint. */
  platformKey: PlatformKey;
  /** Every platform key with its validity (the bundle carries their public halves). */
  platformKeyring: PlatformKeyring;
  /** The platform's latest stored checkpoint: the report says whether the log still holds it. */
  checkpoint?: SignedCheckpoint;
  /** Sizes of checkpoints a partner kept: the bundle proves its log extends each. */
  since?: readonly number[];
  /** The report as PDF too (base64 in the bundle), when given a renderer. */
  renderPdf?: (report: AuditReport) => Promise<Uint8Array>;
  /** @default () => new Date() */
  clock?: () => Date;
}

/** Attempts to see every exported event in the log (a concurrent append may not be visible yet). */
const LOG_READ_ATTEMPTS = 5;

/**
 * One self-contained file for an inspector: every event of the batch, its linked deviations, its
 * agreement and the organizations whose people or keys it rests on (whole streams, with their
 * envelopes, metadata and signatures), the platform's keys with their validity, a checkpoint of
 * the whole log signed now with each event's inclusion proof, and the audit report (JSON, HTML,
 * PDF). `@concord/verifier` checks it without the platform. Proofs carry node hashes only:
 * nothing of another partnership's events.
 */
export async function exportEvidenceBundle(
  store: EventStore,
  batchId: string,
  options: EvidenceBundleOptions,
): Promise<EvidenceBundle> {
  const now = options.clock ?? (() => new Date());
  const report = await auditReport(store, batchId, {
    platformKeyring: options.platformKeyring,
    ...(options.checkpoint ? { checkpoint: options.checkpoint } : {}),
    clock: now,
  });
  const streams = await Promise.all(
    report.verification.verifiedStreams.map(async ({ streamId, role }) => ({
      streamId,
      role,
      events: await store.readStream(streamId),
    })),
  );
  const log = await logHolding(
    store,
    streams.flatMap((stream) => stream.events),
  );
  const exportedAt = now().toISOString();
  for (const size of options.since ?? []) {
    if (!(Number.isSafeInteger(size) && size > 0))
      throw new RangeError(
        `no consistency proof from ${size}: the size of a checkpoint is positive`,
      );
  }
  // From a size larger than the log there is no proof: the verifier then shows that the log the
  // platform signs now is smaller than one it signed before.
  const since = [...new Set(options.since ?? [])].filter((size) => size <= log.leaves.length);
  return {
    format: EVIDENCE_BUNDLE_FORMAT,
    exportedAt,
    subject: { kind: 'batch', id: batchId },
    platformKeys: options.platformKeyring.map(publicHalf),
    checkpoint: checkpointOf(log.leaves, options.platformKey, exportedAt),
    consistencyProofs: since.map((fromTreeSize) => ({
      fromTreeSize,
      proof: consistencyProof(log.leaves, fromTreeSize).map(toBase64),
    })),
    streams: streams.map(({ streamId, role, events }) => ({
      streamId,
      role,
      events: events.map((event) => bundleEvent(event, log)),
    })),
    report: {
      json: report,
      html: renderAuditReportHtml(report),
      ...(options.renderPdf ? { pdfBase64: toBase64(await options.renderPdf(report)) } : {}),
    },
  };
}

/** The log as read after the streams, once it shows every one of their events. */
async function logHolding(
  store: EventStore,
  events: readonly RecordedEvent[],
): Promise<LogSnapshot> {
  for (let attempt = 1; ; attempt++) {
    const log = await readLog(store);
    const missing = events.find((event) => !log.leafIndexOf.has(event.globalPosition));
    if (!missing) return log;
    if (attempt === LOG_READ_ATTEMPTS)
      throw new Error(
        `event ${missing.id} (global position ${missing.globalPosition}) is not in the log: an earlier write has not committed; export again`,
      );
    await new Promise((resolve) => setTimeout(resolve, 50 * attempt));
  }
}

function bundleEvent(event: RecordedEvent, log: LogSnapshot): BundleEvent {
  const inclusion = inclusionIn(log, event.globalPosition)!;
  return {
    streamId: event.streamId,
    streamVersion: event.streamVersion,
    globalPosition: String(event.globalPosition),
    id: event.id,
    type: event.type,
    data: event.data,
    metadata: event.metadata,
    recordedAt: event.recordedAt,
    previousHash: event.previousHash,
    hash: event.hash,
    leafIndex: inclusion.leafIndex,
    inclusionProof: inclusion.proof,
  };
}
