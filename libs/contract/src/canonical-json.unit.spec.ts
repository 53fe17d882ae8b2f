import { describe, expect, it } from 'vitest';
import { canonicalJson, canonicalJsonBytes } from './canonical-json.ts';

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

  it('refuses values JSON cannot represent', () => {
    expect(() => canonicalJson(undefined)).toThrow();
    expect(() => canonicalJson({ n: Number.NaN })).toThrow();
    expect(() => canonicalJson({ n: 1n })).toThrow();
  });
});
