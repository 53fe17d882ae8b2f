import { describe, expect, it } from 'vitest';
import { StreamStateCache } from './command-handler.ts';

const snapshot = (version: number) => ({ version, state: { version }, placesByCommand: new Map() });

describe('the cache of folded stream states', () => {
  it('keeps the streams used last, up to its capacity', () => {
    const cache = new StreamStateCache(3);
    for (const [k, id] of ['a', 'b', 'c'].entries()) cache.set(id, snapshot(k + 1));
    expect(cache.get('a')?.version).toBe(1); // used: "b" is now the least recently used
    cache.set('d', snapshot(4));
    expect(cache.get('b')).toBeUndefined();
    expect(['a', 'c', 'd'].map((id) => cache.get(id)?.version)).toEqual([1, 3, 4]);
  });

  it('stays bounded and answers the newest state of each stream it keeps, however many pass', () => {
    const cache = new StreamStateCache(1_000);
    for (let n = 0; n < 50_000; n++) cache.set(`s-${n % 20_000}`, snapshot(n));
    const kept = Array.from({ length: 20_000 }, (_, n) => cache.get(`s-${n}`)).filter(Boolean);
    expect(kept).toHaveLength(1_000);
    expect(cache.get('s-9999')?.version).toBe(49_999);
    cache.delete('s-9999');
    expect(cache.get('s-9999')).toBeUndefined();
  });
});
