import { describe, expect, it } from 'vitest';
import { streamOf, streams } from './streams.ts';

describe('stream names', () => {
  it('name each aggregate <kind>-<id>, and read back what a name stands for', () => {
    expect(streams.batch('northbridge-bio:b-nb-26-0117')).toBe(
      'batch-northbridge-bio:b-nb-26-0117',
    );
    for (const kind of ['organization', 'agreement', 'batch', 'deviation'] as const)
      expect(streamOf(streams[kind]('x-1-y'))).toEqual({ kind, id: 'x-1-y' });
    expect(streamOf('ingest-outcomes')).toBeUndefined();
    expect(streamOf('batch')).toBeUndefined();
  });
});
