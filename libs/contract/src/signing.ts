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
