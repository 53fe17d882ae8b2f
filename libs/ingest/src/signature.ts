import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  sign,
  verify,
  type KeyObject,
} from 'node:crypto';
import { signingInputBytes } from '@concord/contract';

/** What a partner signs is the contract's (`signingInput`); this module signs and verifies it. */
const signedBytes = signingInputBytes;

// Ed25519 public keys travel as the base64 of the 32 raw bytes; node:crypto wants SPKI DER.
const ED25519_SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

export function publicKeyFromBase64(rawBase64: string): KeyObject {
  const raw = Buffer.from(rawBase64, 'base64');
  if (raw.length !== 32) throw new Error('an Ed25519 public key is 32 bytes');
  return createPublicKey({
    key: Buffer.concat([ED25519_SPKI_PREFIX, raw]),
    format: 'der',
    type: 'spki',
  });
}

export function publicKeyToBase64(key: KeyObject): string {
  return key
    .export({ format: 'der', type: 'spki' })
    .subarray(ED25519_SPKI_PREFIX.length)
    .toString('base64');
}

/** A new Ed25519 key pair: the private key as PKCS#8 PEM, the public key as raw base64. */
export function generateSigningKey(): { privateKeyPem: string; publicKey: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return {
    privateKeyPem: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
    publicKey: publicKeyToBase64(publicKey),
  };
}

/** Signs an event as a partner does: sets `signaturekeyid`, then `signature` (base64). */
export function signEvent<E extends Record<string, unknown>>(
  event: E,
  key: { keyId: string; privateKeyPem: string },
): E & { signature: string; signaturekeyid: string } {
  const withKeyId = { ...event, signaturekeyid: key.keyId };
  const signature = sign(
    null,
    signedBytes(withKeyId),
    createPrivateKey(key.privateKeyPem),
  ).toString('base64');
  return { ...withKeyId, signature };
}

/** Whether `event.signature` is a valid Ed25519 signature by `publicKey` (raw base64). */
export function verifyEventSignature(event: Record<string, unknown>, publicKey: string): boolean {
  const signature = event.signature;
  if (typeof signature !== 'string') return false;
  try {
    return verify(
      null,
      signedBytes(event),
      publicKeyFromBase64(publicKey),
      Buffer.from(signature, 'base64'),
    );
  } catch {
    return false;
  }
}
