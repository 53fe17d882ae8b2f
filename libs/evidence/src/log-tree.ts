import { createPrivateKey, sign } from 'node:crypto';
import type { EventStore, RecordedEvent } from '@concord/event-store';
import {
  checkpointBody,
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
