import { createPrivateKey, sign, type KeyObject } from 'node:crypto';
import { receiptBody, type Receipt, type SignedReceipt } from '@concord/verifier';
import { LOG_ORIGIN } from './log-tree.ts';
import type { PlatformKey } from './platform-key.ts';

function signWith(receipt: Receipt, keyId: string, privateKey: KeyObject): SignedReceipt {
  const unsigned = { ...receipt, keyId };
  const signature = sign(null, Buffer.from(receiptBody(unsigned), 'utf8'), privateKey);
  return { ...unsigned, signature: signature.toString('base64') };
}

/**
 * The platform's signature on a receipt: Ed25519 over the verifier's `receiptBody`, so that what is
 * signed here is what a partner's verifier checks. The key id is part of what is signed.
 */
export function signReceipt(receipt: Receipt, key: PlatformKey): SignedReceipt {
  return signWith(receipt, key.keyId, createPrivateKey(key.privateKeyPem));
}

/**
 * What ingest signs its answers with (`IngestPipelineOptions.receipts`): the name of the log its
 * accepted receipts promise inclusion in, and the platform key (read once). Ed25519 is
 * deterministic: the same receipt always gets the same signature.
 */
export function receiptSigner(
  key: PlatformKey,
  logOrigin: string = LOG_ORIGIN,
): { logOrigin: string; sign(receipt: Receipt): Promise<SignedReceipt> } {
  // Signed on the thread pool (node:crypto's sign with a callback): a batch's receipts in
  // parallel, off the loop, without WebCrypto's per-call overhead on it.
  const privateKey = createPrivateKey(key.privateKeyPem);
  return {
    logOrigin,
    async sign(receipt) {
      const unsigned = { ...receipt, keyId: key.keyId };
      const body = Buffer.from(receiptBody(unsigned), 'utf8');
      return new Promise((resolve, reject) => {
        sign(null, body, privateKey, (error, signature) => {
          if (error) reject(error);
          else resolve({ ...unsigned, signature: signature.toString('base64') });
        });
      });
    },
  };
}
