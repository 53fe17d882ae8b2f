import type { ElectronicSignature } from '@concord/domain';
import type { EventStore, Json } from '@concord/event-store';
import { streams } from '@concord/ingest';
import { AuditFacts, type AuditOptions } from './audit-facts.ts';
import type { CorrectedValue } from './corrections.ts';
import {
  agreementIdOf,
  auditSubject,
  buildHistory,
  UnknownSubjectError,
  type Authority,
  type HistoryEntry,
  type Who,
} from './history.ts';
import type { SignatureStatus } from './signature-status.ts';
import {
  eventsAsOf,
  foldBatchAsOf,
  foldDeviationAsOf,
  type AsOf,
  type BatchFactsAsOf,
  type DeviationFactsAsOf,
} from './state-as-of.ts';
import { linkedDeviationIds, verifyAudit, type AuditVerification } from './verify-audit.ts';

export const AUDIT_REPORT_FORMAT = 'concord.audit-report.v1';

/** A signature manifestation (21 CFR 11.50): who signed, when, meaning what, bound to which act. */
export interface SignatureManifestation {
  eventId: string;
  streamId: string;
  eventType: string;
  /** The act signed, in one line. */
  act: string;
  signerId: string;
  printedName: string;
  signedAt: string;
  meaning: string;
  reason: string;
  organizationId: string;
  organizationName: string | null;
  role: string | null;
  /** How the act's origin is proven beyond the e-signature (the partner system's key, or the API). */
  origin: SignatureStatus;
}

export interface CorrectionEntry {
  correctionEventId: string;
  streamId: string;
  correctedEventId: string;
  correctedEventType: string | null;
  changes: CorrectedValue[];
  reason: string;
  who: Who;
  occurredAt: string;
  recordedAt: string;
}

export interface LinkedDeviation {
  deviationId: string;
  /** Null when the deviation was not yet reported at the report's instant. */
  facts: DeviationFactsAsOf | null;
  timeline: HistoryEntry[];
}

export interface AuditReport {
  format: typeof AUDIT_REPORT_FORMAT;
  generatedAt: string;
  /** Null: the record as the store holds it now. */
  asOf: AsOf | null;
  batch: {
    batchId: string;
    batchNumber: string;
    product: { productId: string; name: string | null };
    sponsor: { organizationId: string; name: string | null };
    cdmo: { organizationId: string; name: string | null };
    /** The agreement, and the version in force at the report's instant. */
    authority: Authority;
  };
  /** The batch as it stood, folded by the domain's `evolveBatch`. Null: not yet scheduled then. */
  state: BatchFactsAsOf | null;
  timeline: HistoryEntry[];
  deviations: LinkedDeviation[];
  signatures: SignatureManifestation[];
  corrections: CorrectionEntry[];
  /** Verification of the whole record as stored now, whatever the report's instant. */
  verification: AuditVerification;
  /** The streams the report rests on, each with its version and head hash. */
  anchors: { streamId: string; role: string; version: number; headHash: string | null }[];
}

export interface AuditReportOptions extends AuditOptions {
  /** Report the batch as it stood at this instant. @default the record as it is now */
  asOf?: AsOf;
  /** The clock for `generatedAt`. @default () => new Date() */
  clock?: () => Date;
}

/**
 * Everything an inspector asks about one batch, as one JSON document: the batch and its state
 * (as of an instant, if asked), its timeline, its linked deviations with their CAPA, every
 * e-signature with its manifestation, every correction with old and new values, and the
 * verification of the record with the hashes that anchor it.
 */
