import { createPrivateKey, sign } from 'node:crypto';
import type { EventStore, RecordedEvent } from '@concord/event-store';
import {
  checkpointBody,
  consistencyProof,
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
  options: { size?: number; pageSize?: number } = {},
): Promise<{ treeSize: number; root: Hash }> {
  const frontier = new MerkleFrontier();
  const pageSize = options.pageSize ?? 1_000;
  const limit = options.size ?? Number.MAX_SAFE_INTEGER;
  let after = 0n;
  while (frontier.size < limit) {
    const page = await store.readAll({
      after,
      maxCount: Math.min(pageSize, limit - frontier.size),
    });
    if (page.length === 0) break;
    for (const event of page) frontier.append(eventLeaf(event));
    after = page.at(-1)!.globalPosition;
  }
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

/** The leaves of the first `size` events, in global order (fewer if the store holds fewer). */
export async function logLeaves(
  store: EventStore,
  size: number,
  pageSize = 1_000,
): Promise<Hash[]> {
  const leaves: Hash[] = [];
  let after = 0n;
  while (leaves.length < size) {
    const page = await store.readAll({ after, maxCount: Math.min(pageSize, size - leaves.length) });
    if (page.length === 0) break;
    for (const event of page) leaves.push(eventLeaf(event));
    after = page.at(-1)!.globalPosition;
  }
  return leaves;
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
  const leaves = await logLeaves(store, Number.MAX_SAFE_INTEGER);
  const frontier = new MerkleFrontier();
  for (const leaf of leaves) frontier.append(leaf);
  const checkpoint = signCheckpoint(
    { treeSize: leaves.length, root: frontier.root() },
    key,
    timestamp,
  );
  if (!(Number.isSafeInteger(since) && since >= 0 && since <= leaves.length))
    throw new RangeError(`the log holds ${leaves.length} events; no proof from ${since}`);
  return { checkpoint, consistencyProof: consistencyProof(leaves, since).map(toBase64) };
}
