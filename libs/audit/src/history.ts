import {
  describeEvent,
  formatValue,
  lateEntry,
  reasonOf,
  pointerSegments,
  type AgreementVersion,
  type ElectronicSignature,
  type OrganizationDirectory,
} from '@concord/domain';
import type { EventStore, JsonObject, RecordedEvent } from '@concord/event-store';
import { streams } from '@concord/ingest';
import type { PlatformKeyring } from '@concord/evidence';
import { AuditFacts, type AuditOptions } from './audit-facts.ts';
import { applyCorrections, type CorrectedValue } from './corrections.ts';
import { eSignatureOf, signatureStatusOf, type SignatureStatus } from './signature-status.ts';
import { actorOf, isPlatformEvent, occurredAtOf } from './stored-event.ts';

/** What has a history: the records partners exchange, and the administration behind them. */
export type SubjectKind = 'batch' | 'deviation' | 'organization' | 'agreement';

export interface AuditSubject {
  kind: SubjectKind;
  id: string;
  streamId: string;
}

/** Asked about a batch or deviation the store holds no event of. */
export class UnknownSubjectError extends Error {
  override readonly name = 'UnknownSubjectError';
  readonly subject: AuditSubject;

  constructor(subject: AuditSubject) {
    super(
      `The store holds no ${subject.kind} ${subject.id} (stream ${subject.streamId} is empty).`,
    );
    this.subject = subject;
  }
}

export function auditSubject(kind: SubjectKind, id: string): AuditSubject {
  return { kind, id, streamId: streams[kind](id) };
}

export interface Who {
  personId: string;
  /** As registered with the platform (role grants), else as the person signed. */
  printedName: string | null;
  organizationId: string;
  organizationName: string | null;
  role: string | null;
}

/** The quality agreement, and the version of it, under which the act was performed. */
export interface Authority {
  agreementId: string;
  /** Null when no version was in force at the time (before the first, after termination). */
  version: number | null;
  effectiveFrom: string | null;
}

/** A value a later correction changed: the "changed since first entry" mark (Annex 11 §8.2). */
export interface ChangeMark extends CorrectedValue {
  correctionEventId: string;
  occurredAt: string;
  recordedAt: string;
  reason: string;
}

export interface HistoryEntry {
  eventId: string;
  streamId: string;
  streamVersion: number;
  /** The store's global position, as text (it can exceed a JavaScript number). */
  globalPosition: string;
  type: string;
  /** The data as first entered: never changed. */
  data: JsonObject;
  /** The data with every later correction applied: the values as they stand now. */
  currentData: JsonObject;
  summary: string;
  who: Who;
  /** When it happened, according to the party that acted. */
  occurredAt: string;
  /** When the platform recorded it (the store's clock). */
  recordedAt: string;
  /** Set when it was recorded well after it occurred (a late entry: legitimate, and shown). */
  lateEntry: { recordedAfterMinutes: number; description: string } | null;
  why: string | null;
  authority: Authority | null;
  signature: SignatureStatus;
  eSignature: ElectronicSignature | null;
  /** For a correction: what it corrected, each value before and after, and why. */
  correction: {
    correctedEventId: string;
    correctedEventType: string | null;
    changes: CorrectedValue[];
    reason: string;
  } | null;
  changedSinceFirstEntry: ChangeMark[];
  hash: string;
  previousHash: string | null;
}

export interface History {
  subject: AuditSubject;
  agreementId: string | null;
  entries: HistoryEntry[];
}

/** What `buildHistory` needs to know beyond the events; pure lookups, loaded beforehand. */
export interface HistoryContext {
  directoryOf(organizationId: string): OrganizationDirectory | undefined;
  /** The platform's public keys (from outside the database); undefined: not checked. */
  platformKeyring?: PlatformKeyring | undefined;
  agreementId: string | null;
  agreementAt(instant: string): AgreementVersion | undefined;
}

const PLATFORM_NAME = 'Concord platform';

/** Every event of a batch's stream, with who, what, when, why, on whose authority and its proof. */
export function batchHistory(
  store: EventStore,
  batchId: string,
  options: AuditOptions = {},
): Promise<History> {
  return subjectHistory(store, auditSubject('batch', batchId), new AuditFacts(store, options));
}

/** Every event of a deviation's stream, as `batchHistory`. */
export function deviationHistory(
  store: EventStore,
  deviationId: string,
  options: AuditOptions = {},
): Promise<History> {
  return subjectHistory(
    store,
    auditSubject('deviation', deviationId),
    new AuditFacts(store, options),
  );
}

/**
 * Every administrative act on an organization (registration, administrators, people and roles,
 * partner systems and API keys, signing keys), with who, when, why and its signatures.
 */
export function organizationHistory(
  store: EventStore,
  organizationId: string,
  options: AuditOptions = {},
): Promise<History> {
  return subjectHistory(
    store,
    auditSubject('organization', organizationId),
    new AuditFacts(store, options),
  );
}

/** Every draft, signature, approval and termination of a quality agreement, as above. */
export function agreementHistory(
  store: EventStore,
  agreementId: string,
  options: AuditOptions = {},
): Promise<History> {
  return subjectHistory(
    store,
    auditSubject('agreement', agreementId),
    new AuditFacts(store, options),
  );
}

