import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  sign,
  verify,
  webcrypto,
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

// Parsed keys, by their base64: an audit checks thousands of signatures with a handful of keys.
const parsedKeys = new Map<string, KeyObject>();
const PARSED_KEYS_KEPT = 1_000;

/** An Ed25519 public key from the base64 of its 32 raw bytes (as registered with the platform). */
export function publicKeyFromBase64(rawBase64: string): KeyObject {
  const parsed = parsedKeys.get(rawBase64);
  if (parsed) return parsed;
  const key = parsePublicKey(rawBase64);
  if (parsedKeys.size >= PARSED_KEYS_KEPT) parsedKeys.clear();
  parsedKeys.set(rawBase64, key);
  return key;
}

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

// Parsed private keys, by their PEM: the platform signs every event it derives with one key.
const parsedPrivateKeys = new Map<string, KeyObject>();

function privateKeyFromPem(pem: string): KeyObject {
  const parsed = parsedPrivateKeys.get(pem);
  if (parsed) return parsed;
  const key = createPrivateKey(pem);
  if (parsedPrivateKeys.size >= PARSED_KEYS_KEPT) parsedPrivateKeys.clear();
  parsedPrivateKeys.set(pem, key);
  return key;
}

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

// Imported WebCrypto keys, by their base64 (see publicKeyFromBase64).
const importedKeys = new Map<string, Promise<webcrypto.CryptoKey>>();

function importedPublicKey(rawBase64: string): Promise<webcrypto.CryptoKey> {
  let imported = importedKeys.get(rawBase64);
  if (!imported) {
    if (importedKeys.size >= PARSED_KEYS_KEPT) importedKeys.clear();
    imported = webcrypto.subtle.importKey(
      'raw',
      Buffer.from(rawBase64, 'base64'),
      { name: 'Ed25519' },
      false,
      ['verify'],
    );
    importedKeys.set(rawBase64, imported);
  }
  return imported;
}

/**
 * {@link verifyEventSignature}, with the Ed25519 arithmetic done on the thread pool (WebCrypto
 * runs it off the event loop): a batch's signatures are checked in parallel while the loop goes
 * on. Only the canonical form is computed here. Resolves to false on anything malformed; never
 * rejects.
 */
export async function verifyEventSignatureAsync(
  event: Record<string, unknown>,
  publicKey: string,
): Promise<boolean> {
  const signature = event.signature;
  if (typeof signature !== 'string') return false;
  try {
    if (Buffer.from(publicKey, 'base64').length !== 32) return false;
    return await webcrypto.subtle.verify(
      'Ed25519',
      await importedPublicKey(publicKey),
      Buffer.from(signature, 'base64'),
      signingInputBytes(event),
    );
  } catch {
    return false;
  }
}
