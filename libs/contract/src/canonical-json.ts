import canonicalize from 'canonicalize';
import { configure } from 'safe-stable-stringify';

/**
 * One pass with sorted keys (UTF-16 code unit order), JSON.stringify's escaping and number
 * formatting: RFC 8785 for every value it accepts. Strict: NaN, Infinity, BigInt, functions and
 * cycles throw.
 */
const sortedJson = configure({ deterministic: true, strict: true, circularValue: TypeError });

/** An escaped UTF-16 surrogate (`\udXXX`) whose backslash is not itself escaped. */
const ESCAPED_SURROGATE = /(?<!\\)(?:\\\\)*\\ud[89a-f]/i;

/**
 * The RFC 8785 (JCS) canonical JSON text of a value: keys sorted by UTF-16 code units, no
 * whitespace, ECMAScript number formatting. Use it for signing and hashing, never for display.
 * Throws for values JSON cannot represent (undefined at the top, BigInt, cycles, NaN, Infinity,
 * functions, lone surrogates).
 *
 * Signatures are checked over this form for every partner event, so it runs in one pass
 * (safe-stable-stringify, several times faster than `canonicalize`); a text holding an escaped
 * surrogate, which only a lone surrogate produces, is left to `canonicalize`, which refuses it.
 * canonical-json.unit.spec.ts checks both against `canonicalize` byte for byte.
 */
export function canonicalJson(value: unknown): string {
  const text = sortedJson(value);
  if (text === undefined) throw new TypeError('canonicalJson: the value has no JSON form');
  if (ESCAPED_SURROGATE.test(text)) return canonicalize(value)!;
  return text;
}

/** The canonical JSON as UTF-8 bytes (what signatures and hashes are computed over). */
export function canonicalJsonBytes(value: unknown): Uint8Array {
  return new TextEncoder().encode(canonicalJson(value));
}
