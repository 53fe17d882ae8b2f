import { verifyReceiptSignature, type Receipt } from '@concord/verifier';
import { describe, expect, it } from 'vitest';
import { generatePlatformKey, publicHalf } from './platform-key.ts';
import { receiptSigner, signReceipt } from './receipt.ts';

describe('a receipt signed as the platform', () => {
  const key = generatePlatformKey('2026-01-01T00:00:00.000Z');
  const receipt: Receipt = {
    format: 'concord.receipt.v1',
    status: 'rejected',
    organizationId: 'northbridge-bio',
    source: 'urn:concord:northbridge-bio:mes',
    id: 'evt-1',
    code: 'sender.invalid-signature',
    message: 'The signature does not verify.',
    receivedAt: '2026-03-02T08:00:00.000Z',
    issuedAt: '2026-03-02T08:00:00.010Z',
  };

  it("verifies with the standalone verifier (WebCrypto) against the platform's keyring", async () => {
    const signed = signReceipt(receipt, key);
    expect(signed).toMatchObject({ ...receipt, keyId: key.keyId });
    expect(await verifyReceiptSignature(signed, [publicHalf(key)])).toBe(true);
    const other = generatePlatformKey('2026-01-01T00:00:00.000Z');
    expect(await verifyReceiptSignature(signed, [{ ...publicHalf(other), keyId: key.keyId }])).toBe(
      false,
    );
  });

  it('is the same bytes every time (Ed25519 is deterministic), from either entry point', async () => {
    const signer = receiptSigner(key);
    expect(signer.logOrigin).toBe('concord.example/log');
    expect(await signer.sign(receipt)).toEqual(signReceipt(receipt, key));
    expect(await signer.sign(receipt)).toEqual(await signer.sign(structuredClone(receipt)));
  });
});
