import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import {
  decodeHttpStructured,
  decodeKafkaRecord,
  encodeHttpStructured,
  encodeKafkaRecord,
  generateSigningKey,
  publicKeyToBase64,
  validateEvent,
  verifyEventSignature,
  type EventData,
} from '@concord/contract';
import { exampleEvent } from '@concord/contract/examples';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { InvalidEventError, PartnerClientError } from './errors.ts';
import { uuidv7 } from './ids.ts';
import { createPartner } from './partner.ts';

const ORG = 'northbridge-bio';
const key = { keyId: `${ORG}:2026-11`, ...generateSigningKey() };
const now = new Date('2026-03-02T08:15:00.000Z');
const partner = createPartner({
  organizationId: ORG,
  keyId: key.keyId,
  privateKeyPem: key.privateKeyPem,
  defaultSource: `urn:concord:${ORG}:mes`,
  clock: () => now,
});
const scheduled = exampleEvent('concord.batch.scheduled.v1');
const asRecord = (event: object) => event as Record<string, unknown>;

describe('a partner', () => {
  it('builds a complete, signed event typed by its type', () => {
    const event = partner.event('concord.batch.scheduled.v1', scheduled.subject, scheduled.data, {
      actorId: 'nb-p-0212',
      actorRole: 'production',
      correlationId: 'wf-1',
    });
    expectTypeOf(event.data).toEqualTypeOf<EventData<'concord.batch.scheduled.v1'>>();
    expect(event).toMatchObject({
      specversion: '1.0',
      source: `urn:concord:${ORG}:mes`,
      type: 'concord.batch.scheduled.v1',
      subject: scheduled.subject,
      time: now.toISOString(),
      datacontenttype: 'application/json',
      dataschema: 'https://concord.example/schemas/events/batch/scheduled.v1.schema.json',
      actorid: 'nb-p-0212',
      actororg: ORG,
      actorrole: 'production',
      correlationid: 'wf-1',
      signaturekeyid: key.keyId,
    });
    expect(event.id).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
    expect(validateEvent(event)).toMatchObject({ ok: true });
    expect(verifyEventSignature(asRecord(event), key.publicKey)).toBe(true);
  });

  it('refuses data of another type at compile time', () => {
    const build = () =>
      partner.event(
        'concord.batch.manufacturing-started.v1',
        scheduled.subject,
        // @ts-expect-error the data of batch.scheduled is not that of manufacturing-started
        scheduled.data,
        { actorId: 'nb-p-0212' },
      );
    expect(build).toThrow(InvalidEventError);
  });

  it('keeps its signature through both bindings (Kafka binary, HTTP structured)', () => {
    const event = partner.event('concord.batch.scheduled.v1', scheduled.subject, scheduled.data, {
      actorId: 'nb-p-0212',
      time: '2026-03-02T09:15:00+01:00',
      id: 'evt-1',
    });
    const fromKafka = decodeKafkaRecord(encodeKafkaRecord(event));
    const fromHttp = decodeHttpStructured(encodeHttpStructured(event));
    for (const decoded of [fromKafka, fromHttp]) {
      if (!decoded.ok) throw new Error(JSON.stringify(decoded.errors));
      expect(decoded.event).toEqual(event);
      expect(verifyEventSignature(asRecord(decoded.event), key.publicKey)).toBe(true);
    }
    expect(event.time).toBe('2026-03-02T09:15:00+01:00');
  });

  it('throws InvalidEventError, never retriable, naming every broken field', () => {
    const data = { ...scheduled.data, plannedQuantity: { value: -1, unit: 'vials' } };
    let thrown: unknown;
    try {
      partner.event('concord.batch.scheduled.v1', 'bad subject!', data, { actorId: 'nb-p-0212' });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(InvalidEventError);
    const error = thrown as InvalidEventError;
    expect(error.retriable).toBe(false);
    expect(error.errors.map((e) => e.path)).toEqual(
      expect.arrayContaining(['/subject', '/data/plannedQuantity/value']),
    );
  });

  it('completes a loosely given event and replaces any signature with its own', () => {
    const { id: _id, source: _source, dataschema: _schema, ...rest } = scheduled;
    const event = partner.complete({ ...rest, signature: 'x', signaturekeyid: 'someone:else' });
    expect(event.source).toBe(`urn:concord:${ORG}:mes`);
    expect(event.time).toBe(scheduled.time);
    expect(event.signaturekeyid).toBe(key.keyId);
    expect(verifyEventSignature(asRecord(event), key.publicKey)).toBe(true);

    const minimal = partner.complete(
      { type: scheduled.type, subject: scheduled.subject, data: scheduled.data },
      { actorId: 'nb-p-0212', id: 'line-7' },
    );
    expect(minimal).toMatchObject({ id: 'line-7', actorid: 'nb-p-0212', time: now.toISOString() });
  });

  it('checks the sender rules ingest applies: its own sources and organization only', () => {
    const complete = (overrides: object) => () => partner.complete({ ...scheduled, ...overrides });
    expect(complete({ source: 'urn:concord:helvion-tx:qms' })).toThrow(/\/source/);
    expect(complete({ actororg: 'helvion-tx' })).toThrow(/\/actororg/);
    expect(complete({ type: 'concord.batch.invented.v1' })).toThrow(/unknown event type/);
    expect(() => partner.complete('not an object')).toThrow(InvalidEventError);
  });

  it('refuses a default source of another organization and keys that are not Ed25519', () => {
    const options = {
      organizationId: ORG,
      keyId: key.keyId,
      privateKeyPem: key.privateKeyPem,
      defaultSource: `urn:concord:${ORG}:mes`,
    };
    expect(() => createPartner({ ...options, defaultSource: 'urn:concord:other:mes' })).toThrow(
      PartnerClientError,
    );
    expect(() => createPartner({ ...options, privateKeyPem: 'not a key' })).toThrow(/PEM/);
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 });
    expect(() =>
      createPartner({
        ...options,
        privateKeyPem: rsa.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
      }),
    ).toThrow(/Ed25519/);
  });

  it('signs with the key whose public half the platform registered', () => {
    const event = partner.event('concord.batch.scheduled.v1', scheduled.subject, scheduled.data, {
      actorId: 'nb-p-0212',
    });
    const derived = publicKeyToBase64(createPublicKey(key.privateKeyPem));
    expect(derived).toBe(key.publicKey);
    expect(verifyEventSignature(asRecord(event), generateSigningKey().publicKey)).toBe(false);
  });
});

describe('uuidv7', () => {
  it('is a version 7 UUID whose first 48 bits are the time', () => {
    const id = uuidv7(0x0195008f9b2c);
    expect(id).toMatch(/^0195008f-9b2c-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    const ids = Array.from({ length: 1000 }, () => uuidv7());
    expect(new Set(ids).size).toBe(1000);
    expect(uuidv7(1) < uuidv7(2)).toBe(true);
  });
});
