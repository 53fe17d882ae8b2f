// An evidence bundle: everything an inspector needs to check one batch's record offline, with no
// database and no platform. What it holds is only a claim until checked here: every hash chain
// recomputed, every event's place in the platform's signed log proven, every signature verified
// with the key that was valid at the time, and, given checkpoints a partner kept, that the log
// only grew since.
import {
  checkpointIncludes,
  checkpointsConsistent,
  verifyCheckpointSignature,
  type SignedCheckpoint,
} from './checkpoint.ts';
import { verifyEd25519 } from './ed25519.ts';
import { platformKeyValidAt, type PlatformPublicKey } from './platform-keys.ts';
import { verifyReceiptSignature, type SignedReceipt } from './receipt.ts';
import {
  BOUND_ATTRIBUTES,
  isPlatformKeyId,
  platformSignedForm,
  recomputeEventHash,
  signingInput,
  storedEventId,
  type StoredEventRecord,
} from './record.ts';

export const EVIDENCE_BUNDLE_FORMAT = 'concord.evidence-bundle.v1';

/** An event with its place in the log and the proof that the bundle's checkpoint includes it. */
export interface BundleEvent extends StoredEventRecord {
  leafIndex: number;
  /** RFC 9162 inclusion proof (base64 node hashes) against the bundle's checkpoint. */
  inclusionProof: string[];
}

export type BundleStreamRole = 'subject' | 'linked deviation' | 'agreement' | 'organization';

/** A whole stream, from its first event: its hash chain is recomputed from the start. */
export interface BundleStream {
  streamId: string;
  role: BundleStreamRole;
  events: BundleEvent[];
}

export interface EvidenceBundle {
  format: typeof EVIDENCE_BUNDLE_FORMAT;
  exportedAt: string;
  subject: { kind: 'batch'; id: string };
  /** The platform's keys with their validity, as the platform states them (see `verifyBundle`). */
  platformKeys: PlatformPublicKey[];
  /** The signed tree head every inclusion proof is against. */
  checkpoint: SignedCheckpoint;
  /** Proofs that the checkpoint extends the trees of these earlier sizes (asked at export). */
  consistencyProofs: { fromTreeSize: number; proof: string[] }[];
  streams: BundleStream[];
  /** The audit report as the platform produced it: JSON, HTML, and PDF (base64) when made. */
  report: { json: unknown; html: string; pdfBase64?: string };
}

export type BundleCheck =
  | 'format'
  | 'platform-key'
  | 'checkpoint'
  | 'hash-chain'
  | 'inclusion'
  | 'log-order'
  | 'signature'
  | 'kept-checkpoint'
  | 'receipt'
  | 'report';

/** One thing that does not hold, located as precisely as the check allows. */
export interface BundleProblem {
  check: BundleCheck;
  streamId?: string;
  streamVersion?: number;
  eventId?: string;
  detail: string;
}

export interface BundleVerdict {
  ok: boolean;
  subject: { kind: string; id: string } | null;
  /** What was checked, in words, with counts. */
  checked: string[];
  /** What this verification could not establish: read it before relying on `ok`. */
  notChecked: string[];
  /** The first broken link, in the order of the checks (null when everything holds). */
  firstProblem: BundleProblem | null;
  problems: BundleProblem[];
  /** Whose platform keys were trusted: given by the auditor, or the bundle's own. */
  platformKeysFrom: 'given' | 'bundle';
}

export interface VerifyBundleOptions {
  /** The platform's keys as published to partners; without them the bundle's own are used. */
  platformKeys?: readonly PlatformPublicKey[];
  /** Checkpoints a partner kept earlier: the bundle's log must extend each of them. */
  keptCheckpoints?: readonly SignedCheckpoint[];
  /** Receipts a partner kept: every event Concord accepted in a bundled stream must be there. */
  receipts?: readonly SignedReceipt[];
}

