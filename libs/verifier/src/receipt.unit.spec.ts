import { createPrivateKey, generateKeyPairSync, sign } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { toBase64 } from './base64.ts';
import { checkpointBody, type SignedCheckpoint } from './checkpoint.ts';
import { inclusionProof, leafHash, rootHash } from './merkle.ts';
import {
  eventDigest,
  receiptBody,
  receiptIncludedIn,
  verifyReceiptInclusion,
  verifyReceiptSignature,
  type AcceptedReceipt,
  type Receipt,
  type RejectedReceipt,
  type SignedReceipt,
} from './receipt.ts';

// Vectors made here with node:crypto, the way the platform signs (the verifier checks with
// WebCrypto): a key pair, a keyring, a log of four events and receipts for one of them.
function platformKey(keyId: string, validFrom: string, validUntil?: string) {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const raw = publicKey.export({ format: 'der', type: 'spki' }).subarray(-32);
  return {
    keyId,
    privateKeyPem: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
    public: {
      keyId,
      publicKey: toBase64(raw),
      validFrom,
      ...(validUntil ? { validUntil } : {}),
    },
  };
}
type Key = ReturnType<typeof platformKey>;
type Signature = { keyId: string; signature: string };

const signed = <R extends Receipt>(receipt: R, key: Key): R & Signature => {
  const withKey = { ...receipt, keyId: key.keyId };
  const signature = sign(
    null,
    Buffer.from(receiptBody(withKey), 'utf8'),
    createPrivateKey(key.privateKeyPem),
  );
  return { ...withKey, signature: signature.toString('base64') };
};

const hexOf = (byte: number) => Buffer.alloc(32, byte).toString('hex');
const leafOf = (hex: string) => leafHash(Uint8Array.from(Buffer.from(hex, 'hex')));

const checkpointOver = (hashes: string[], key: Key, timestamp: string): SignedCheckpoint => {
  const fields = {
    origin: 'concord.example/log',
    treeSize: hashes.length,
    rootHash: toBase64(rootHash(hashes.map(leafOf))),
    timestamp,
  };
  const signature = sign(
    null,
    Buffer.from(checkpointBody(fields), 'utf8'),
    createPrivateKey(key.privateKeyPem),
  );
  return { ...fields, keyId: key.keyId, signature: signature.toString('base64') };
};

const proofIn = (hashes: string[], leafIndex: number) => ({
  leafIndex,
  treeSize: hashes.length,
  proof: inclusionProof(hashes.map(leafOf), leafIndex).map(toBase64),
});

