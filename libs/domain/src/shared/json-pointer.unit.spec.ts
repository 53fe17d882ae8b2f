import { describe, expect, it } from 'vitest';
import { pointerSegments, valueAt, withValues } from './json-pointer.ts';

describe('JSON pointers (RFC 6901)', () => {
  const document = {
    value: 98.1,
    specification: { lower: 97, unit: '%' },
    'a/b': { '~c': 1 },
    actions: [{ owner: 'QA' }, { owner: 'Engineering' }],
  };

  it('reads nested, escaped and array members, and nothing where nothing is', () => {
    expect(valueAt(document, '/value')).toBe(98.1);
    expect(valueAt(document, '/specification/lower')).toBe(97);
    expect(valueAt(document, '/a~1b/~0c')).toBe(1);
    expect(valueAt(document, '/actions/1/owner')).toBe('Engineering');
    expect(valueAt(document, '/missing/deeper')).toBeUndefined();
    expect(valueAt(document, '')).toEqual(document);
    expect(pointerSegments('/a~1b/~0c')).toEqual(['a/b', '~c']);
    expect(() => pointerSegments('value')).toThrow(RangeError);
  });

  it('writes a copy and never the original', () => {
    const changed = withValues(document, [
      { path: '/value', newValue: 96.2 },
      { path: '/actions/0/owner', newValue: 'Manufacturing' },
      { path: '/specification/upper', newValue: 102 },
    ]);
    expect(changed).toMatchObject({
      value: 96.2,
      actions: [{ owner: 'Manufacturing' }, { owner: 'Engineering' }],
      specification: { lower: 97, upper: 102, unit: '%' },
    });
    expect(document.value).toBe(98.1);
    expect(document.actions[0]!.owner).toBe('QA');
  });

  it('ignores paths that are no pointers or lead nowhere', () => {
    expect(
      withValues(document, [
        { path: 'value', newValue: 1 },
        { path: '/nowhere/at/all', newValue: 2 },
      ]),
    ).toEqual(document);
  });
});
