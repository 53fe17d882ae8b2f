import { describe, expect, it } from 'vitest';
import type { EventType } from './generated/catalogue.ts';
import type { ValidationError } from './validation-error.ts';
import { example } from './test-support/examples.ts';
import { parseEvent, validateEvent, validateEventData, validateRejection } from './validate.ts';

// Tests break events on purpose, at any depth; a loose type keeps that readable.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Loose = any;

function loose(type: EventType): Loose {
  return example(type);
}

function errorsOf(input: unknown, options = {}): readonly ValidationError[] {
  const result = validateEvent(input, options);
  if (result.ok) throw new Error('expected the event to be rejected');
  return result.errors;
}

const scheduled = (): Loose => loose('concord.batch.scheduled.v1');

describe('validateEvent', () => {
  it('accepts a valid event and returns it typed', () => {
    const event = example('concord.batch.scheduled.v1');
    const result = validateEvent(event);
    expect(result).toEqual({ ok: true, event });
  });

  it('names a field of the wrong type', () => {
    const event = scheduled();
    event.data.plannedQuantity.value = '2000';
    expect(errorsOf(event)).toEqual([
      {
        path: '/data/plannedQuantity/value',
        code: 'type',
        message: 'The field /data/plannedQuantity/value must be a number, not a string.',
      },
    ]);
  });

  it('names a missing field', () => {
    const event = scheduled();
    delete event.data.plannedQuantity.unit;
    delete event.data.site;
    expect(errorsOf(event)).toEqual([
      { path: '/data/site', code: 'required', message: 'The field /data/site is required.' },
      {
        path: '/data/plannedQuantity/unit',
        code: 'required',
        message: 'The field /data/plannedQuantity/unit is required.',
      },
    ]);
  });

  it('names an extra field, in the data and in the envelope', () => {
    const event = scheduled();
    event.data.plannedQuantity.precision = 2;
    event['priority'] = 'high';
    const errors = errorsOf(event);
    expect(errors.map((e) => [e.path, e.code])).toEqual([
      ['/priority', 'additional-property'],
      ['/data/plannedQuantity/precision', 'additional-property'],
    ]);
    expect(errors[1]?.message).toContain('accepts only: value, unit');
  });

  it('names a wrong enum value and lists the allowed ones', () => {
    const event = loose('concord.batch.disposition-recorded.v1');
    event.data.decision = 'approved';
    const errors = errorsOf(event);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ path: '/data/decision', code: 'enum' });
    expect(errors[0]?.message).toContain('"released", "rejected", "quarantined"');
  });

  it('names a wrong enum value in a shared definition', () => {
    const event = loose('concord.deviation.closed.v1');
    event.data.signature.meaning = 'agreement';
    expect(errorsOf(event).map((e) => [e.path, e.code])).toEqual([
      ['/data/signature/meaning', 'enum'],
    ]);
  });

  it.each([
    ['2026-03-16', 'no time'],
    ['2026-03-16T06:00:00', 'no offset'],
    ['2026-02-30T06:00:00Z', 'no such day'],
    ['16/03/2026 06:00', 'not RFC 3339'],
  ])('rejects the date-time %s (%s)', (plannedStart) => {
    const event = scheduled();
    event.data.plannedStart = plannedStart;
    expect(errorsOf(event).map((e) => [e.path, e.code])).toEqual([
      ['/data/plannedStart', 'format'],
    ]);
  });

  it('rejects an invalid calendar date', () => {
    const event = loose('concord.deviation.capa-proposed.v1');
    event.data.actions[1].dueDate = '2026-06-31';
    expect(errorsOf(event).map((e) => [e.path, e.code])).toEqual([
      ['/data/actions/1/dueDate', 'format'],
    ]);
  });

  it.each([null, 'text', 42, ['an', 'array']])('rejects non-object data %j', (data) => {
    const event = scheduled();
    event.data = data;
    expect(errorsOf(event).map((e) => [e.path, e.code])).toEqual([['/data', 'type']]);
  });

  it('refuses a lone UTF-16 surrogate in any text, naming where (it cannot be signed or stored)', () => {
    const inData = scheduled();
    inData.data.batchNumber = 'HLV-\ud800-01';
    expect(errorsOf(inData)).toEqual([
      {
        path: '/data/batchNumber',
        code: 'lone-surrogate',
        message:
          'The field /data/batchNumber holds a lone UTF-16 surrogate (a \\uD800-\\uDFFF escape without its other half): it is not Unicode text.',
      },
    ]);
    const inEnvelope = scheduled();
    inEnvelope.subject = '\udc00';
    expect(errorsOf(inEnvelope).map((e) => [e.path, e.code])).toEqual([
      ['/subject', 'lone-surrogate'],
    ]);
    const inKey = scheduled();
    inKey.data.plannedQuantity['\ud83d'] = 1;
    expect(errorsOf(inKey).map((e) => [e.path, e.code])).toEqual([
      ['/data/plannedQuantity', 'lone-surrogate'],
    ]);
    const inList = parseEvent(JSON.stringify(scheduled()).replace('"site":"', '"site":"\\ud800'));
    expect(inList.ok ? [] : inList.errors.map((e) => [e.path, e.code])).toEqual([
      ['/data/site', 'lone-surrogate'],
    ]);
    // A pair is a character: text with one is taken.
    const paired = scheduled();
    paired.data.batchNumber = 'HLV-🧪-01';
    expect(validateEvent(paired).ok).toBe(true);
  });

  it('rejects a data-less event', () => {
    const event = scheduled();
    delete event.data;
    expect(errorsOf(event)).toEqual([
      { path: '/data', code: 'required', message: 'The field /data is required.' },
    ]);
  });

  it('rejects a wrong specversion', () => {
    const event = scheduled();
    event.specversion = '0.3';
    expect(errorsOf(event)).toEqual([
      {
        path: '/specversion',
        code: 'const',
        message: 'The field /specversion must be "1.0", not "0.3".',
      },
    ]);
  });

  it('gives unknown-type for a type outside the catalogue', () => {
    for (const type of ['concord.batch.exploded.v1', 'concord.batch.scheduled.v9', 'com.acme.x']) {
      expect(errorsOf({ ...scheduled(), type })).toEqual([
        expect.objectContaining({ path: '/type', code: 'unknown-type' }),
      ]);
    }
  });

  it('rejects a dataschema that does not belong to the type', () => {
    const event = scheduled();
    event['dataschema'] = 'https://concord.example/schemas/events/batch/shipped.v1.schema.json';
    expect(errorsOf(event).map((e) => [e.path, e.code])).toEqual([
      ['/dataschema', 'dataschema-mismatch'],
    ]);
  });

  it('requires signaturekeyid with signature', () => {
    const event = scheduled();
    delete event['signaturekeyid'];
    expect(errorsOf(event).map((e) => [e.path, e.code])).toEqual([['/signaturekeyid', 'required']]);
  });

  it('rejects ids outside the id pattern and over-long text', () => {
    const event = loose('concord.batch.manufacturing-held.v1');
    event.data.batchId = 'batch 17/2026';
    event.data.reason = 'x'.repeat(1001);
    expect(errorsOf(event).map((e) => [e.path, e.code])).toEqual([
      ['/data/batchId', 'pattern'],
      ['/data/reason', 'too-long'],
    ]);
  });

  it('enforces the conditional requirements', () => {
    const disposition = loose('concord.batch.disposition-recorded.v1');
    delete disposition.data.conditions;
    expect(errorsOf(disposition).map((e) => [e.path, e.code])).toEqual([
      ['/data/conditions', 'required'],
    ]);
    disposition.data.decision = 'released';
    expect(validateEvent(disposition).ok).toBe(true);

    const agreement = loose('concord.agreement.version-approved.v1');
    delete agreement.data.reason;
    expect(errorsOf(agreement).map((e) => [e.path, e.code])).toEqual([
      ['/data/reason', 'required'],
    ]);
    agreement.data.version = 1;
    expect(validateEvent(agreement).ok).toBe(true);
  });

  it('requires at least one specification limit', () => {
    const event = loose('concord.batch.qc-result-recorded.v1');
    event.data.specification = { unit: '%' };
    const errors = errorsOf(event);
    expect(errors.map((e) => [e.path, e.code])).toEqual([
      ['/data/specification', 'too-few-properties'],
    ]);
    expect(errors[0]?.message).toContain('at least one of lower and upper');
  });

  it('rejects a 10 MB payload by size before validating it', () => {
    const event = scheduled();
    event.data.site = 'x'.repeat(10 * 1024 * 1024);
    expect(errorsOf(event)).toEqual([expect.objectContaining({ path: '', code: 'too-large' })]);
  });

  it('has a configurable size limit', () => {
    const event = example('concord.batch.scheduled.v1');
    expect(validateEvent(event, { maxEventBytes: 200 }).ok).toBe(false);
    expect(validateEvent(event, { maxEventBytes: 10_000 }).ok).toBe(true);
  });

  it.each([
    ['null', null],
    ['undefined', undefined],
    ['a number', 42],
    ['a string', 'concord.batch.scheduled.v1'],
    ['an array', [scheduled()]],
    ['a boolean', true],
    ['an empty object', {}],
  ])('never throws, and says the event must be an object, for %s', (_name, input) => {
    const errors = errorsOf(input);
    expect(errors.length).toBeGreaterThan(0);
    for (const error of errors) {
      expect(error.path).toMatch(/^(\/[^/]+)*$/);
      expect(error.message.length).toBeGreaterThan(10);
    }
  });

  it('never throws on cyclic, BigInt or deeply nested input', () => {
    const cyclic: Record<string, unknown> = { ...scheduled() };
    cyclic['data'] = cyclic;
    let deep: unknown = {};
    for (let i = 0; i < 100_000; i++) deep = { a: deep };
    for (const input of [cyclic, { ...scheduled(), id: 10n }, { ...scheduled(), data: deep }]) {
      const result = validateEvent(input);
      expect(result.ok).toBe(false);
    }
  });
});

