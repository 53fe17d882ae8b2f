import { createHash, createPrivateKey, createPublicKey } from 'node:crypto';
import { chmod, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  generateSigningKey,
  publicKeyToBase64,
  signEvent,
  verifyEventSignature,
} from '@concord/contract';
import { platformKeyValidAt as keyValidAt } from '@concord/verifier';

/** The organization id the platform acts and signs under (key ids `concord:<name>`). */
export const PLATFORM_ORGANIZATION_ID = 'concord';

/** A platform key's public half and when it may sign: what a verifier needs. */
export interface PlatformPublicKey {
  keyId: string;
  algorithm: 'Ed25519';
  /** The 32 raw bytes of the Ed25519 public key, base64. */
  publicKey: string;
  /** From when it signs (RFC 3339). */
  validFrom: string;
  /** Until when it signed, once a newer key took over (RFC 3339). */
  validUntil?: string;
}

/** The platform's signing key: the private half stays in a file only the platform reads. */
export interface PlatformKey extends PlatformPublicKey {
  privateKeyPem: string;
}

/** Every key the platform has signed with, oldest first: what a verifier checks against. */
export type PlatformKeyring = readonly PlatformPublicKey[];

/** Why the platform cannot sign: no key where the operator was told to put one, or a bad one. */
export class PlatformKeyError extends Error {
  override readonly name = 'PlatformKeyError';
}

export function isPlatformKeyId(keyId: string): boolean {
  return keyId.startsWith(`${PLATFORM_ORGANIZATION_ID}:`);
}

/** A new key, valid from `validFrom`, named after that day and its public key's fingerprint. */
export function generatePlatformKey(validFrom: string): PlatformKey {
  const { privateKeyPem, publicKey } = generateSigningKey();
  const fingerprint = createHash('sha256').update(publicKey).digest('hex').slice(0, 8);
  return {
    keyId: `${PLATFORM_ORGANIZATION_ID}:${validFrom.slice(0, 10)}-${fingerprint}`,
    algorithm: 'Ed25519',
    publicKey,
    validFrom,
    privateKeyPem,
  };
}

/** The public half, as it goes into keyrings, bundles and the README's instructions. */
export function publicHalf(key: PlatformPublicKey): PlatformPublicKey {
  const { keyId, algorithm, publicKey, validFrom, validUntil } = key;
  return { keyId, algorithm, publicKey, validFrom, ...(validUntil ? { validUntil } : {}) };
}

/**
 * A new key taking over at `at`: the current one's validity ends there, the keyring keeps both.
 * Events signed before `at` still verify with the old key.
 */
export function rotatePlatformKey(
  keyring: PlatformKeyring,
  at: string,
): { key: PlatformKey; keyring: PlatformKeyring } {
  const key = generatePlatformKey(at);
  return {
    key,
    keyring: [
      ...keyring.map((entry) => (entry.validUntil ? entry : { ...entry, validUntil: at })),
      publicHalf(key),
    ],
  };
}

/** The key in a keyring that may have signed at `instant` (a little grace after its end). */
export function platformKeyValidAt(
  keyring: PlatformKeyring,
  keyId: string,
  instant: string,
): PlatformPublicKey | undefined {
  // One rule, the verifier's: what the platform checks is what an auditor's verifier checks.
  return keyValidAt(keyring, keyId, instant);
}

/** Checks a key read from a file or the environment: complete, and the halves belong together. */
export function parsePlatformKey(value: unknown, where: string): PlatformKey {
  const key = value as Partial<PlatformKey> | null;
  const text = (field: keyof PlatformKey) => {
    const found = key?.[field];
    if (typeof found !== 'string' || found.length === 0)
      throw new PlatformKeyError(`${where}: the platform key has no ${field}`);
    return found;
  };
  const parsed: PlatformKey = {
    keyId: text('keyId'),
    algorithm: 'Ed25519',
    publicKey: text('publicKey'),
    validFrom: text('validFrom'),
    privateKeyPem: text('privateKeyPem'),
    ...(key?.validUntil ? { validUntil: key.validUntil } : {}),
  };
  if (!isPlatformKeyId(parsed.keyId))
    throw new PlatformKeyError(`${where}: a platform key id starts with "concord:"`);
  let publicKey: string;
  try {
    publicKey = publicKeyToBase64(createPublicKey(createPrivateKey(parsed.privateKeyPem)));
  } catch {
    throw new PlatformKeyError(
      `${where}: privateKeyPem is not an Ed25519 private key (PKCS#8 PEM)`,
    );
  }
  const probe = signEvent({ id: 'probe' }, parsed);
  if (publicKey !== parsed.publicKey || !verifyEventSignature(probe, parsed.publicKey))
    throw new PlatformKeyError(`${where}: publicKey is not the public half of privateKeyPem`);
  return parsed;
}

