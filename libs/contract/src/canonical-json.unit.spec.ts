import canonicalize from 'canonicalize';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalJson, canonicalJsonBytes } from './canonical-json.ts';

// Keys that trip sorting and escaping: integer-like keys (which JavaScript objects enumerate
// first, in numeric order, while RFC 8785 sorts them as text), astral and combining characters
// (UTF-16 code unit order), control characters, quotes, backslashes and text that looks like an
// escape.
const key = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 6 }),
  fc.constantFrom('0', '1', '2', '10', '-1', '01', 'a', 'A', 'é', 'e\u0301', '😀', '\u{ff61}'),
  fc.constantFrom('"', '\\', '\n', '\u0000', '\u001f', '\u2028', '\\ud800', '\\\\ud800'),
);
const text = fc.oneof(
  fc.string({ unit: 'binary' }),
  fc.constantFrom('\\ud83d', '\\\\ud800x', '\ud83d\ude00', 'a\\"b', '\u007f\u0080'),
);
const { json } = fc.letrec((tie) => ({
  json: fc.oneof(
    { depthSize: 'small' },
    fc.constant(null),
    fc.boolean(),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.constantFrom(0, -0, 1e21, 1e-7, 5e-324, Number.MAX_VALUE, 2 ** 53 + 1),
    text,
    fc.array(tie('json'), { maxLength: 5 }),
    fc.dictionary(key, tie('json'), { maxKeys: 6 }),
  ),
}));

describe('canonicalJson (RFC 8785)', () => {
  it('sorts keys, drops whitespace and formats numbers as ECMAScript does', () => {
    expect(canonicalJson({ b: [3, { z: 1, a: 'x' }], a: 1e21, c: 0.1, d: -0, e: 100.0 })).toBe(
      '{"a":1e+21,"b":[3,{"a":"x","z":1}],"c":0.1,"d":0,"e":100}',
    );
  });

  it('orders keys by UTF-16 code units (RFC 8785 §3.2.3)', () => {
    expect(canonicalJson({ '\u20ac': 1, '\r': 2, '\ud83d\ude00': 3, '1': 4, a: 5 })).toBe(
      '{"\\r":2,"1":4,"a":5,"\u20ac":1,"\ud83d\ude00":3}',
    );
  });

  it('is independent of key insertion order', () => {
    const a = { specversion: '1.0', id: 'x', data: { b: 1, a: 2 } };
    const b = { data: { a: 2, b: 1 }, id: 'x', specversion: '1.0' };
    expect(canonicalJson(a)).toBe(canonicalJson(b));
    expect(new TextDecoder().decode(canonicalJsonBytes(a))).toBe(canonicalJson(a));
  });

  it('writes the same bytes as the canonicalize package for any JSON value', () => {
    fc.assert(
      fc.property(json, (value) => {
        expect(canonicalJson(value)).toBe(canonicalize(value));
      }),
      { numRuns: 3000 },
    );
  });

  it('follows JSON.stringify for members with no JSON form, as canonicalize does', () => {
    const value = {
      at: new Date('2026-03-02T10:15:00.000Z'),
      gone: undefined,
      list: [1, undefined, { toJSON: () => ({ b: 2, a: 1 }) }],
    };
    expect(canonicalJson(value)).toBe(canonicalize(value));
    expect(canonicalJson(value)).toBe(
      '{"at":"2026-03-02T10:15:00.000Z","list":[1,null,{"a":1,"b":2}]}',
    );
  });

  it('refuses a lone surrogate anywhere, and takes a well-formed pair or escaped text', () => {
    for (const lone of ['\ud800', 'x\udfff', '\ude00\ud83d'])
      for (const value of [lone, { [lone]: 1 }, { a: [{ b: lone }] }])
        expect(() => canonicalJson(value)).toThrow();
    expect(canonicalJson({ k: '\ud83d\ude00', l: '\\ud800' })).toBe('{"k":"😀","l":"\\\\ud800"}');
  });

  it('refuses values JSON cannot represent', () => {
    expect(() => canonicalJson(undefined)).toThrow();
    expect(() => canonicalJson({ n: Number.NaN })).toThrow();
    expect(() => canonicalJson({ n: 1n })).toThrow();
    expect(() => canonicalJson({ n: Infinity })).toThrow();
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(() => canonicalJson(cyclic)).toThrow();
  });
});
