// A signed tree head ("checkpoint"): the platform's commitment to the first `treeSize` events of
// its log, in order. The signed body is the text of a C2SP checkpoint (origin, size, root hash
// in base64, one line each) with the time as an extension line, so that it is unambiguous without
// any JSON canonicalization and readable as it is. Ed25519 over the body's UTF-8 bytes.
import { fromBase64 } from './base64.ts';
import { verifyEd25519 } from './ed25519.ts';
import { leafHash, sameHash, verifyConsistency, verifyInclusion, type Hash } from './merkle.ts';

export interface SignedCheckpoint {
  /** The log's name (which platform's log this is). */
  origin: string;
  treeSize: number;
  /** RFC 9162 root hash of the first `treeSize` leaves, base64. */
  rootHash: string;
  /** When the platform signed it (RFC 3339). */
  timestamp: string;
  /** The platform key that signed (`concord:…`). */
  keyId: string;
  /** Ed25519 over `checkpointBody`, base64. */
  signature: string;
}

/** The text the platform signs. */
export function checkpointBody(checkpoint: Omit<SignedCheckpoint, 'keyId' | 'signature'>): string {
  return `${checkpoint.origin}\n${checkpoint.treeSize}\n${checkpoint.rootHash}\ntimestamp ${checkpoint.timestamp}\n`;
}

/** Whether the checkpoint commits to this root (bytes) for its size. */
export function checkpointCommitsTo(checkpoint: SignedCheckpoint, root: Hash): boolean {
  try {
    return sameHash(fromBase64(checkpoint.rootHash), root);
  } catch {
    return false;
  }
}

/**
 * Whether `publicKey` (raw Ed25519, base64) signed the checkpoint, with WebCrypto: the same code
 * runs in Node and in a browser page opened from disk.
 */
export async function verifyCheckpointSignature(
  checkpoint: SignedCheckpoint,
  publicKey: string,
): Promise<boolean> {
  return verifyEd25519(publicKey, checkpoint.signature, checkpointBody(checkpoint));
}

/**
 * Whether `newer` extends `older` (both already checked as signed by the platform): the same log
 * with events appended, none changed, removed or reordered. `proof` is RFC 9162's consistency
 * proof from older.treeSize to newer.treeSize, base64. From the empty tree nothing is proven.
 */
export function checkpointsConsistent(
  older: SignedCheckpoint,
  newer: SignedCheckpoint,
  proof: readonly string[],
): boolean {
  if (older.origin !== newer.origin) return false;
  try {
    return verifyConsistency(
      older.treeSize,
      newer.treeSize,
      proof.map(fromBase64),
      fromBase64(older.rootHash),
      fromBase64(newer.rootHash),
    );
  } catch {
    return false;
  }
}

/**
 * Whether the checkpoint's tree includes the event whose stored hash (hex, as the audit history
 * and receipts show it) is `eventHash`, at `leafIndex`, by RFC 9162's inclusion proof (base64).
 */
export function checkpointIncludes(
  checkpoint: SignedCheckpoint,
  eventHash: string,
  leafIndex: number,
  proof: readonly string[],
): boolean {
  if (!/^[0-9a-f]{64}$/.test(eventHash)) return false;
  const bytes = new Uint8Array(32);
  for (let i = 0; i < 32; i++) bytes[i] = parseInt(eventHash.slice(i * 2, i * 2 + 2), 16);
  try {
    return verifyInclusion(
      leafIndex,
      checkpoint.treeSize,
      leafHash(bytes),
      proof.map(fromBase64),
      fromBase64(checkpoint.rootHash),
    );
  } catch {
    return false;
  }
}