interface PartnerKey {
  publicKey: string;
  validFrom: string;
  revokedAt?: string;
}

/** Checks a bundle; never throws for what the bundle holds, only reports it. */
export async function verifyBundle(
  input: unknown,
  options: VerifyBundleOptions = {},
): Promise<BundleVerdict> {
  const problems: BundleProblem[] = [];
  const checked: string[] = [];
  const notChecked: string[] = [];
  const platformKeysFrom = options.platformKeys ? 'given' : 'bundle';
  const verdict = (subject: BundleVerdict['subject']): BundleVerdict => ({
    ok: problems.length === 0,
    subject,
    checked,
    notChecked,
    firstProblem: problems[0] ?? null,
    problems,
    platformKeysFrom,
  });

  const shape = bundleShapeProblem(input);
  if (shape) {
    problems.push({ check: 'format', detail: shape });
    return verdict(null);
  }
  const bundle = input as EvidenceBundle;
  const keys = options.platformKeys ?? bundle.platformKeys;
  if (!options.platformKeys)
    notChecked.push(
      `the platform's keys were taken from the bundle (${bundle.platformKeys.map((k) => k.keyId).join(', ')}): compare them with the keys Concord published, or pass them to the verifier`,
    );

  // 1. The checkpoint: the platform's signed commitment to its whole log.
  const { checkpoint } = bundle;
  const checkpointKey = platformKeyValidAt(keys, checkpoint.keyId, checkpoint.timestamp);
  if (!checkpointKey)
    problems.push({
      check: 'platform-key',
      detail: `the checkpoint is signed by ${checkpoint.keyId}, not a platform key valid at ${checkpoint.timestamp}`,
    });
  else if (!(await verifyCheckpointSignature(checkpoint, checkpointKey.publicKey)))
    problems.push({
      check: 'checkpoint',
      detail: `the checkpoint of ${checkpoint.treeSize} events at ${checkpoint.timestamp} does not verify with ${checkpoint.keyId}`,
    });
  else
    checked.push(
      `checkpoint of ${checkpoint.treeSize} events at ${checkpoint.timestamp} signed by ${checkpoint.keyId}`,
    );

  // 2. Each stream's hash chain, from its first event.
  const events = bundle.streams.flatMap((stream) => stream.events);
  for (const stream of bundle.streams) {
    const broken = chainProblem(stream);
    if (broken) problems.push(broken);
  }
  checked.push(
    `hash chains of ${bundle.streams.length} streams (${events.length} events) recomputed from their first event`,
  );

  // 3. Each event is in the signed log, and in the log's order.
  let included = 0;
  for (const stream of bundle.streams) {
    for (const event of stream.events) {
      if (checkpointIncludes(checkpoint, event.hash, event.leafIndex, event.inclusionProof))
        included++;
      else
        problems.push({
          ...at(stream.streamId, event),
          check: 'inclusion',
          detail: `the event (leaf ${event.leafIndex}) is not in the log the checkpoint of ${checkpoint.treeSize} events commits to`,
        });
    }
  }
  checked.push(
    `${included} of ${events.length} events proven in the signed log (RFC 9162 inclusion)`,
  );
  const orderProblem = logOrderProblem(bundle.streams);
  if (orderProblem) problems.push(orderProblem);
  else checked.push('global order of the events agrees with their places in the log');

  // 4. Who recorded each event: the platform's signature, or the partner's with its key then.
  // Checked concurrently (WebCrypto runs them off the main thread), reported in bundle order.
  const located = bundle.streams.flatMap((stream) =>
    stream.events.map((event) => ({ streamId: stream.streamId, event })),
  );
  const platformChecks = await Promise.all(
    located.map(({ streamId, event }) => {
      const keyId = event.metadata.signaturekeyid;
      return typeof keyId === 'string' && isPlatformKeyId(keyId)
        ? platformSignatureProblem(streamId, event, keyId, keys).then((problem) => ({ problem }))
        : undefined;
    }),
  );
  const platformSigned = new Set(
    located.filter((_, i) => platformChecks[i] && !platformChecks[i].problem).map((l) => l.event),
  );
  const directory = partnerKeys(bundle.streams, platformSigned);
  const signatureProblems = await Promise.all(
    located.map(({ streamId, event }, i) =>
      platformChecks[i]
        ? platformChecks[i].problem
        : partnerSignatureProblem(streamId, event, directory),
    ),
  );
  let partnerSigned = 0;
  for (const [i, problem] of signatureProblems.entries()) {
    if (problem) problems.push(problem);
    else if (!platformChecks[i]) partnerSigned++;
  }
  checked.push(
    `signatures: ${partnerSigned} partner events with the sender's key valid when they occurred, ${platformSigned.size} platform events with the platform's key`,
  );

  // 5. Checkpoints a partner kept: the log only grew since.
  for (const kept of options.keptCheckpoints ?? []) {
    const problem = await keptCheckpointProblem(kept, bundle, keys);
    if (problem === 'newer')
      notChecked.push(
        `the kept checkpoint of ${kept.treeSize} events is newer than the bundle's (${checkpoint.treeSize}): export a fresh bundle to compare`,
      );
    else if (problem) problems.push(problem);
    else
      checked.push(
        `the log extends the kept checkpoint of ${kept.treeSize} events at ${kept.timestamp}`,
      );
  }
  if (!options.keptCheckpoints?.length)
    notChecked.push(
      'no earlier checkpoint was given: that the log was not rewritten before this checkpoint is proven only against checkpoints kept from before (or receipts)',
    );

  // 6. Receipts a partner kept: what Concord accepted is still in the record, unchanged.
  for (const receipt of options.receipts ?? []) {
    const outcome = await receiptProblem(receipt, bundle, keys);
    if (typeof outcome === 'string') checked.push(outcome);
    else if ('notChecked' in outcome) notChecked.push(outcome.notChecked);
    else problems.push(outcome);
  }

  // 7. The report rests on exactly these streams.
  const reportProblem = reportAnchorProblem(bundle);
  if (reportProblem) problems.push(reportProblem);
  else checked.push('the report is anchored on the head hashes of the bundled streams');
  notChecked.push(
    'that the bundle holds every event of the batch: events recorded after the last one shown, or never shown, cannot be seen here (a receipt or a partner’s own copy proves an event exists)',
  );
  return verdict(bundle.subject);
}

