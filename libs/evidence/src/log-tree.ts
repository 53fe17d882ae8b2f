import { createPrivateKey, sign } from 'node:crypto';
import type { EventStore, RecordedEvent } from '@concord/event-store';
import {
  checkpointBody,
  consistencyProof,
  inclusionProof,
  leafHash,
  MerkleFrontier,
  toBase64,
  type Hash,
  type SignedCheckpoint,
} from '@concord/verifier';
import type { PlatformKey } from './platform-key.ts';

/** The log's name in its checkpoints. */
export const LOG_ORIGIN = 'concord.example/log';

/**
 * An event's leaf in the log's Merkle tree: its stored hash, which covers everything the event
 * says (stream, version, id, type, data, metadata, recorded-at, the previous hash). Leaves are in
 * the store's global order, so the tree also commits to that order.
 */
export function eventLeaf(event: Pick<RecordedEvent, 'hash'>): Hash {
  return leafHash(Uint8Array.from(Buffer.from(event.hash, 'hex')));
}

/** The tree over the first `size` events of the store (all by default), read page by page. */
export async function logTreeHead(
  store: EventStore,
  options: { size?: number } = {},
): Promise<{ treeSize: number; root: Hash }> {
  const frontier = new MerkleFrontier();
  // The frontier alone: memory stays O(log n) however long the log.
  await forEachLogEvent(store, options.size ?? Number.MAX_SAFE_INTEGER, (event) =>
    frontier.append(eventLeaf(event)),
  );
  return { treeSize: frontier.size, root: frontier.root() };
}

/** The platform's signature on a tree head: a checkpoint partners and auditors keep. */
export function signCheckpoint(
  head: { treeSize: number; root: Hash },
  key: PlatformKey,
  timestamp: string,
  origin: string = LOG_ORIGIN,
): SignedCheckpoint {
  const unsigned = { origin, treeSize: head.treeSize, rootHash: toBase64(head.root), timestamp };
  const signature = sign(
    null,
    Buffer.from(checkpointBody(unsigned), 'utf8'),
    createPrivateKey(key.privateKeyPem),
  ).toString('base64');
  return { ...unsigned, keyId: key.keyId, signature };
}

/** Each of the first `size` events in global order (fewer if the store holds fewer), page by page. */
async function forEachLogEvent(
  store: EventStore,
  size: number,
  visit: (event: RecordedEvent, leafIndex: number) => void,
): Promise<void> {
  let count = 0;
  let after = 0n;
  while (count < size) {
    const page = await store.readAll({ after, maxCount: Math.min(1_000, size - count) });
    if (page.length === 0) break;
    for (const event of page) visit(event, count++);
    after = page.at(-1)!.globalPosition;
  }
}

/** The log as read once: its leaves in global order, and where each position's event is. */
export interface LogSnapshot {
  leaves: Hash[];
  leafIndexOf: Map<bigint, number>;
}

/** Reads the first `size` events (all by default) into a snapshot of the log's leaves. */
export async function readLog(
  store: EventStore,
  size: number = Number.MAX_SAFE_INTEGER,
): Promise<LogSnapshot> {
  const leaves: Hash[] = [];
  const leafIndexOf = new Map<bigint, number>();
  await forEachLogEvent(store, size, (event, index) => {
    leafIndexOf.set(event.globalPosition, index);
    leaves.push(eventLeaf(event));
  });
  return { leaves, leafIndexOf };
}

/** A checkpoint of the tree of these leaves, signed now. */
export function checkpointOf(
  leaves: readonly Hash[],
  key: PlatformKey,
  timestamp: string,
): SignedCheckpoint {
  const frontier = new MerkleFrontier();
  for (const leaf of leaves) frontier.append(leaf);
  return signCheckpoint({ treeSize: leaves.length, root: frontier.root() }, key, timestamp);
}

/**
 * A fresh checkpoint of the whole log, with the proof that it extends the tree of `since` events
 * (a size a partner kept from an earlier checkpoint): node hashes only, nothing of any event.
 */
export async function checkpointSince(
  store: EventStore,
  key: PlatformKey,
  since: number,
  timestamp: string,
): Promise<{ checkpoint: SignedCheckpoint; consistencyProof: string[] }> {
  const { leaves } = await readLog(store);
  if (!(Number.isSafeInteger(since) && since >= 0 && since <= leaves.length))
    throw new RangeError(`the log holds ${leaves.length} events; no proof from ${since}`);
  return {
    checkpoint: checkpointOf(leaves, key, timestamp),
    consistencyProof: consistencyProof(leaves, since).map(toBase64),
  };
}

/**
 * Where the event at `globalPosition` is in the log and the RFC 9162 proof that the tree of the
 * first `treeSize` events (all by default) includes it; undefined when that tree does not.
 */
export function inclusionIn(
  log: LogSnapshot,
  globalPosition: bigint,
  treeSize: number = log.leaves.length,
): { leafIndex: number; treeSize: number; proof: string[] } | undefined {
  const leafIndex = log.leafIndexOf.get(globalPosition);
  if (leafIndex === undefined || leafIndex >= treeSize || treeSize > log.leaves.length)
    return undefined;
  return {
    leafIndex,
    treeSize,
    proof: inclusionProof(log.leaves, leafIndex, treeSize).map(toBase64),
  };
}