/** Reads a subject's stream and what the history needs from other streams. */
export async function subjectHistory(
  store: EventStore,
  subject: AuditSubject,
  facts: AuditFacts = new AuditFacts(store),
): Promise<History> {
  const events = await store.readStream(subject.streamId);
  if (events.length === 0) throw new UnknownSubjectError(subject);
  const agreementId = agreementIdOf(events);
  const [agreement] = await Promise.all([
    agreementId === null ? undefined : facts.agreementHistory(agreementId),
    facts.organizationsOf(events),
  ]);
  return buildHistory(subject, events, {
    directoryOf: facts.directoryOf,
    platformKeyring: facts.platformKeyring,
    agreementId,
    agreementAt: (instant) => agreement?.at(instant),
  });
}

function metadataReason(event: RecordedEvent): string | null {
  const { reason } = event.metadata;
  return typeof reason === 'string' && reason.trim() !== '' ? reason : null;
}

/** The agreement a batch was scheduled, or a deviation reported, under. */
export function agreementIdOf(events: readonly RecordedEvent[]): string | null {
  const first = events[0]?.data.agreementId;
  return typeof first === 'string' ? first : null;
}

/** The history of a stream's events (in stream order). Pure. */
export function buildHistory(
  subject: AuditSubject,
  events: readonly RecordedEvent[],
  context: HistoryContext,
): History {
  const { dataById, applied } = applyCorrections(events);
  const marks = new Map<string, ChangeMark[]>();
  const corrections = new Map<string, (typeof applied)[number]>();
  for (const correction of applied) {
    corrections.set(correction.correction.id, correction);
    const list = marks.get(correction.correctedEventId) ?? [];
    for (const change of correction.changes) {
      list.push({
        ...change,
        correctionEventId: correction.correction.id,
        occurredAt: occurredAtOf(correction.correction),
        recordedAt: correction.correction.recordedAt,
        reason: correction.reason,
      });
    }
    marks.set(correction.correctedEventId, list);
  }

  const entries = events.map((event): HistoryEntry => {
    const occurredAt = occurredAtOf(event);
    const correction = corrections.get(event.id);
    const agreement = context.agreementId === null ? undefined : context.agreementAt(occurredAt);
    return {
      eventId: event.id,
      streamId: event.streamId,
      streamVersion: event.streamVersion,
      globalPosition: String(event.globalPosition),
      type: event.type,
      data: event.data,
      currentData: dataById.get(event.id) ?? event.data,
      summary: correction
        ? describeCorrection(
            correction.correctedEventType,
            events.find((e) => e.id === correction.correctedEventId)?.data,
            correction.changes,
          )
        : describeEvent(event.type, event.data),
      who: whoOf(event, context.directoryOf),
      occurredAt,
      recordedAt: event.recordedAt,
      lateEntry: lateEntry(occurredAt, event.recordedAt) ?? null,
      // An administrative act states its reason beside its data (the platform signs both).
      why: reasonOf(event.data) ?? metadataReason(event),
      authority:
        context.agreementId === null
          ? null
          : {
              agreementId: context.agreementId,
              version: agreement?.version ?? null,
              effectiveFrom: agreement?.effectiveFrom ?? null,
            },
      signature: signatureStatusOf(event, context.directoryOf, context.platformKeyring),
      eSignature: eSignatureOf(event),
      correction: correction
        ? {
            correctedEventId: correction.correctedEventId,
            correctedEventType: correction.correctedEventType,
            changes: correction.changes,
            reason: correction.reason,
          }
        : null,
      changedSinceFirstEntry: marks.get(event.id) ?? [],
      hash: event.hash,
      previousHash: event.previousHash,
    };
  });
  return { subject, agreementId: context.agreementId, entries };
}

/** Who acted: the person, their printed name as registered (or as they signed), organization and role. */
export function whoOf(
  event: RecordedEvent,
  directoryOf: (organizationId: string) => OrganizationDirectory | undefined,
): Who {
  const actor = actorOf(event);
  if (isPlatformEvent(event)) {
    return {
      personId: actor.personId,
      printedName: PLATFORM_NAME,
      organizationId: actor.organizationId,
      organizationName: PLATFORM_NAME,
      role: actor.role,
    };
  }
  const directory = directoryOf(actor.organizationId);
  const eSignature = eSignatureOf(event);
  return {
    personId: actor.personId,
    printedName:
      directory?.people.get(actor.personId)?.printedName ??
      (eSignature?.signerId === actor.personId ? eSignature.printedName : null),
    organizationId: actor.organizationId,
    organizationName: directory?.name ?? null,
    role: actor.role ?? heldClaim(actor, directory),
  };
}

/** An older event's claimed role, shown only when the registry says the person holds it. */
function heldClaim(
  actor: ReturnType<typeof actorOf>,
  directory: OrganizationDirectory | undefined,
): string | null {
  const { claimedRole } = actor;
  if (claimedRole === null) return null;
  const roles = directory?.people.get(actor.personId)?.roles as ReadonlySet<string> | undefined;
  return roles?.has(claimedRole) ? claimedRole : null;
}

/** "Corrected value 98.1 → 97.6 in: QC result …, Purity by SEC-HPLC: 98.1 %". */
function describeCorrection(
  correctedType: string | null,
  correctedData: JsonObject | undefined,
  changes: readonly CorrectedValue[],
): string {
  const values = changes
    .map(
      (change) =>
        `${readablePath(change.path)} ${formatValue(change.oldValue)} → ${formatValue(change.newValue)}`,
    )
    .join('; ');
  const what =
    correctedType && correctedData
      ? describeEvent(correctedType, correctedData)
      : 'an event that is not in this stream';
  return `Corrected ${values} in: ${what}`;
}

/** `/actualQuantity/value` → `actualQuantity.value`; a malformed pointer as it is. */
function readablePath(path: string): string {
  try {
    return pointerSegments(path).join('.') || '(the whole value)';
  } catch {
    return path;
  }
}
