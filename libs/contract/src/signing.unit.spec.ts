import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { eventTypes } from './generated/catalogue.ts';
import { exampleEvent } from './examples.ts';
import {
  generateSigningKey,
  publicKeyFromBase64,
  publicKeyToBase64,
  signEvent,
  verifyEventSignature,
  verifyEventSignatureAsync,
} from './signing.ts';

const published = JSON.parse(
  readFileSync(
    fileURLToPath(new URL('../../../schemas/examples/signing-keys.json', import.meta.url)),
    'utf8',
  ),
) as { keys: Record<string, { publicKey: string; privateKey: string }> };

describe('partner signatures', () => {
  it('verifies every published example that a partner signed, with the published keys', () => {
    let checked = 0;
    for (const type of eventTypes) {
      const event = exampleEvent(type) as unknown as Record<string, unknown>;
      const partnerKey = Object.keys(published.keys).some((keyId) =>
        keyId.startsWith(`${String(event.actororg)}:`),
      );
      // The platform's own records (its source) carry no partner signature, whoever acted.
      const platformRecord = String(event.source).startsWith('urn:concord:platform');
      if (event.signaturekeyid === undefined && (!partnerKey || platformRecord)) continue;
      const key = published.keys[String(event.signaturekeyid)];
      expect(key, `${type}: signed with an unpublished key; run sign-examples`).toBeDefined();
      expect(verifyEventSignature(event, key!.publicKey), `${type}: run sign-examples`).toBe(true);
      checked++;
    }
    expect(checked).toBeGreaterThan(10);
  });

  it('publishes each example key pair whole: the private key signs for the public one', () => {
    for (const [keyId, { publicKey, privateKey }] of Object.entries(published.keys)) {
      const signed = signEvent({ id: keyId, data: {} }, { keyId, privateKeyPem: privateKey });
      expect(verifyEventSignature(signed, publicKey), keyId).toBe(true);
    }
  });

  it('signs so that any change to an attribute or the data breaks the signature', () => {
    const key = { keyId: 'cdmo:1', ...generateSigningKey() };
    const signed = signEvent({ id: '1', type: 't', subject: 'b-1', data: { value: 99.5 } }, key);
    expect(verifyEventSignature(signed, key.publicKey)).toBe(true);
    expect(
      verifyEventSignature({ ...signed, recordedtime: '2026-01-01T00:00:00Z' }, key.publicKey),
    ).toBe(true);
    expect(verifyEventSignature({ ...signed, subject: 'b-2' }, key.publicKey)).toBe(false);
    expect(verifyEventSignature({ ...signed, data: { value: 99.6 } }, key.publicKey)).toBe(false);
    expect(verifyEventSignature({ ...signed, signaturekeyid: 'cdmo:2' }, key.publicKey)).toBe(
      false,
    );
    expect(verifyEventSignature(signed, generateSigningKey().publicKey)).toBe(false);
    expect(verifyEventSignature({ ...signed, signature: 'not base64 at all' }, key.publicKey)).toBe(
      false,
    );
  });

  it('verifies off the event loop with exactly the same answers', async () => {
    const key = { keyId: 'cdmo:1', ...generateSigningKey() };
    const signed = signEvent({ id: '1', type: 't', subject: 'b-1', data: { value: 99.5 } }, key);
    const cases: [Record<string, unknown>, string][] = [
      [signed, key.publicKey],
      [{ ...signed, recordedtime: '2026-01-01T00:00:00Z' }, key.publicKey],
      [{ ...signed, subject: 'b-2' }, key.publicKey],
      [{ ...signed, data: { value: 99.6 } }, key.publicKey],
      [{ ...signed, signaturekeyid: 'cdmo:2' }, key.publicKey],
      [signed, generateSigningKey().publicKey],
      [{ ...signed, signature: 'not base64 at all' }, key.publicKey],
      [{ ...signed, signature: 42 }, key.publicKey],
      [signed, Buffer.alloc(31).toString('base64')],
      [signed, 'not a key'],
    ];
    const answers = await Promise.all(cases.map(([e, k]) => verifyEventSignatureAsync(e, k)));
    expect(answers).toEqual(cases.map(([e, k]) => verifyEventSignature(e, k)));
    expect(answers.filter(Boolean)).toHaveLength(2);
    for (const [keyId, { publicKey, privateKey }] of Object.entries(published.keys)) {
      const example = signEvent({ id: keyId, data: {} }, { keyId, privateKeyPem: privateKey });
      expect(await verifyEventSignatureAsync(example, publicKey), keyId).toBe(true);
    }
  });

  it('carries public keys as the base64 of their 32 raw bytes, both ways', () => {
    const { publicKey } = generateSigningKey();
    expect(Buffer.from(publicKey, 'base64')).toHaveLength(32);
    expect(publicKeyToBase64(publicKeyFromBase64(publicKey))).toBe(publicKey);
    expect(() => publicKeyFromBase64(Buffer.alloc(31).toString('base64'))).toThrow(/32 bytes/);
  });
});
