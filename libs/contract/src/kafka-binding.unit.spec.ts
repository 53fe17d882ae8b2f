import { describe, expect, it } from 'vitest';
import { ContractViolationError } from './contract-violation-error.ts';
import { eventTypes } from './generated/catalogue.ts';
import { decodeKafkaRecord, encodeKafkaRecord, type KafkaRecordIn } from './kafka-binding.ts';
import { example } from './test-support/examples.ts';

function errorCodes(record: KafkaRecordIn): [string, string][] {
  const result = decodeKafkaRecord(record);
  if (result.ok) throw new Error('expected the record to be rejected');
  return result.errors.map((e) => [e.path, e.code]);
}

describe('Kafka binary mode', () => {
  it('puts attributes in ce_ headers, data in the value and the subject in the key', () => {
    const event = example('concord.batch.scheduled.v1');
    const record = encodeKafkaRecord(event);
    expect(record.key.toString()).toBe('northbridge-bio:b-nb-hlv201-26-0117');
    expect(JSON.parse(record.value.toString())).toEqual(event.data);
    expect(record.headers['content-type']?.toString()).toBe('application/json');
    expect(record.headers['ce_specversion']?.toString()).toBe('1.0');
    expect(record.headers['ce_type']?.toString()).toBe('concord.batch.scheduled.v1');
    expect(record.headers['ce_signaturekeyid']?.toString()).toBe('northbridge-bio:2026-01');
    expect(Object.keys(record.headers)).not.toContain('ce_data');
    expect(Object.keys(record.headers)).not.toContain('ce_datacontenttype');
    for (const name of Object.keys(record.headers))
      expect(name).toMatch(/^(ce_[a-z0-9]+|content-type)$/);
  });

  it.each(eventTypes)('round-trips %s', (type) => {
    const event = example(type);
    expect(decodeKafkaRecord(encodeKafkaRecord(event))).toEqual({ ok: true, event });
  });

  it('decodes headers given as strings (as some clients deliver them)', () => {
    const event = example('concord.deviation.classified.v1');
    const record = encodeKafkaRecord(event);
    const headers = Object.fromEntries(
      Object.entries(record.headers).map(([k, v]) => [k.toUpperCase(), v.toString()]),
    );
    expect(decodeKafkaRecord({ ...record, headers, key: record.key.toString() })).toEqual({
      ok: true,
      event,
    });
  });

  it('refuses to encode an invalid or data-less event', () => {
    const event = example('concord.batch.scheduled.v1') as unknown as Record<string, unknown>;
    delete event['data'];
    expect(() => encodeKafkaRecord(event as never)).toThrow(ContractViolationError);
    try {
      encodeKafkaRecord(event as never);
    } catch (error) {
      expect((error as ContractViolationError).errors).toEqual([
        expect.objectContaining({ path: '/data', code: 'required' }),
      ]);
    }
  });

  it('rejects a tombstone (a record without a value)', () => {
    const record = encodeKafkaRecord(example('concord.batch.scheduled.v1'));
    expect(errorCodes({ ...record, value: null })).toEqual([['/data', 'missing-data']]);
  });

  it('reports missing attribute headers by attribute name', () => {
    const { headers, ...record } = encodeKafkaRecord(example('concord.batch.scheduled.v1'));
    const { ce_id: _id, ce_source: _source, ...rest } = headers;
    expect(errorCodes({ ...record, headers: rest })).toEqual([
      ['/id', 'required'],
      ['/source', 'required'],
    ]);
  });

  it('rejects undecodable bytes in the value and in headers', () => {
    const record = encodeKafkaRecord(example('concord.batch.scheduled.v1'));
    expect(errorCodes({ ...record, value: Buffer.from([0x7b, 0xc3, 0x28, 0x7d]) })).toEqual([
      ['/data', 'undecodable'],
    ]);
    expect(errorCodes({ ...record, value: Buffer.from('{"batchId": ') })).toEqual([
      ['/data', 'undecodable'],
    ]);
    expect(
      errorCodes({ ...record, headers: { ...record.headers, ce_id: Buffer.from([0xff, 0xfe]) } }),
    ).toEqual([['/id', 'undecodable']]);
  });

  it('rejects a wrong or missing content type', () => {
    const record = encodeKafkaRecord(example('concord.batch.scheduled.v1'));
    const wrong = {
      ...record.headers,
      'content-type': Buffer.from('application/cloudevents+json'),
    };
    expect(errorCodes({ ...record, headers: wrong })).toEqual([
      ['/datacontenttype', 'unsupported-content-type'],
    ]);
    const { 'content-type': _ct, ...without } = record.headers;
    expect(errorCodes({ ...record, headers: without })).toEqual([
      ['/datacontenttype', 'unsupported-content-type'],
    ]);
    const withCharset = {
      ...record.headers,
      'content-type': Buffer.from('application/json; charset=utf-8'),
    };
    expect(decodeKafkaRecord({ ...record, headers: withCharset }).ok).toBe(true);
  });

  it('requires the record key to be the subject', () => {
    const record = encodeKafkaRecord(example('concord.batch.scheduled.v1'));
    expect(errorCodes({ ...record, key: Buffer.from('another-batch') })).toEqual([
      ['/subject', 'key-mismatch'],
    ]);
    expect(errorCodes({ ...record, key: null })).toEqual([['/subject', 'key-mismatch']]);
  });

  it('rejects repeated headers and unknown extension attributes', () => {
    const record = encodeKafkaRecord(example('concord.batch.scheduled.v1'));
    expect(
      errorCodes({
        ...record,
        headers: { ...record.headers, ce_type: [Buffer.from('a'), Buffer.from('b')] },
      }),
    ).toEqual([['/type', 'invalid']]);
    expect(
      errorCodes({ ...record, headers: { ...record.headers, ce_priority: Buffer.from('high') } }),
    ).toEqual([['/priority', 'additional-property']]);
  });

  it('ignores headers that are not CloudEvents attributes (tracing)', () => {
    const event = example('concord.batch.scheduled.v1');
    const record = encodeKafkaRecord(event);
    const headers = { ...record.headers, traceparent: Buffer.from('00-abc-def-01') };
    expect(decodeKafkaRecord({ ...record, headers })).toEqual({ ok: true, event });
  });

  it('checks the record size before decoding', () => {
    const record = encodeKafkaRecord(example('concord.batch.scheduled.v1'));
    const value = Buffer.alloc(10 * 1024 * 1024, 0x20);
    expect(errorCodes({ ...record, value })).toEqual([['', 'too-large']]);
    expect(decodeKafkaRecord(record, { maxEventBytes: 100 }).ok).toBe(false);
  });

  it('refuses a record with more headers than an event needs, before reading them', () => {
    const event = example('concord.batch.scheduled.v1');
    const record = encodeKafkaRecord(event);
    const padding = Object.fromEntries(
      Array.from({ length: 20_000 }, (_, i) => [`x-${i}`, Buffer.from('y')]),
    );
    const result = decodeKafkaRecord({ ...record, headers: { ...record.headers, ...padding } });
    expect(result).toMatchObject({
      ok: false,
      errors: [{ path: '', code: 'too-many-headers' }],
      claimed: { id: event.id, source: event.source, type: event.type },
    });
    // One repeated header name counts each time it appears.
    const repeated = { ...record.headers, 'x-r': Array.from({ length: 65 }, () => 'y') };
    expect(errorCodes({ ...record, headers: repeated })).toEqual([['', 'too-many-headers']]);
    const traced = { ...record.headers, traceparent: 'a', tracestate: 'b' };
    expect(decodeKafkaRecord({ ...record, headers: traced }).ok).toBe(true);
  });

  it('refuses an oversized key (the subject is an id)', () => {
    const record = encodeKafkaRecord(example('concord.batch.scheduled.v1'));
    expect(errorCodes({ ...record, key: Buffer.alloc(2048, 0x61) })).toEqual([
      ['/subject', 'too-large'],
    ]);
  });

  it('names the event it could not decode, when its id header is readable', () => {
    const event = example('concord.batch.scheduled.v1');
    const record = encodeKafkaRecord(event);
    const result = decodeKafkaRecord({ ...record, value: Buffer.from('{not json') });
    expect(result).toMatchObject({ ok: false, claimed: { id: event.id, source: event.source } });
    const invalid = decodeKafkaRecord({ ...record, value: Buffer.from('{}') });
    expect(invalid).toMatchObject({ ok: false, claimed: { id: event.id, type: event.type } });
  });
  it('validates the data against the type', () => {
    const record = encodeKafkaRecord(example('concord.batch.scheduled.v1'));
    const value = Buffer.from(JSON.stringify({ batchId: 'b-1' }));
    expect(errorCodes({ ...record, value })).toContainEqual(['/data/batchNumber', 'required']);
    expect(errorCodes({ ...record, value: Buffer.from('[1,2]') })).toEqual([['/data', 'type']]);
  });

  it('refuses data holding a lone surrogate (a JSON escape of half a pair), naming the field', () => {
    const record = encodeKafkaRecord(example('concord.batch.scheduled.v1'));
    const value = Buffer.from(record.value.toString().replace('"site":"', '"site":"\\ud800'));
    expect(errorCodes({ ...record, value })).toEqual([['/data/site', 'lone-surrogate']]);
  });
});
