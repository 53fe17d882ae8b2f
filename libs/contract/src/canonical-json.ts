import canonicalize from 'canonicalize';

/**
 * The RFC 8785 (JCS) canonical JSON text of a value: keys sorted by UTF-16 code units, no
 * whitespace, ECMAScript number formatting. Use it for signing and hashing, never for display.
 * Throws for values JSON cannot represent (undefined at the top, BigInt, cycles, NaN, Infinity,
 * lone surrogates).
 */
export function canonicalJson(value: unknown): string {
  const text = canonicalize(value);
  if (text === undefined) throw new TypeError('canonicalJson: the value has no JSON form');
  return text;
}

/** The canonical JSON as UTF-8 bytes (what signatures and hashes are computed over). */
export function canonicalJsonBytes(value: unknown): Uint8Array {
  return new TextEncoder().encode(canonicalJson(value));
}
