import { describe, expect, it } from 'vitest';
import {
  checkpointBody,
  checkpointCommitsTo,
  verifyCheckpointSignature,
  type SignedCheckpoint,
} from './checkpoint.ts';
import { toBase64 } from './base64.ts';
import { leafHash, rootHash } from './merkle.ts';

type KeyPair = CryptoKeyPair;

async function signedBy(keys: KeyPair, fields: Omit<SignedCheckpoint, 'keyId' | 'signature'>) {
  const signature = await crypto.subtle.sign(
    'Ed25519',
    keys.privateKey,
    new TextEncoder().encode(checkpointBody(fields)),
  );
  return { ...fields, keyId: 'concord:test', signature: toBase64(new Uint8Array(signature)) };
}

const rawPublicKey = async (keys: KeyPair) =>
  toBase64(new Uint8Array(await crypto.subtle.exportKey('raw', keys.publicKey)));

describe('a signed checkpoint', () => {
  const root = rootHash([leafHash(Uint8Array.of(1)), leafHash(Uint8Array.of(2))]);
  const fields = {
    origin: 'concord.example/log',
    treeSize: 2,
    rootHash: toBase64(root),
    timestamp: '2026-12-04T10:00:00.000Z',
  };

  it('is the C2SP checkpoint text with the time as an extension line', () => {
    expect(checkpointBody(fields)).toBe(
      `concord.example/log\n2\n${toBase64(root)}\ntimestamp 2026-12-04T10:00:00.000Z\n`,
    );
  });

  it('verifies with WebCrypto Ed25519, and not when any part of it changed', async () => {
    const keys = (await crypto.subtle.generateKey('Ed25519', true, ['sign', 'verify'])) as KeyPair;
    const other = (await crypto.subtle.generateKey('Ed25519', true, ['sign', 'verify'])) as KeyPair;
    const checkpoint = await signedBy(keys, fields);
    const publicKey = await rawPublicKey(keys);
    expect(await verifyCheckpointSignature(checkpoint, publicKey)).toBe(true);
    expect(await verifyCheckpointSignature(checkpoint, await rawPublicKey(other))).toBe(false);
    for (const changed of [
      { ...checkpoint, treeSize: 3 },
      { ...checkpoint, origin: 'elsewhere/log' },
      { ...checkpoint, timestamp: '2026-12-04T10:00:01.000Z' },
      { ...checkpoint, rootHash: toBase64(leafHash(Uint8Array.of(9))) },
      { ...checkpoint, signature: 'not base64 at all!' },
    ])
      expect(await verifyCheckpointSignature(changed, publicKey)).toBe(false);
    expect(checkpointCommitsTo(checkpoint, root)).toBe(true);
    expect(checkpointCommitsTo(checkpoint, leafHash(Uint8Array.of(1)))).toBe(false);
  });
});
