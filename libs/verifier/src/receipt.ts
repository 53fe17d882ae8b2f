// A receipt: the platform's signed answer to one event a partner sent, which the partner keeps and
// can later present as proof of what Concord did with exactly that event. An accepted event's
// receipt names the event's stored hash (the leaf the log's Merkle tree holds for it) and global
// position; a refusal's names the code and the digest of what was refused.
//
// Like a Certificate Transparency SCT, an accepted receipt is a signed promise, not a proof of
// inclusion: when the answer is given, the event's place in the log (its leaf index) is not final,
// since transactions that took earlier global positions may still be committing, and PostgreSQL's
// positions have gaps. So the receipt states no tree size. Inclusion is proven later, against any
// checkpoint the partner obtains: the log's RFC 9162 inclusion proof of the receipt's hash at a leaf
// index of that checkpoint's tree (`receiptIncludedIn`). A checkpoint that cannot prove it, or a
// log that holds another hash there, convicts the platform with its own signatures.
//
// The signed body is `concord.receipt.v1`, a newline, then the RFC 8785 canonical JSON of every
// field but `signature` (the key id included): any field added, removed or changed breaks the
// signature, and the prefix keeps the body from ever being the JSON of an event the platform signs.
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { platformKeyValidAt, type PlatformPublicKey } from './platform-keys.ts';
import {
  checkpointIncludes,
  verifyCheckpointSignature,
  type SignedCheckpoint,
} from './checkpoint.ts';
import { verifyEd25519 } from './ed25519.ts';
import { canonicalJson } from './record.ts';

export const RECEIPT_FORMAT = 'concord.receipt.v1';

/** One event the platform recorded for the partner's event: the event itself or one it derived. */
export interface ReceiptEvent {
  /** The id it is stored under (`ev-…`, derived ones `ev-…:<suffix>`). */
  eventId: string;
  type: string;
  /** Its place in the store's global order (decimal). Not its leaf index: positions have gaps. */
  globalPosition: string;
  /** Its stored hash (SHA-256, hex): the entry the log's Merkle tree holds as its leaf. */
  hash: string;
}

/** Concord accepted the event and recorded it (and what it derived from it) in the log. */
export interface AcceptedReceipt {
  format: typeof RECEIPT_FORMAT;
  status: 'accepted';
  /** The organization whose channel carried the event. */
  organizationId: string;
  /** The partner's source and id, as sent. */
  source: string;
  id: string;
  /** SHA-256 (hex) of the RFC 8785 canonical JSON of the event as sent, signature included. */
  digest: string;
  /** The id the event is stored under and its stream. */
  eventId: string;
  streamId: string;
  /** The event first, then any the platform derived from it, in log order. */
  events: ReceiptEvent[];
  /** When Concord received the delivery it answered (RFC 3339). */
  receivedAt: string;
  /** When the store recorded the event (RFC 3339): covered by its hash. */
  recordedAt: string;
  /** The log whose checkpoints will include the events (a checkpoint's `origin`). */
  logOrigin: string;
  /** When the platform signed this receipt (RFC 3339): the key must have been valid then. */
  issuedAt: string;
}

/** Concord refused the event: nothing was recorded. */
export interface RejectedReceipt {
  format: typeof RECEIPT_FORMAT;
  status: 'rejected';
  organizationId: string;
  /** The source and id the refused event carried; empty when it could not be read. */
  source: string;
  id: string;
  /** Its type, when it could be read. */
  type?: string;
  /** SHA-256 (hex) of the canonical JSON of what was refused, when it could be read as an event. */
  digest?: string;
  /** The rejection's stable code and sentence. */
  code: string;
  message: string;
  receivedAt: string;
  issuedAt: string;
}

export type Receipt = AcceptedReceipt | RejectedReceipt;

/** A receipt with the platform's Ed25519 signature over `receiptBody`. */
export type SignedReceipt = Receipt & {
  /** The platform key that signed (`concord:…`). */
  keyId: string;
  /** Ed25519 over `receiptBody`, base64. */
  signature: string;
};

/**
 * The digest a receipt names for an event: SHA-256 (hex) of the RFC 8785 canonical JSON of the
 * CloudEvent as the partner sent it (structured form, with its signature). A partner that kept
 * what it sent checks with it that a receipt is about exactly that event.
 */
export function eventDigest(event: { [key: string]: unknown }): string {
  return bytesToHex(sha256(new TextEncoder().encode(canonicalJson(event))));
}

/** The text the platform signs: everything in the receipt but the signature. */
export function receiptBody(receipt: Receipt & { keyId: string; signature?: string }): string {
  const { signature: _signature, ...signed } = receipt;
  return `${RECEIPT_FORMAT}\n${canonicalJson(signed)}`;
}