const at = (streamId: string, event: BundleEvent) => ({
  streamId,
  streamVersion: event.streamVersion,
  eventId: event.id,
});

function bundleShapeProblem(input: unknown): string | undefined {
  const bundle = input as Partial<EvidenceBundle> | null;
  if (!bundle || typeof bundle !== 'object') return 'not an evidence bundle (not a JSON object)';
  if (bundle.format !== EVIDENCE_BUNDLE_FORMAT)
    return `not an evidence bundle of format ${EVIDENCE_BUNDLE_FORMAT} (format: ${String(bundle.format)})`;
  if (!Array.isArray(bundle.streams) || !bundle.streams.every((s) => Array.isArray(s?.events)))
    return 'the bundle has no streams of events';
  if (!Array.isArray(bundle.platformKeys)) return 'the bundle lists no platform keys';
  if (!bundle.checkpoint || typeof bundle.checkpoint.treeSize !== 'number')
    return 'the bundle carries no checkpoint';
  if (!bundle.subject || typeof bundle.subject.id !== 'string')
    return 'the bundle names no subject';
  return undefined;
}

/** The first event of the stream whose chain does not hold, and why. */
function chainProblem(stream: BundleStream): BundleProblem | undefined {
  let previousHash: string | null = null;
  for (const [index, event] of stream.events.entries()) {
    const where = at(stream.streamId, event);
    if (event.streamId !== stream.streamId)
      return { ...where, check: 'hash-chain', detail: `the event is of ${event.streamId}` };
    if (event.streamVersion !== index + 1)
      return {
        ...where,
        check: 'hash-chain',
        detail: `version ${event.streamVersion} where ${index + 1} was expected: an event is missing or was renumbered`,
      };
    if (event.previousHash !== previousHash)
      return {
        ...where,
        check: 'hash-chain',
        detail: `it chains to ${String(event.previousHash)}, but the event before it hashes to ${String(previousHash)}: an event before it was removed, inserted or changed`,
      };
    const recomputed = recomputeEventHash(event);
    if (recomputed !== event.hash)
      return {
        ...where,
        check: 'hash-chain',
        detail: `its content hashes to ${recomputed}, not the ${event.hash} it was recorded with: it was changed after it was recorded`,
      };
    previousHash = event.hash;
  }
  return undefined;
}