function parseKeyring(value: unknown, where: string): PlatformKeyring {
  const keys = (value as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(keys) || keys.length === 0)
    throw new PlatformKeyError(`${where}: a keyring is { "keys": [ … ] } with at least one key`);
  return keys.map((entry: Partial<PlatformPublicKey>, index) => {
    if (
      typeof entry?.keyId !== 'string' ||
      !isPlatformKeyId(entry.keyId) ||
      typeof entry.publicKey !== 'string' ||
      typeof entry.validFrom !== 'string'
    )
      throw new PlatformKeyError(
        `${where}: key ${index} needs keyId (concord:…), publicKey, validFrom`,
      );
    return publicHalf({ ...entry, algorithm: 'Ed25519' } as PlatformPublicKey);
  });
}

/** A keyring with the signing key in it (added if the file predates it). */
function withKey(keyring: PlatformKeyring, key: PlatformKey): PlatformKeyring {
  return keyring.some((entry) => entry.keyId === key.keyId)
    ? keyring
    : [...keyring, publicHalf(key)];
}

export interface PlatformSigning {
  key: PlatformKey;
  keyring: PlatformKeyring;
}

export const PLATFORM_KEY_FILE = 'platform-key.json';
export const PLATFORM_KEYRING_FILE = 'platform-keyring.json';

/**
 * The embedded platform's key: read from the data folder, or generated there on first start
 * (private key readable by its owner only) with a keyring holding its public half.
 */
export async function openEmbeddedPlatformKey(
  dataDir: string,
  now: () => Date = () => new Date(),
): Promise<PlatformSigning> {
  const keyFile = join(dataDir, PLATFORM_KEY_FILE);
  const keyringFile = join(dataDir, PLATFORM_KEYRING_FILE);
  const existing = await readJson(keyFile);
  if (existing === undefined) {
    const key = generatePlatformKey(now().toISOString());
    await writeFile(keyFile, `${JSON.stringify(key, null, 2)}\n`, { mode: 0o600 });
    await chmod(keyFile, 0o600);
    const keyring = [publicHalf(key)];
    await writeFile(keyringFile, `${JSON.stringify({ keys: keyring }, null, 2)}\n`);
    return { key, keyring };
  }
  const key = parsePlatformKey(existing, keyFile);
  const savedKeyring = await readJson(keyringFile);
  const keyring = savedKeyring === undefined ? [] : parseKeyring(savedKeyring, keyringFile);
  return { key, keyring: withKey(keyring, key) };
}

/**
 * A server's key, never generated: `CONCORD_PLATFORM_KEY_FILE` names the key file (made by
 * `concord keys platform generate`), `CONCORD_PLATFORM_KEYRING_FILE` optionally the public keys
 * it took over from. Without a key the server refuses to start, saying so.
 */
export async function loadPlatformKey(
  env: Record<string, string | undefined> = process.env,
): Promise<PlatformSigning> {
  const keyFile = env.CONCORD_PLATFORM_KEY_FILE;
  if (!keyFile)
    throw new PlatformKeyError(
      'CONCORD_PLATFORM_KEY_FILE is not set: the platform signs every event it records and needs its key (make one with `concord keys platform generate --out <file>`)',
    );
  const value = await readJson(keyFile);
  if (value === undefined) throw new PlatformKeyError(`${keyFile}: no such platform key file`);
  const key = parsePlatformKey(value, keyFile);
  const keyringFile = env.CONCORD_PLATFORM_KEYRING_FILE;
  const savedKeyring = keyringFile ? await readJson(keyringFile) : undefined;
  if (keyringFile && savedKeyring === undefined)
    throw new PlatformKeyError(`${keyringFile}: no such platform keyring file`);
  const keyring = savedKeyring === undefined ? [] : parseKeyring(savedKeyring, String(keyringFile));
  return { key, keyring: withKey(keyring, key) };
}

/** Reads a keyring file (public keys only): what `concord audit verify` checks against. */
export async function readPlatformKeyring(file: string): Promise<PlatformKeyring> {
  const value = await readJson(file);
  if (value === undefined) throw new PlatformKeyError(`${file}: no such platform keyring file`);
  return parseKeyring(value, file);
}

async function readJson(file: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new PlatformKeyError(`${file}: not JSON`);
  }
}
