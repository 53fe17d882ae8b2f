import { describe, expect, it } from 'vitest';
import type { ConcordEvent } from './events.ts';
import { eventTypes } from './generated/catalogue.ts';
import {
  CLOUDEVENTS_BATCH_JSON,
  CLOUDEVENTS_JSON,
  decodeHttp,
  decodeHttpBatch,
  decodeHttpStructured,
  encodeHttpBatch,
  encodeHttpStructured,
} from './http-binding.ts';
import { ContractViolationError } from './contract-violation-error.ts';
import { example } from './test-support/examples.ts';

describe('HTTP structured mode', () => {
  it.each(eventTypes)('round-trips %s', (type) => {
    const event = example(type);
    const encoded = encodeHttpStructured(event);
    expect(encoded.contentType).toBe('application/cloudevents+json; charset=utf-8');
    expect(decodeHttpStructured(encoded)).toEqual({ ok: true, event });
  });

  it('decodes a UTF-8 byte body', () => {
    const event = example('concord.deviation.reported.v1');
    const body = new TextEncoder().encode(JSON.stringify(event));
    expect(decodeHttpStructured({ contentType: CLOUDEVENTS_JSON, body })).toEqual({
      ok: true,
      event,
    });
  });

  it('refuses a body holding a lone surrogate (a JSON escape of half a pair), naming the field', () => {
    const body = JSON.stringify(example('concord.batch.scheduled.v1')).replace(
      '"site":"',
      '"site":"\\udc00',
    );
    const result = decodeHttpStructured({ contentType: CLOUDEVENTS_JSON, body });
    expect(result.ok ? [] : result.errors.map((e) => [e.path, e.code])).toEqual([
      ['/data/site', 'lone-surrogate'],
    ]);
  });

  it('rejects a wrong content type, naming binary mode', () => {
    const body = JSON.stringify(example('concord.batch.scheduled.v1'));
    const result = decodeHttpStructured({ contentType: 'application/json', body });
    expect(result.ok ? [] : result.errors).toEqual([
      expect.objectContaining({ code: 'unsupported-content-type' }),
    ]);
    expect(result.ok ? '' : result.errors[0]?.message).toContain('binary mode');
    const missing = decodeHttpStructured({ contentType: undefined, body });
    expect(missing.ok ? [] : missing.errors.map((e) => e.code)).toEqual([
      'unsupported-content-type',
    ]);
  });

  it('rejects undecodable bodies and oversized ones', () => {
    const garbage = decodeHttpStructured({ contentType: CLOUDEVENTS_JSON, body: '{"id":' });
    expect(garbage.ok ? [] : garbage.errors.map((e) => e.code)).toEqual(['undecodable']);
    const huge = decodeHttpStructured({
      contentType: CLOUDEVENTS_JSON,
      body: JSON.stringify({ data: 'x'.repeat(10 * 1024 * 1024) }),
    });
    expect(huge.ok ? [] : huge.errors.map((e) => e.code)).toEqual(['too-large']);
  });

  it('refuses to encode an invalid event', () => {
    const event = { ...example('concord.batch.scheduled.v1'), specversion: '0.3' };
    expect(() => encodeHttpStructured(event as unknown as ConcordEvent)).toThrow(
      ContractViolationError,
    );
  });
});

describe('HTTP structured batches', () => {
  const events = [
    example('concord.batch.scheduled.v1'),
    example('concord.batch.manufacturing-started.v1'),
    example('concord.deviation.reported.v1'),
  ];

  it('round-trips a batch', () => {
    const encoded = encodeHttpBatch(events);
    expect(encoded.contentType).toBe('application/cloudevents-batch+json; charset=utf-8');
    expect(decodeHttpBatch(encoded)).toEqual({
      ok: true,
      results: events.map((event) => ({ ok: true, event })),
    });
  });

  it('validates each event on its own', () => {
    const broken = { ...events[1], data: { batchId: 'northbridge-bio:b-nb-hlv201-26-0117' } };
    const result = decodeHttpBatch({
      contentType: CLOUDEVENTS_BATCH_JSON,
      body: JSON.stringify([events[0], broken, 'not an event']),
    });
    if (!result.ok) throw new Error('expected per-event results');
    expect(result.results.map((r) => (r.ok ? 'ok' : r.errors.map((e) => e.code).join()))).toEqual([
      'ok',
      'required',
      'type',
    ]);
  });

  it('rejects a batch that is not an array, too long or of the wrong content type', () => {
    const notArray = decodeHttpBatch({
      contentType: CLOUDEVENTS_BATCH_JSON,
      body: JSON.stringify(events[0]),
    });
    expect(notArray.ok ? [] : notArray.errors.map((e) => e.code)).toEqual(['type']);
    const tooMany = decodeHttpBatch(encodeHttpBatch(events), { maxBatchEvents: 2 });
    expect(tooMany.ok ? [] : tooMany.errors.map((e) => e.code)).toEqual(['too-many-items']);
    const wrongType = decodeHttpBatch({
      ...encodeHttpBatch(events),
      contentType: CLOUDEVENTS_JSON,
    });
    expect(wrongType.ok ? [] : wrongType.errors.map((e) => e.code)).toEqual([
      'unsupported-content-type',
    ]);
  });

  it('decodeHttp dispatches on the content type', () => {
    const single = decodeHttp(encodeHttpStructured(events[0]!));
    expect(single).toEqual({ ok: true, results: [{ ok: true, event: events[0] }] });
    const batch = decodeHttp(encodeHttpBatch(events));
    expect(batch.ok && batch.results).toHaveLength(3);
    const other = decodeHttp({ contentType: 'text/plain', body: 'hello' });
    expect(other.ok ? [] : other.errors.map((e) => e.code)).toEqual(['unsupported-content-type']);
  });
});