describe('parseEvent', () => {
  it('parses and validates JSON text and bytes', () => {
    const event = example('concord.batch.scheduled.v1');
    expect(parseEvent(JSON.stringify(event))).toEqual({ ok: true, event });
    expect(parseEvent(new TextEncoder().encode(JSON.stringify(event)))).toEqual({
      ok: true,
      event,
    });
  });

  it('rejects malformed bytes and JSON as undecodable', () => {
    expect(parseEvent(new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]))).toEqual({
      ok: false,
      errors: [{ path: '', code: 'undecodable', message: 'The event is not valid UTF-8.' }],
    });
    const result = parseEvent('{"specversion": "1.0",');
    expect(result.ok ? [] : result.errors.map((e) => e.code)).toEqual(['undecodable']);
  });

  it('checks the size before parsing', () => {
    const huge = `{"data": "${'x'.repeat(2 * 1024 * 1024)}"`; // not even valid JSON
    const result = parseEvent(huge);
    expect(result.ok ? [] : result.errors.map((e) => e.code)).toEqual(['too-large']);
    const bytes = new Uint8Array(1024 * 1024 + 1);
    const fromBytes = parseEvent(bytes);
    expect(fromBytes.ok ? [] : fromBytes.errors).toEqual([
      {
        path: '',
        code: 'too-large',
        message: 'The event is 1048577 bytes, more than the limit of 1048576 bytes.',
      },
    ]);
  });

  it('parses deeply nested JSON without crashing', () => {
    const nested = `{"data":${'['.repeat(500_000)}${']'.repeat(500_000)}}`;
    expect(parseEvent(nested).ok).toBe(false);
  });
});

