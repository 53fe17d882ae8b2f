import {
  StreamChain,
  type ChainBreak,
  type EventStore,
  type RecordedEvent,
  type VerifyResult,
} from '@concord/event-store';
import { streams } from '@concord/ingest';
import { AuditFacts, type AuditOptions } from './audit-facts.ts';
import { auditSubject, UnknownSubjectError, type AuditSubject } from './history.ts';
import {
  describeSignatureStatus,
  isSignatureProblem,
  signatureStatusOf,
  type SignatureStatusKind,
} from './signature-status.ts';
import { actorOf } from './stored-event.ts';
import { verifyAgainstCheckpoint, type CheckpointVerification } from './verify-checkpoint.ts';

export type AuditScope = { batchId: string } | { deviationId: string } | 'all';

type ChainProblem = Extract<VerifyResult, { ok: false }>['brokenLink']['problem'];

/** Where the record stops proving itself, and why. */
export interface BrokenLink {
  streamId: string;
  streamVersion: number;
  /** Null when the link is the stream head (its last event was removed). */
  eventId: string | null;
  /** Which check failed: the stream's hash chain, or the event's proof of origin. */
  check: 'hash-chain' | 'signature';
  problem: ChainProblem | SignatureStatusKind;
  /** What is wrong, in words. */
  detail: string;
  expected?: string | null;
  actual?: string | null;
}

/** Why a stream belongs to a scoped verification. */
export type StreamRole = 'subject' | 'linked deviation' | 'agreement' | 'organization';

export interface VerifiedStream {
  streamId: string;
  role: StreamRole;
  /** The stream's version and head hash: what anchors the verified record. */
  version: number;
  headHash: string | null;
  chainOk: boolean;
  events: number;
}

export interface SignatureTally {
  checked: number;
  valid: number;
  eSignatureOnly: number;
  platform: number;
  problems: number;
}

export interface AuditVerification {
  ok: boolean;
  scope: AuditScope;
  /** Streams whose hash chain was recomputed, and the events in them. */
  streams: number;
  events: number;
  signatures: SignatureTally;
  /** The first broken link (null when everything verifies). */
  brokenLink: BrokenLink | null;
  /** Every problem found, up to `maxProblems`. */
  problems: BrokenLink[];
  /** The scoped streams with their anchors; empty for `all` (they would not fit in memory). */
  verifiedStreams: VerifiedStream[];
  /** The store's head position when the verification started. */
  headPosition: string;
  /**
   * The store against the platform's latest signed checkpoint (null: none was given, or no
   * keyring to check its signature): not only does the record verify against itself, the log
   * still holds exactly what the platform signed.
   */
  checkpoint: CheckpointCheck | null;
}

export type CheckpointCheck = CheckpointVerification & {
  treeSize: number;
  timestamp: string;
};

export interface VerifyProgress {
  /** Events whose signature status was checked so far. */
  eventsChecked: number;
  streamsChecked: number;
  /** Global position reached, out of `headPosition` (the head when the verification started). */
  position: bigint;
  headPosition: bigint;
}

export interface VerifyAuditOptions extends AuditOptions {
  onProgress?: (progress: VerifyProgress) => void;
  /** Events read per page when verifying everything. @default 1000 */
  pageSize?: number;
  /** Problems kept in the result. @default 100 */
  maxProblems?: number;
}

/**
 * Verifies what an audit rests on: recomputes the hash chain of each stream in scope (the
 * store's own `verify`) and checks every partner signature again against the key its sender had
 * registered, and that was valid, when the event occurred. A batch's scope is its stream, its
 * linked deviations, its agreement and the organizations whose people acted or whose keys signed
 * (the keys are only as good as those streams). `all` pages through the whole store in global
 * order with bounded memory, verifying each stream's chain when it first appears.
 */
export async function verifyAudit(
  store: EventStore,
  scope: AuditScope,
  options: VerifyAuditOptions | VerifyAuditOptions['onProgress'] = {},
): Promise<AuditVerification> {
  const settings = typeof options === 'function' ? { onProgress: options } : options;
  const verification =
    scope === 'all' ? await verifyAll(store, settings) : await verifyScoped(store, scope, settings);
  const { checkpoint, platformKeyring } = settings;
  if (!checkpoint || !platformKeyring) return verification;
  const held = await verifyAgainstCheckpoint(store, checkpoint, platformKeyring);
  return {
    ...verification,
    ok: verification.ok && held.ok,
    checkpoint: { ...held, treeSize: checkpoint.treeSize, timestamp: checkpoint.timestamp },
  };
}