/** Leaves must follow the store's global order: a reordered pair shows here. */
function logOrderProblem(streams: readonly BundleStream[]): BundleProblem | undefined {
  const located = streams
    .flatMap((stream) => stream.events.map((event) => ({ stream, event })))
    .sort((a, b) => compareDecimal(a.event.globalPosition, b.event.globalPosition));
  for (let i = 1; i < located.length; i++) {
    const before = located[i - 1]!.event;
    const { stream, event } = located[i]!;
    if (event.globalPosition === before.globalPosition || event.leafIndex <= before.leafIndex)
      return {
        ...at(stream.streamId, event),
        check: 'log-order',
        detail: `at global position ${event.globalPosition} it is leaf ${event.leafIndex}, not after the event at ${before.globalPosition} (leaf ${before.leafIndex}): events were reordered`,
      };
  }
  return undefined;
}

function compareDecimal(a: string, b: string): number {
  return a.length !== b.length ? a.length - b.length : a < b ? -1 : a > b ? 1 : 0;
}

async function platformSignatureProblem(
  streamId: string,
  event: BundleEvent,
  keyId: string,
  keys: readonly PlatformPublicKey[],
): Promise<BundleProblem | undefined> {
  const key = platformKeyValidAt(keys, keyId, event.recordedAt);
  if (!key)
    return {
      ...at(streamId, event),
      check: 'signature',
      detail: `signed with ${keyId}, which was not a platform key when the event was recorded (${event.recordedAt})`,
    };
  const signature = event.metadata.signature;
  const message = signingInput(platformSignedForm(event));
  if (typeof signature !== 'string' || !(await verifyEd25519(key.publicKey, signature, message)))
    return {
      ...at(streamId, event),
      check: 'signature',
      detail: `the platform's signature (${keyId}) does not verify: the event was changed after the platform signed it`,
    };
  return undefined;
}

/**
 * Partner signing keys over time, from the organization streams, believing only what the platform
 * signed: a key registration an insider wrote into the database is not a key.
 */
function partnerKeys(
  streams: readonly BundleStream[],
  platformSigned: ReadonlySet<BundleEvent>,
): Map<string, Map<string, PartnerKey>> {
  const directory = new Map<string, Map<string, PartnerKey>>();
  for (const stream of streams) {
    if (stream.role !== 'organization') continue;
    let keys: Map<string, PartnerKey> | undefined;
    for (const event of stream.events) {
      if (!platformSigned.has(event)) continue;
      const data = event.data as Record<string, unknown>;
      if (event.type === 'concord.organization.registered.v1') {
        keys = new Map();
        directory.set(String(data.organizationId), keys);
      } else if (event.type === 'concord.organization.signing-key-registered.v1') {
        keys?.set(String(data.keyId), {
          publicKey: String(data.publicKey),
          validFrom: String(data.validFrom),
        });
      } else if (event.type === 'concord.organization.signing-key-revoked.v1') {
        const key = keys?.get(String(data.keyId));
        if (key) key.revokedAt = String(data.revokedAt);
      }
    }
  }
  return directory;
}

