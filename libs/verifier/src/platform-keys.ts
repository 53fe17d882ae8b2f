// The platform's public keys over time, as it publishes them (its keyring).

/** A platform public key and when it signed (the keyring the platform publishes). */
export interface PlatformPublicKey {
  keyId: string;
  /** The 32 raw bytes of the Ed25519 public key, base64. */
  publicKey: string;
  validFrom: string;
  validUntil?: string;
}

/** An event signed just before a key rotation may be recorded just after it. */
const ROTATION_GRACE_MS = 5 * 60 * 1000;

/** The key named `keyId` if it was the platform's at `instant` (RFC 3339). */
export function platformKeyValidAt<Key extends PlatformPublicKey>(
  keys: readonly Key[],
  keyId: string,
  instant: string,
): Key | undefined {
  const at = Date.parse(instant);
  const key = keys.find((candidate) => candidate.keyId === keyId);
  if (!key || Number.isNaN(at) || at < Date.parse(key.validFrom)) return undefined;
  if (key.validUntil && at > Date.parse(key.validUntil) + ROTATION_GRACE_MS) return undefined;
  return key;
}
