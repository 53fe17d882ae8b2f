import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  sign,
  verify,
  type KeyObject,
} from 'node:crypto';
import { canonicalJson } from './canonical-json.ts';

/** Attributes a partner's signature does not cover: the signature itself and the platform's. */
export const UNSIGNED_ATTRIBUTES = ['signature', 'recordedtime'] as const;

/**
 * What a partner signs with Ed25519 and ingest verifies: the RFC 8785 canonical JSON of the
 * structured-mode event without `signature` and `recordedtime` (`signaturekeyid` is covered).
 * Verify on the event as received, never on an upcast one.
 */
export function signingInput(event: object): string {
  const copy: Record<string, unknown> = { ...(event as Record<string, unknown>) };
  for (const attribute of UNSIGNED_ATTRIBUTES) delete copy[attribute];
  return canonicalJson(copy);
}

/** {@link signingInput} as the UTF-8 bytes the signature is computed over. */
export function signingInputBytes(event: object): Uint8Array {
  return new TextEncoder().encode(signingInput(event));
}

// Ed25519 public keys travel as the base64 of the 32 raw bytes; node:crypto wants SPKI DER.
const ED25519_SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

/**
 * `make`, remembered by its text argument (at most 1,000, then forgotten all at once): an audit
 * checks thousands of signatures with a handful of keys, and the platform signs with one.
 */
function remembered<T>(make: (text: string) => T): (text: string) => T {
  const kept = new Map<string, T>();
  return (text) => {
    const known = kept.get(text);
    if (known !== undefined) return known;
    const value = make(text);
    if (kept.size >= 1_000) kept.clear();
    kept.set(text, value);
    return value;
  };
}

/** An Ed25519 public key from the base64 of its 32 raw bytes (as registered with the platform). */
export const publicKeyFromBase64: (rawBase64: string) => KeyObject = remembered(parsePublicKey);

function parsePublicKey(rawBase64: string): KeyObject {
  const raw = Buffer.from(rawBase64, 'base64');
  if (raw.length !== 32) throw new Error('an Ed25519 public key is 32 bytes');
  return createPublicKey({
    key: Buffer.concat([ED25519_SPKI_PREFIX, raw]),
    format: 'der',
    type: 'spki',
  });
}

/** The base64 of an Ed25519 public key's 32 raw bytes: the form the platform registers. */
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

const privateKeyFromPem = remembered((pem) => createPrivateKey(pem));

/** Signs an event as a partner does: sets `signaturekeyid`, then `signature` (base64). */
export function signEvent<E extends Record<string, unknown>>(
  event: E,
  key: { keyId: string; privateKeyPem: string | KeyObject },
): E & { signature: string; signaturekeyid: string } {
  const withKeyId = { ...event, signaturekeyid: key.keyId };
  const privateKey =
    typeof key.privateKeyPem === 'string'
      ? privateKeyFromPem(key.privateKeyPem)
      : key.privateKeyPem;
  const signature = sign(null, signingInputBytes(withKeyId), privateKey).toString('base64');
  return { ...withKeyId, signature };
}

/** Whether `event.signature` is a valid Ed25519 signature by `publicKey` (raw base64). */
export function verifyEventSignature(event: Record<string, unknown>, publicKey: string): boolean {
  const signature = event.signature;
  if (typeof signature !== 'string') return false;
  try {
    return verify(
      null,
      signingInputBytes(event),
      publicKeyFromBase64(publicKey),
      Buffer.from(signature, 'base64'),
    );
  } catch {
    return false;
  }
}

/**
 * {@link verifyEventSignature}, with the Ed25519 arithmetic done on the thread pool (node:crypto's
 * verify with a callback runs it there): a batch's signatures are checked in parallel while the
 * loop goes on. Only the canonical form is computed here; WebCrypto did the same work with a
 * third more of the loop's time per event. Resolves to false on anything malformed; never rejects.
 */
export function verifyEventSignatureAsync(
  event: Record<string, unknown>,
  publicKey: string,
): Promise<boolean> {
  const signature = event.signature;
  if (typeof signature !== 'string') return Promise.resolve(false);
  try {
    const key = publicKeyFromBase64(publicKey);
    const input = signingInputBytes(event);
    return new Promise((resolve) => {
      verify(null, input, key, Buffer.from(signature, 'base64'), (error, valid) =>
        resolve(!error && valid),
      );
    });
  } catch {
    return Promise.resolve(false);
  }
}
