import type { EventStore } from '@concord/event-store';
import { logTreeHead, platformKeyValidAt, type PlatformKeyring } from '@concord/evidence';
import {
  checkpointCommitsTo,
  verifyCheckpointSignature,
  type SignedCheckpoint,
} from '@concord/verifier';

export type CheckpointVerification =
  | { ok: true; treeSize: number; keyId: string }
  | {
      ok: false;
      problem: 'key-not-valid' | 'signature' | 'truncated' | 'rewritten';
      detail: string;
    };

/**
 * Checks the store against a checkpoint someone kept (a partner, an auditor, an earlier export):
 * signed by a platform key of the keyring valid at its time, and the first `treeSize` events of
 * the store, in global order, are exactly those it committed to. A log that only grew passes; an
 * event changed, removed, inserted or moved (even with every hash chain recomputed) does not.
 */
export async function verifyAgainstCheckpoint(
  store: EventStore,
  checkpoint: SignedCheckpoint,
  platformKeyring: PlatformKeyring,
): Promise<CheckpointVerification> {
  const { keyId, timestamp, treeSize } = checkpoint;
  const key = platformKeyValidAt(platformKeyring, keyId, timestamp);
  if (!key)
    return {
      ok: false,
      problem: 'key-not-valid',
      detail: `${keyId} was not one of the platform's keys at ${timestamp}`,
    };
  if (!(await verifyCheckpointSignature(checkpoint, key.publicKey)))
    return {
      ok: false,
      problem: 'signature',
      detail: `the checkpoint of ${treeSize} events at ${timestamp} is not signed by ${keyId}`,
    };
  const head = await logTreeHead(store, { size: treeSize });
  if (head.treeSize < treeSize)
    return {
      ok: false,
      problem: 'truncated',
      detail: `the store holds ${head.treeSize} events; the platform signed ${treeSize} at ${timestamp}: events were removed`,
    };
  if (!checkpointCommitsTo(checkpoint, head.root))
    return {
      ok: false,
      problem: 'rewritten',
      detail: `the first ${treeSize} events are not those the platform signed at ${timestamp}: one was changed, removed, inserted or moved`,
    };
  return { ok: true, treeSize, keyId };
}
