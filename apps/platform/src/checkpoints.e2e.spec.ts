import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readLog } from '@concord/evidence';
import { waitFor } from '@concord/test-infra';
import {
  checkpointsConsistent,
  consistencyProof,
  platformKeyValidAt,
  toBase64,
  verifyCheckpointSignature,
  type PlatformPublicKey,
  type SignedCheckpoint,
} from '@concord/verifier';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPlatform, type Platform } from './platform.ts';

// The embedded platform (PGlite, HTTP only, no Kafka) commits to its whole log on its own: on
// start and then periodically while the log grows, signed with the key in its data folder.
describe('the embedded platform checkpoints its log', () => {
  let dataDir: string;
  let platform: Platform | undefined;
  const logger = pino({ level: 'warn' });
  const start = () =>
    startPlatform({
      dataDir,
      port: 0,
      logger,
      webRoot: false,
      demo: { pace: 'fast' },
      checkpointIntervalMs: 500,
    });

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'concord-platform-checkpoints-'));
  });
  afterAll(async () => {
    await platform?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  const keyring = async () =>
    (
      JSON.parse(await readFile(join(dataDir, 'platform-keyring.json'), 'utf8')) as {
        keys: PlatformPublicKey[];
      }
    ).keys;
  const signedByThePlatform = async (checkpoint: SignedCheckpoint) => {
    const signer = platformKeyValidAt(await keyring(), checkpoint.keyId, checkpoint.timestamp);
    return signer !== undefined && verifyCheckpointSignature(checkpoint, signer.publicKey);
  };
  const consistent = async (older: SignedCheckpoint, newer: SignedCheckpoint) => {
    const { leaves } = await readLog(platform!.store, newer.treeSize);
    return checkpointsConsistent(
      older,
      newer,
      consistencyProof(leaves, older.treeSize).map(toBase64),
    );
  };

  it('signs the seeded demo world on start, then each time the log grew', async () => {
    platform = await start();
    await platform.checkpoints.started;
    const first = (await platform.checkpoints.log.latest())!;
    expect(first).toBeDefined();
    expect(first.treeSize).toBeGreaterThan(0);
    expect(await signedByThePlatform(first)).toBe(true);

    // The demo feed goes on: the periodic signing follows it.
    const later = await waitFor(
      async () => {
        const latest = await platform!.checkpoints.log.latest();
        return latest && latest.treeSize > first.treeSize ? latest : undefined;
      },
      { timeoutMs: 60_000, description: 'a later checkpoint of the grown log' },
    );
    expect(await signedByThePlatform(later)).toBe(true);
    expect(await consistent(first, later)).toBe(true);
    const all = await platform.checkpoints.log.list({ limit: 1_000 });
    expect(all.map((c) => c.treeSize)).toEqual(
      [...all.map((c) => c.treeSize)].sort((a, b) => a - b),
    );
    for (const [index, checkpoint] of all.entries())
      if (index > 0) expect(await consistent(all[index - 1]!, checkpoint)).toBe(true);
  });

  it('goes on after a restart from the checkpoints it kept', async () => {
    await platform!.close();
    platform = undefined;
    platform = await start();
    // What was signed before the restart is still there, and what is signed now extends it.
    const before = (await platform.checkpoints.log.list({ limit: 1_000 })).at(-1)!;
    expect(before).toBeDefined();
    await platform.checkpoints.started;
    const after = await waitFor(
      async () => {
        const latest = await platform!.checkpoints.log.latest();
        return latest && latest.treeSize > before.treeSize ? latest : undefined;
      },
      { timeoutMs: 60_000, description: 'a checkpoint after the restart' },
    );
    expect(await consistent(before, after)).toBe(true);
  });
});