async function partnerSignatureProblem(
  streamId: string,
  event: BundleEvent,
  directory: ReadonlyMap<string, ReadonlyMap<string, PartnerKey>>,
): Promise<BundleProblem | undefined> {
  const problem = (detail: string): BundleProblem => ({
    ...at(streamId, event),
    check: 'signature',
    detail,
  });
  const { signature, signaturekeyid: keyId } = event.metadata;
  if (typeof signature !== 'string' || typeof keyId !== 'string')
    return problem('unsigned: neither a partner nor the platform signed it');
  const envelope = event.metadata.envelope;
  if (!envelope || typeof envelope !== 'object' || Array.isArray(envelope))
    return problem('the envelope the partner signed is not stored with the event');
  return signedEnvelopeProblem(
    event,
    envelope as Record<string, unknown>,
    keyId,
    signature,
    directory,
    problem,
  );
}

async function signedEnvelopeProblem(
  event: BundleEvent,
  envelope: Record<string, unknown>,
  keyId: string,
  signature: string,
  directory: ReadonlyMap<string, ReadonlyMap<string, PartnerKey>>,
  problem: (detail: string) => BundleProblem,
): Promise<BundleProblem | undefined> {
  for (const attribute of BOUND_ATTRIBUTES) {
    if (event.metadata[attribute] !== envelope[attribute])
      return problem(`the stored ${attribute} differs from the one the partner signed`);
  }
  if (envelope.type !== event.type) return problem('the stored type differs from the signed one');
  if (storedEventId(String(envelope.source), String(envelope.id)) !== event.id)
    return problem('the stored event id does not derive from the signed source and id');
  const organizationId = String(envelope.actororg);
  const keys = directory.get(organizationId);
  if (!keys)
    return problem(`the bundle holds no platform-signed registration of ${organizationId}`);
  const key = keys.get(keyId);
  const occurredAt = String(envelope.time);
  const instant = Date.parse(occurredAt);
  if (!key)
    return problem(
      `${keyId} is not a key of ${organizationId} registered by the platform (an unsigned registration is not believed)`,
    );
  if (Date.parse(key.validFrom) > instant)
    return problem(`${keyId} is valid only from ${key.validFrom}, after the event (${occurredAt})`);
  if (key.revokedAt !== undefined && Date.parse(key.revokedAt) <= instant)
    return problem(`${keyId} was revoked at ${key.revokedAt}, before the event (${occurredAt})`);
  const signed = signingInput({ ...envelope, data: event.data });
  if (!(await verifyEd25519(key.publicKey, signature, signed)))
    return problem(`the Ed25519 signature does not verify with ${organizationId}'s key ${keyId}`);
  return undefined;
}

async function keptCheckpointProblem(
  kept: SignedCheckpoint,
  bundle: EvidenceBundle,
  keys: readonly PlatformPublicKey[],
): Promise<BundleProblem | 'newer' | undefined> {
  const problem = (detail: string): BundleProblem => ({ check: 'kept-checkpoint', detail });
  const key = platformKeyValidAt(keys, kept.keyId, kept.timestamp);
  if (!key || !(await verifyCheckpointSignature(kept, key.publicKey)))
    return problem(
      `the kept checkpoint of ${kept.treeSize} events at ${kept.timestamp} is not signed by a platform key valid then`,
    );
  const { checkpoint } = bundle;
  if (kept.origin !== checkpoint.origin)
    return problem(`the kept checkpoint is of another log (${kept.origin})`);
  if (kept.treeSize > checkpoint.treeSize)
    return Date.parse(kept.timestamp) < Date.parse(checkpoint.timestamp)
      ? problem(
          `the platform signed ${kept.treeSize} events at ${kept.timestamp}, and only ${checkpoint.treeSize} at ${checkpoint.timestamp}: events were removed from the log`,
        )
      : 'newer';
  if (kept.treeSize === checkpoint.treeSize)
    return kept.rootHash === checkpoint.rootHash
      ? undefined
      : problem(
          `the log of ${kept.treeSize} events is not the one the platform signed at ${kept.timestamp}: it was rewritten`,
        );
  const proof = bundle.consistencyProofs.find((entry) => entry.fromTreeSize === kept.treeSize);
  if (!proof)
    return problem(
      `the bundle carries no consistency proof from ${kept.treeSize} events: export it again asking for one from that size`,
    );
  return checkpointsConsistent(kept, checkpoint, proof.proof)
    ? undefined
    : problem(
        `the log is not an extension of the one the platform signed at ${kept.timestamp} (${kept.treeSize} events): events were changed, removed, inserted or reordered since`,
      );
}