/** The verdict against the platform's signed checkpoint, in one sentence. */
export function describeCheckpointCheck(check: CheckpointCheck | null): string {
  if (!check)
    return 'Not checked against a signed checkpoint of the log: the record was verified against itself only';
  return check.ok
    ? `The log still holds exactly the ${check.treeSize} events of the platform's signed checkpoint of ${check.timestamp} (key ${check.keyId}): none was changed, removed, inserted or reordered since`
    : `The log does NOT hold what the platform signed at ${check.timestamp} (${check.problem}): ${check.detail}`;
}

class Findings {
  readonly problems: BrokenLink[] = [];
  readonly tally: SignatureTally = {
    checked: 0,
    valid: 0,
    eSignatureOnly: 0,
    platform: 0,
    problems: 0,
  };
  first: BrokenLink | null = null;
  streams = 0;
  events = 0;
  readonly #max: number;

  constructor(maxProblems: number) {
    this.#max = maxProblems;
  }

  add(link: BrokenLink): void {
    this.first ??= link;
    if (this.problems.length < this.#max) this.problems.push(link);
  }

  /** Recomputes one stream's chain; true when it holds. */
  async chain(store: EventStore, streamId: string): Promise<boolean> {
    const result = await store.verify({ streamId });
    this.streams++;
    this.events += result.events;
    if (result.ok) return true;
    const { brokenLink } = result;
    this.chainBreak(brokenLink.streamId, brokenLink);
    return false;
  }

  /** A link of a stream's chain that does not hold. */
  chainBreak(streamId: string, link: ChainBreak): void {
    this.add({
      streamId,
      streamVersion: link.streamVersion,
      eventId: link.eventId,
      check: 'hash-chain',
      problem: link.problem,
      detail: describeChainProblem(link.problem),
      expected: link.expected,
      actual: link.actual,
    });
  }

  signature(event: RecordedEvent, facts: AuditFacts): boolean {
    const status = signatureStatusOf(event, facts.directoryOf, facts.platformKeyring);
    this.tally.checked++;
    if (status.status === 'valid') this.tally.valid++;
    else if (status.status === 'e-signature-only') this.tally.eSignatureOnly++;
    else if (status.status === 'platform') this.tally.platform++;
    if (!isSignatureProblem(status)) return true;
    this.tally.problems++;
    this.add({
      streamId: event.streamId,
      streamVersion: event.streamVersion,
      eventId: event.id,
      check: 'signature',
      problem: status.status,
      detail: describeSignatureStatus(status),
    });
    return false;
  }

  result(
    scope: AuditScope,
    verifiedStreams: VerifiedStream[],
    headPosition: bigint,
  ): AuditVerification {
    return {
      ok: this.first === null,
      scope,
      streams: this.streams,
      events: this.events,
      signatures: this.tally,
      brokenLink: this.first,
      problems: this.problems,
      verifiedStreams,
      headPosition: String(headPosition),
      checkpoint: null,
    };
  }
}

export function describeChainProblem(problem: ChainProblem): string {
  switch (problem) {
    case 'hash-mismatch':
      return 'the stored event no longer matches its hash: a stored field was changed';
    case 'previous-hash-mismatch':
      return 'the event does not link to the one before it: an event was removed, inserted or its link changed';
    case 'version-gap':
      return 'a version is missing from the stream: an event was removed';
    case 'head-mismatch':
      return "the stream's head does not point at its last event: the last event was removed or replaced";
    case 'position-out-of-order':
      return "the stream's events are out of global order: events were reordered";
    default: {
      const unexpected: never = problem;
      return String(unexpected);
    }
  }
}

async function verifyScoped(
  store: EventStore,
  scope: Exclude<AuditScope, 'all'>,
  options: VerifyAuditOptions,
): Promise<AuditVerification> {
  const headPosition = await store.headPosition();
  const subject: AuditSubject =
    'batchId' in scope
      ? auditSubject('batch', scope.batchId)
      : auditSubject('deviation', scope.deviationId);
  const facts = new AuditFacts(store, options);
  const findings = new Findings(options.maxProblems ?? 100);

  const subjectEvents = await store.readStream(subject.streamId);
  if (subjectEvents.length === 0) throw new UnknownSubjectError(subject);
  const inScope: { streamId: string; role: StreamRole; events: RecordedEvent[] }[] = [
    { streamId: subject.streamId, role: 'subject', events: subjectEvents },
  ];
  if (subject.kind === 'batch') {
    for (const deviationId of linkedDeviationIds(subjectEvents)) {
      const streamId = streams.deviation(deviationId);
      inScope.push({
        streamId,
        role: 'linked deviation',
        events: await store.readStream(streamId),
      });
    }
  }
  const agreementIds = new Set<string>();
  const organizationIds = new Set<string>();
  for (const { events } of inScope) {
    for (const event of events) {
      if (typeof event.data.agreementId === 'string') agreementIds.add(event.data.agreementId);
      organizationIds.add(actorOf(event).organizationId);
      const envelope = event.metadata.envelope as { actororg?: unknown } | undefined;
      if (typeof envelope?.actororg === 'string') organizationIds.add(envelope.actororg);
    }
  }
  for (const agreementId of [...agreementIds].sort()) {
    const streamId = streams.agreement(agreementId);
    inScope.push({ streamId, role: 'agreement', events: await store.readStream(streamId) });
  }
  for (const organizationId of [...organizationIds].sort()) {
    const streamId = streams.organization(organizationId);
    const events = await store.readStream(streamId);
    // The platform acts under its own name; it has no organization stream to verify.
    if (events.length > 0 || (await store.streamInfo(streamId)))
      inScope.push({ streamId, role: 'organization', events });
  }
  await facts.organizationsOf(inScope.flatMap(({ events }) => events));

  const verifiedStreams: VerifiedStream[] = [];
  let eventsChecked = 0;
  for (const { streamId, role, events } of inScope) {
    const chainOk = await findings.chain(store, streamId);
    for (const event of events) findings.signature(event, facts);
    eventsChecked += events.length;
    const info = await store.streamInfo(streamId);
    verifiedStreams.push({
      streamId,
      role,
      version: info?.version ?? 0,
      headHash: info?.headHash ?? null,
      chainOk,
      events: events.length,
    });
    options.onProgress?.({
      eventsChecked,
      streamsChecked: verifiedStreams.length,
      position: headPosition,
      headPosition,
    });
  }
  return findings.result(scope, verifiedStreams, headPosition);
}

/** The deviations a batch's stream names as linked (by the deviation ↔ batch process manager). */
export function linkedDeviationIds(events: readonly RecordedEvent[]): string[] {
  const ids: string[] = [];
  for (const event of events) {
    const deviationId = event.data.deviationId;
    if (event.type === 'concord.batch.deviation-linked.v1' && typeof deviationId === 'string')
      if (!ids.includes(deviationId)) ids.push(deviationId);
  }
  return ids;
}

/**
 * Everything, in global order, one page at a time: memory holds a page, the directory of each
 * organization and the ids of the streams already verified, never the whole store. Stops at the
 * head read at the start; events appended meanwhile are for the next verification.
 */
async function verifyAll(
  store: EventStore,
  options: VerifyAuditOptions,
): Promise<AuditVerification> {
  const headPosition = await store.headPosition();
  const pageSize = options.pageSize ?? 1_000;
  const facts = new AuditFacts(store, options);
  const findings = new Findings(options.maxProblems ?? 100);
  // Each stream's chain is followed in the pages already read (null once broken and reported).
  const chains = new Map<string, StreamChain | null>();
  let position = 0n;
  let eventsChecked = 0;
  options.onProgress?.({ eventsChecked, streamsChecked: 0, position, headPosition });
  while (position < headPosition) {
    const page = await store.readAll({ after: position, maxCount: pageSize });
    if (page.length === 0) break;
    for (const event of page) {
      if (event.globalPosition > headPosition) break;
      let chain = chains.get(event.streamId);
      if (chain === undefined) {
        chain = new StreamChain();
        chains.set(event.streamId, chain);
        findings.streams++;
      }
      findings.events++;
      const link = chain?.next(event);
      if (link) {
        findings.chainBreak(event.streamId, link);
        chains.set(event.streamId, null);
      }
      const actor = actorOf(event).organizationId;
      const envelope = event.metadata.envelope as { actororg?: unknown } | undefined;
      await facts.organization(actor);
      if (typeof envelope?.actororg === 'string') await facts.organization(envelope.actororg);
      findings.signature(event, facts);
      eventsChecked++;
      position = event.globalPosition;
    }
    if (page.at(-1)!.globalPosition > headPosition) position = headPosition;
    options.onProgress?.({ eventsChecked, streamsChecked: chains.size, position, headPosition });
  }
  // Every stream's head must be its last event: what was appended since the start is checked on
  // to the head, and a removed last event shows as a head that points elsewhere.
  for (const [streamId, chain] of chains) {
    if (!chain) continue;
    const info = await store.streamInfo(streamId);
    const later =
      info && info.version > chain.version
        ? await store.readStream(streamId, { fromVersion: chain.version + 1 })
        : [];
    let link: ChainBreak | undefined;
    for (const event of later) if ((link = chain.next(event))) break;
    link ??= chain.end(info?.headHash ?? null);
    if (link) findings.chainBreak(streamId, link);
  }
  return findings.result('all', [], headPosition);
}