describe('validateEventData', () => {
  it('validates data alone, with paths relative to the data', () => {
    const { data } = example('concord.batch.shipped.v1');
    expect(validateEventData('concord.batch.shipped.v1', data)).toEqual({ ok: true, data });
    const result = validateEventData('concord.batch.shipped.v2', data);
    expect(result.ok ? [] : result.errors.map((e) => [e.path, e.code])).toEqual([
      ['/destination', 'type'],
    ]);
  });
});

describe('validateRejection', () => {
  it('accepts a rejection and refuses a malformed one', () => {
    const rejection = {
      rejectedEventId: '0195a3c2-7e41-7b2a-9c61-2f4d8e9a1b01',
      rejectedEventSource: 'urn:concord:northbridge-bio:mes',
      code: 'event.invalid-data',
      message: 'The field /data/plannedQuantity/value must be a number, not a string.',
      path: '/data/plannedQuantity/value',
      receivedAt: '2026-03-02T08:15:01.120Z',
    };
    expect(validateRejection(rejection).ok).toBe(true);
    for (const code of ['sender.invalid-signature', 'batch.out-of-order', 'too-large']) {
      expect(validateRejection({ ...rejection, code }).ok, code).toBe(true);
    }
    const bad = validateRejection({ ...rejection, code: 'Invalid Data', receivedAt: 'now' });
    expect(bad.ok ? [] : bad.errors.map((e) => [e.path, e.code])).toEqual([
      ['/code', 'pattern'],
      ['/receivedAt', 'format'],
    ]);
  });
});