/**
 * A kept receipt against the bundle: a line of what it proved, what it could not be checked
 * against, or the problem (an event Concord accepted that the record no longer holds as accepted).
 */
async function receiptProblem(
  receipt: SignedReceipt,
  bundle: EvidenceBundle,
  keys: readonly PlatformPublicKey[],
): Promise<BundleProblem | string | { notChecked: string }> {
  if (!(await verifyReceiptSignature(receipt, keys)))
    return {
      check: 'receipt',
      detail: `a receipt (${String(receipt?.source)} ${String(receipt?.id)}) does not carry the platform's signature`,
    };
  if (receipt.status !== 'accepted')
    return {
      notChecked: `the receipt for ${receipt.id} is a refusal: nothing was recorded for it`,
    };
  const byId = new Map(
    bundle.streams.flatMap((stream) => stream.events.map((event) => [event.id, event] as const)),
  );
  const bundled = new Set(bundle.streams.map((stream) => stream.streamId));
  if (!bundled.has(receipt.streamId))
    return {
      notChecked: `the receipt for ${receipt.id} is about ${receipt.streamId}, which this bundle does not hold`,
    };
  for (const promised of receipt.events) {
    const event = byId.get(promised.eventId);
    if (!event)
      return {
        check: 'receipt',
        streamId: receipt.streamId,
        eventId: promised.eventId,
        detail: `Concord accepted this event on ${receipt.recordedAt} (receipt signed by ${receipt.keyId}), but the record no longer holds it: it was removed`,
      };
    if (event.hash !== promised.hash || event.globalPosition !== promised.globalPosition)
      return {
        check: 'receipt',
        streamId: event.streamId,
        streamVersion: event.streamVersion,
        eventId: event.id,
        detail: `the event is not the one Concord accepted on ${receipt.recordedAt}: the receipt promised hash ${promised.hash} at position ${promised.globalPosition}, the record holds ${event.hash} at ${event.globalPosition}`,
      };
  }
  return `the receipt for ${receipt.id} (${receipt.events.length} event${receipt.events.length === 1 ? '' : 's'}) matches the record`;
}

/** The report names each stream's version and head hash: they must be the bundled streams'. */
function reportAnchorProblem(bundle: EvidenceBundle): BundleProblem | undefined {
  const report = bundle.report?.json as
    | { anchors?: { streamId: string; version: number; headHash: string | null }[] }
    | undefined;
  if (!Array.isArray(report?.anchors))
    return { check: 'report', detail: 'the bundle carries no audit report with anchors' };
  for (const anchor of report.anchors) {
    const stream = bundle.streams.find((s) => s.streamId === anchor.streamId);
    const head = stream?.events.at(-1);
    if (
      !stream ||
      stream.events.length !== anchor.version ||
      (head?.hash ?? null) !== anchor.headHash
    )
      return {
        check: 'report',
        streamId: anchor.streamId,
        detail: `the report rests on ${anchor.streamId} at version ${anchor.version}, which the bundle does not hold as such`,
      };
  }
  return undefined;
}