describe('a receipt', () => {
  const key = platformKey('concord:2026-01-01-aaaa', '2026-01-01T00:00:00.000Z');
  const keyring = [key.public];
  const sent = { specversion: '1.0', id: 'evt-1', source: 'urn:concord:cdmo:mes', data: { n: 1 } };
  const accepted: AcceptedReceipt = {
    format: 'concord.receipt.v1',
    status: 'accepted',
    organizationId: 'cdmo',
    source: sent.source,
    id: sent.id,
    digest: eventDigest(sent),
    eventId: 'ev-0123456789abcdef0123456789abcdef01234567',
    streamId: 'batch-cdmo:b-1',
    events: [
      {
        eventId: 'ev-01234',
        type: 'concord.batch.qc-result-recorded.v1',
        globalPosition: '7',
        hash: hexOf(2),
      },
      {
        eventId: 'ev-01234:oos',
        type: 'concord.batch.oos-investigation-opened.v1',
        globalPosition: '9',
        hash: hexOf(3),
      },
    ],
    receivedAt: '2026-03-02T08:00:00.000Z',
    recordedAt: '2026-03-02T08:00:00.012Z',
    logOrigin: 'concord.example/log',
    issuedAt: '2026-03-02T08:00:00.020Z',
  };
  const rejected: RejectedReceipt = {
    format: 'concord.receipt.v1',
    status: 'rejected',
    organizationId: 'cdmo',
    source: sent.source,
    id: 'evt-2',
    type: 'concord.batch.scheduled.v1',
    digest: hexOf(9),
    code: 'sender.invalid-signature',
    message: 'The signature does not verify with key cdmo:k1.',
    receivedAt: '2026-03-02T08:00:00.000Z',
    issuedAt: '2026-03-02T08:00:00.020Z',
  };

  it('is signed over a prefixed canonical text of everything but the signature, key id included', () => {
    const body = receiptBody({ ...rejected, keyId: 'concord:k' });
    expect(body.startsWith('concord.receipt.v1\n{"code":"sender.invalid-signature",')).toBe(true);
    expect(body).toContain('"keyId":"concord:k"');
    // Not JSON: it can never be the signed form of an event.
    expect(() => JSON.parse(body)).toThrow();
    // The order of the fields does not matter, a signature field is left out.
    const reordered = Object.fromEntries(Object.entries(rejected).reverse()) as RejectedReceipt;
    expect(receiptBody({ ...reordered, keyId: 'concord:k', signature: 'x' })).toBe(body);
  });

  it('verifies for an acceptance and a refusal, with the key of its time', async () => {
    expect(await verifyReceiptSignature(signed(accepted, key), keyring)).toBe(true);
    expect(await verifyReceiptSignature(signed(rejected, key), keyring)).toBe(true);
  });

  it('does not verify when anything in it changed, or was added', async () => {
    const receipt = signed(accepted, key);
    const [first, second] = receipt.events;
    const tampered: SignedReceipt[] = [
      { ...receipt, events: [{ ...first!, globalPosition: '6' }, second!] },
      { ...receipt, events: [{ ...first!, hash: hexOf(4) }, second!] },
      { ...receipt, events: [first!] },
      { ...receipt, recordedAt: '2026-03-02T08:00:01.012Z' },
      { ...receipt, digest: hexOf(5) },
      { ...receipt, id: 'evt-other' },
      { ...receipt, treeSize: 12 } as SignedReceipt,
      { ...receipt, keyId: 'concord:other' },
      { ...receipt, signature: 'not base64!' },
    ];
    for (const changed of tampered)
      expect(await verifyReceiptSignature(changed, keyring)).toBe(false);
    const refusal = signed(rejected, key);
    expect(await verifyReceiptSignature({ ...refusal, code: 'batch.out-of-order' }, keyring)).toBe(
      false,
    );
    expect(
      await verifyReceiptSignature(
        { ...refusal, status: 'accepted' } as unknown as SignedReceipt,
        keyring,
      ),
    ).toBe(false);
  });

  it("does not verify with a key that was not the platform's when the receipt was issued", async () => {
    const stranger = platformKey('concord:2026-01-01-bbbb', '2026-01-01T00:00:00.000Z');
    expect(await verifyReceiptSignature(signed(accepted, stranger), keyring)).toBe(false);
    const retired = platformKey(
      'concord:2025-01-01-cccc',
      '2025-01-01T00:00:00.000Z',
      '2026-01-01T00:00:00.000Z',
    );
    expect(await verifyReceiptSignature(signed(accepted, retired), [retired.public])).toBe(false);
    const early = { ...accepted, issuedAt: '2025-12-31T23:59:59.000Z' };
    expect(await verifyReceiptSignature(signed(early, key), keyring)).toBe(false);
  });

  it('names the digest of the event as sent, whatever the order of its fields', () => {
    const reordered = { data: { n: 1 }, source: sent.source, id: sent.id, specversion: '1.0' };
    expect(eventDigest(reordered)).toBe(accepted.digest);
    expect(eventDigest({ ...sent, data: { n: 2 } })).not.toBe(accepted.digest);
  });

  describe('against a later checkpoint', () => {
    // The log: two earlier events, the receipt's event at leaf 2, one between, the derived one.
    const log = [hexOf(0), hexOf(1), hexOf(2), hexOf(8), hexOf(3), hexOf(10)];
    const checkpoint = checkpointOver(log, key, '2026-03-02T09:00:00.000Z');
    const receipt = signed(accepted, key);

    it('is included: its event and what was derived, at the leaves the log proves', async () => {
      expect(receiptIncludedIn(receipt, 0, checkpoint, proofIn(log, 2))).toBe(true);
      expect(receiptIncludedIn(receipt, 1, checkpoint, proofIn(log, 4))).toBe(true);
      expect(
        await verifyReceiptInclusion(receipt, keyring, {
          checkpoint,
          inclusion: proofIn(log, 2),
        }),
      ).toEqual({ ok: true });
    });

    it('is not included at another leaf, in a smaller tree, in another log, or by a refusal', () => {
      expect(receiptIncludedIn(receipt, 0, checkpoint, proofIn(log, 3))).toBe(false);
      expect(receiptIncludedIn(receipt, 2, checkpoint, proofIn(log, 2))).toBe(false);
      const smaller = { ...proofIn(log.slice(0, 3), 2) };
      expect(receiptIncludedIn(receipt, 0, checkpoint, smaller)).toBe(false);
      expect(
        receiptIncludedIn(receipt, 0, { ...checkpoint, origin: 'elsewhere/log' }, proofIn(log, 2)),
      ).toBe(false);
      expect(receiptIncludedIn(signed(rejected, key), 0, checkpoint, proofIn(log, 2))).toBe(false);
    });

    it('convicts a log where the event was rewritten: its signed checkpoint cannot prove the receipt', async () => {
      const rewritten = log.map((hash, index) => (index === 2 ? hexOf(7) : hash));
      const later = checkpointOver(rewritten, key, '2026-03-02T10:00:00.000Z');
      const check = await verifyReceiptInclusion(receipt, keyring, {
        checkpoint: later,
        inclusion: proofIn(rewritten, 2),
      });
      expect(check).toEqual({ ok: false, problem: expect.stringContaining('does not include') });
    });

    it('needs both signatures', async () => {
      const forged = { ...checkpoint, treeSize: 6, timestamp: '2026-03-02T09:00:01.000Z' };
      expect(
        await verifyReceiptInclusion(receipt, keyring, {
          checkpoint: forged,
          inclusion: proofIn(log, 2),
        }),
      ).toEqual({ ok: false, problem: expect.stringContaining('checkpoint') });
      expect(
        await verifyReceiptInclusion({ ...receipt, streamId: 'batch-x' }, keyring, {
          checkpoint,
          inclusion: proofIn(log, 2),
        }),
      ).toEqual({ ok: false, problem: expect.stringContaining('receipt') });
    });
  });
});