const HEX_HASH = /^[0-9a-f]{64}$/;

/** Whether the receipt has the shape of a v1 receipt (what a signature alone cannot tell). */
function wellFormed(receipt: SignedReceipt): boolean {
  if (receipt === null || typeof receipt !== 'object') return false;
  if (receipt.format !== RECEIPT_FORMAT) return false;
  if (typeof receipt.keyId !== 'string' || typeof receipt.signature !== 'string') return false;
  if (typeof receipt.issuedAt !== 'string') return false;
  if (receipt.status === 'rejected') return typeof receipt.code === 'string';
  return (
    receipt.status === 'accepted' &&
    Array.isArray(receipt.events) &&
    receipt.events.length > 0 &&
    receipt.events.every(
      (event) =>
        typeof event?.hash === 'string' &&
        HEX_HASH.test(event.hash) &&
        typeof event.globalPosition === 'string' &&
        /^(0|[1-9][0-9]*)$/.test(event.globalPosition),
    )
  );
}

/**
 * Whether the platform signed this receipt: a v1 receipt, signed by the key it names, which was
 * one of `keys` (the platform's keyring, obtained from outside the platform) when it was issued.
 * Ed25519 through WebCrypto, as for checkpoints.
 */
export async function verifyReceiptSignature(
  receipt: SignedReceipt,
  keys: readonly PlatformPublicKey[],
): Promise<boolean> {
  if (!wellFormed(receipt)) return false;
  const key = platformKeyValidAt(keys, receipt.keyId, receipt.issuedAt);
  if (!key) return false;
  try {
    return await verifyEd25519(key.publicKey, receipt.signature, receiptBody(receipt));
  } catch {
    return false;
  }
}

/** RFC 9162's proof that one leaf is in a tree: as the log and the audit history give it. */
export interface InclusionProof {
  leafIndex: number;
  treeSize: number;
  /** Node hashes, base64. */
  proof: readonly string[];
}

/**
 * Whether the checkpoint's tree includes the receipt's `eventIndex`-th event (0: the partner's own
 * event) at `inclusion.leafIndex`: the leaf of the hash the receipt promised, by RFC 9162's proof,
 * in the log the receipt named. Signatures are not checked here: check the receipt's with
 * `verifyReceiptSignature` and the checkpoint's with `verifyCheckpointSignature` (or use
 * `verifyReceiptInclusion`, which does all three).
 */
export function receiptIncludedIn(
  receipt: Receipt,
  eventIndex: number,
  checkpoint: SignedCheckpoint,
  inclusion: InclusionProof,
): boolean {
  if (receipt.status !== 'accepted' || !Array.isArray(receipt.events)) return false;
  const event = receipt.events[eventIndex];
  if (!event || checkpoint.origin !== receipt.logOrigin) return false;
  if (inclusion.treeSize !== checkpoint.treeSize) return false;
  return checkpointIncludes(checkpoint, event.hash, inclusion.leafIndex, inclusion.proof);
}

export type ReceiptInclusionCheck = { ok: true } | { ok: false; problem: string };

/**
 * The whole check a partner makes with a receipt it kept and a later checkpoint with the
 * inclusion proof of one of the receipt's events: the platform signed the receipt, the platform
 * signed the checkpoint (with the key of its time), and the checkpoint's tree holds the event.
 */
export async function verifyReceiptInclusion(
  receipt: SignedReceipt,
  keys: readonly PlatformPublicKey[],
  evidence: { checkpoint: SignedCheckpoint; inclusion: InclusionProof; eventIndex?: number },
): Promise<ReceiptInclusionCheck> {
  const { checkpoint, inclusion, eventIndex = 0 } = evidence;
  if (!(await verifyReceiptSignature(receipt, keys)))
    return { ok: false, problem: "the receipt does not carry the platform's signature" };
  if (receipt.status !== 'accepted')
    return { ok: false, problem: 'the receipt is a refusal: nothing was recorded' };
  const key = platformKeyValidAt(keys, checkpoint.keyId, checkpoint.timestamp);
  if (!key || !(await verifyCheckpointSignature(checkpoint, key.publicKey)))
    return { ok: false, problem: "the checkpoint does not carry the platform's signature" };
  if (!receiptIncludedIn(receipt, eventIndex, checkpoint, inclusion))
    return {
      ok: false,
      problem: `the checkpoint of ${checkpoint.treeSize} events does not include the receipt's event ${eventIndex} at leaf ${inclusion.leafIndex}`,
    };
  return { ok: true };
}