export async function auditReport(
  store: EventStore,
  batchId: string,
  options: AuditReportOptions = {},
): Promise<AuditReport> {
  const generatedAt = (options.clock ?? (() => new Date()))().toISOString();
  const asOf = options.asOf ?? null;
  const subject = auditSubject('batch', batchId);
  const events = await store.readStream(subject.streamId);
  if (events.length === 0) throw new UnknownSubjectError(subject);

  const facts = new AuditFacts(store, options);
  const deviationStreams = await Promise.all(
    linkedDeviationIds(events).map(async (deviationId) => ({
      deviationId,
      events: await store.readStream(streams.deviation(deviationId)),
    })),
  );
  const agreementId = agreementIdOf(events);
  const [agreement, verification] = await Promise.all([
    agreementId === null ? undefined : facts.agreementHistory(agreementId),
    verifyAudit(
      store,
      { batchId },
      {
        ...(options.platformKeyring ? { platformKeyring: options.platformKeyring } : {}),
        ...(options.checkpoint ? { checkpoint: options.checkpoint } : {}),
      },
    ),
    facts.organizationsOf([events, ...deviationStreams.map((d) => d.events)].flat()),
  ]);
  const context = (id: string | null) => ({
    directoryOf: facts.directoryOf,
    platformKeyring: facts.platformKeyring,
    agreementId: id,
    agreementAt: (instant: string) => (id === agreementId ? agreement?.at(instant) : undefined),
  });

  const timeline = buildHistory(subject, eventsAsOf(events, asOf), context(agreementId)).entries;
  const state = foldBatchAsOf(subject, events, asOf).facts;
  const deviations = deviationStreams.map(({ deviationId, events: deviationEvents }) => {
    const deviationSubject = auditSubject('deviation', deviationId);
    const included = eventsAsOf(deviationEvents, asOf);
    return {
      deviationId,
      facts: foldDeviationAsOf(deviationSubject, deviationEvents, asOf).facts,
      timeline:
        included.length === 0
          ? []
          : buildHistory(deviationSubject, included, context(agreementIdOf(deviationEvents)))
              .entries,
    };
  });

  const scheduled = events[0]!.data as Record<string, Json>;
  const instant = asOf?.instant ?? generatedAt;
  const inForce = agreement?.at(instant);
  const productId = String(scheduled.productId);
  const nameOf = (organizationId: string) => facts.directoryOf(organizationId)?.name ?? null;
  const allEntries = [...timeline, ...deviations.flatMap((d) => d.timeline)];
  return {
    format: AUDIT_REPORT_FORMAT,
    generatedAt,
    asOf,
    batch: {
      batchId,
      batchNumber: String(scheduled.batchNumber),
      product: {
        productId,
        name: inForce?.products.find((p) => p.productId === productId)?.name ?? null,
      },
      sponsor: {
        organizationId: String(scheduled.sponsorId),
        name: nameOf(String(scheduled.sponsorId)),
      },
      cdmo: { organizationId: String(scheduled.cdmoId), name: nameOf(String(scheduled.cdmoId)) },
      authority: {
        agreementId: agreementId ?? '',
        version: inForce?.version ?? null,
        effectiveFrom: inForce?.effectiveFrom ?? null,
      },
    },
    state,
    timeline,
    deviations,
    signatures: allEntries
      .flatMap(manifestationOf)
      .sort((a, b) => Date.parse(a.signedAt) - Date.parse(b.signedAt)),
    corrections: allEntries.flatMap((entry): CorrectionEntry[] =>
      entry.correction
        ? [
            {
              correctionEventId: entry.eventId,
              streamId: entry.streamId,
              ...entry.correction,
              who: entry.who,
              occurredAt: entry.occurredAt,
              recordedAt: entry.recordedAt,
            },
          ]
        : [],
    ),
    verification,
    anchors: verification.verifiedStreams.map(({ streamId, role, version, headHash }) => ({
      streamId,
      role,
      version,
      headHash,
    })),
  };
}

function manifestationOf(entry: HistoryEntry): SignatureManifestation[] {
  const signature: ElectronicSignature | null = entry.eSignature;
  if (!signature) return [];
  return [
    {
      eventId: entry.eventId,
      streamId: entry.streamId,
      eventType: entry.type,
      act: entry.summary,
      signerId: signature.signerId,
      printedName: signature.printedName,
      signedAt: signature.signedAt,
      meaning: signature.meaning,
      reason: signature.reason,
      organizationId: entry.who.organizationId,
      organizationName: entry.who.organizationName,
      role: entry.who.role,
      origin: entry.signature,
    },
  ];
}
