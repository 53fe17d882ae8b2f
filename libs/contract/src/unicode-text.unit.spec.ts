import { describe, expect, it } from 'vitest';
import { isUnicodeText, loneSurrogatePath, notUnicodeText } from './unicode-text.ts';

describe('Unicode text (no lone UTF-16 surrogate)', () => {
  it('takes any text whose surrogates come in pairs, and refuses either half alone, anywhere', () => {
    for (const text of ['', 'HLV-2026-0301', 'Dr. 😀', '\ud83d\ude00\ud83d\ude00', 'Ünïcödé'])
      expect(isUnicodeText(text)).toBe(true);
    for (const text of ['\ud800', 'a\ud800', '\udc00b', 'a\udc00\ud800b', '\ud83d\ud83d'])
      expect(isUnicodeText(text)).toBe(false);
  });

  it('finds the first such string or key by the keys and indices leading to it', () => {
    expect(loneSurrogatePath({ a: 'x', b: [1, { c: 'ok' }] })).toBeUndefined();
    expect(loneSurrogatePath('\ud800')).toEqual([]);
    expect(loneSurrogatePath({ a: 'x', b: [1, { c: 'y\udfff' }] })).toEqual(['b', 1, 'c']);
    // A key is named by the object holding it: its own text cannot go into a message.
    expect(loneSurrogatePath({ a: { ['k\ud800']: 1 } })).toEqual(['a']);
    expect(loneSurrogatePath([null, true, 3, ['\udc00']])).toEqual([3, 0]);
  });

  it('says so after what holds it', () => {
    expect(notUnicodeText('Variable "$x"')).toBe(
      'Variable "$x" holds a lone UTF-16 surrogate (a \\uD800-\\uDFFF escape without its other half): it is not Unicode text.',
    );
  });
});
