// Ed25519 through WebCrypto, so that the same code runs in Node and in a page opened from disk.
import { fromBase64 } from './base64.ts';

const imported = new Map<string, ReturnType<typeof crypto.subtle.importKey>>();

function publicKeyOf(publicKey: string): ReturnType<typeof crypto.subtle.importKey> {
  let key = imported.get(publicKey);
  if (!key) {
    key = crypto.subtle.importKey('raw', fromBase64(publicKey), { name: 'Ed25519' }, false, [
      'verify',
    ]);
    imported.set(publicKey, key);
  }
  return key;
}

/** Whether `signature` (base64) is `publicKey`'s (raw 32 bytes, base64) over `message`. */
export async function verifyEd25519(
  publicKey: string,
  signature: string,
  message: string | Uint8Array<ArrayBuffer>,
): Promise<boolean> {
  try {
    const bytes = typeof message === 'string' ? new TextEncoder().encode(message) : message;
    return await crypto.subtle.verify(
      { name: 'Ed25519' },
      await publicKeyOf(publicKey),
      fromBase64(signature),
      bytes,
    );
  } catch {
    return false;
  }
}
