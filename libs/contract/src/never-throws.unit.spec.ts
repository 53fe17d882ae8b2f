import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { eventTypes } from './generated/catalogue.ts';
import { decodeHttp } from './http-binding.ts';
import { decodeKafkaRecord, encodeKafkaRecord } from './kafka-binding.ts';
import { example } from './test-support/examples.ts';
import { parseEvent, validateEvent } from './validate.ts';
import type { ValidationError } from './validation-error.ts';

const pointer = /^(\/([^~/]|~[01])*)*$/;

function wellFormed(errors: readonly ValidationError[]): void {
  expect(errors.length).toBeGreaterThan(0);
  for (const error of errors) {
    expect(error.path).toMatch(pointer);
    expect(error.code).toMatch(/^[a-z]+(-[a-z]+)*$/);
    expect(error.message).toMatch(/\.$/);
  }
}

/** An example event with one value somewhere in it replaced by arbitrary JSON. */
const mutatedExample = fc
  .tuple(fc.constantFrom(...eventTypes), fc.nat(), fc.jsonValue())
  .map(([type, pick, replacement]) => {
    const event = example(type) as unknown as Record<string, unknown>;
    const slots: [Record<string | number, unknown>, string | number][] = [];
    const collect = (node: unknown): void => {
      if (node === null || typeof node !== 'object') return;
      const container = node as Record<string | number, unknown>;
      for (const [key, value] of Object.entries(container)) {
        slots.push([container, Array.isArray(node) ? Number(key) : key]);
        collect(value);
      }
    };
    collect(event);
    const [container, key] = slots[pick % slots.length] ?? [event, 'data'];
    container[key] = replacement;
    return event;
  });

describe('never throws (property-based)', () => {
  it('validateEvent on arbitrary JSON', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const result = validateEvent(value);
        if (!result.ok) wellFormed(result.errors);
      }),
      { numRuns: 500 },
    );
  });

  it('validateEvent on examples with one value replaced', () => {
    fc.assert(
      fc.property(mutatedExample, (event) => {
        const result = validateEvent(event);
        if (!result.ok) wellFormed(result.errors);
      }),
      { numRuns: 1000 },
    );
  });

  it('parseEvent and decodeHttp on arbitrary text and bytes', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.uint8Array()), fc.string(), (body, contentType) => {
        const parsed = parseEvent(body);
        if (!parsed.ok) wellFormed(parsed.errors);
        for (const type of [
          contentType,
          'application/cloudevents+json',
          'application/cloudevents-batch+json',
        ]) {
          const decoded = decodeHttp({ contentType: type, body });
          if (!decoded.ok) wellFormed(decoded.errors);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('decodeKafkaRecord on a valid record with arbitrary headers, key and value', () => {
    const record = encodeKafkaRecord(example('concord.batch.scheduled.v1'));
    const headerValue = fc.oneof(
      fc.string(),
      fc.uint8Array().map((b) => Buffer.from(b)),
    );
    fc.assert(
      fc.property(
        fc.dictionary(
          fc.constantFrom('ce_id', 'ce_type', 'ce_time', 'content-type', 'ce_x', 'other'),
          headerValue,
        ),
        fc.option(headerValue),
        fc.option(fc.uint8Array().map((b) => Buffer.from(b))),
        (headers, key, value) => {
          const result = decodeKafkaRecord({
            key: key ?? null,
            value: value ?? null,
            headers: { ...record.headers, ...headers },
          });
          if (!result.ok) wellFormed(result.errors);
        },
      ),
      { numRuns: 500 },
    );
  });
});
