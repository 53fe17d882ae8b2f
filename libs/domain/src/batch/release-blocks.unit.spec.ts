import { describe, expect, it } from 'vitest';
import { releaseBlocks } from './batch-state.ts';

describe('what blocks release', () => {
  it('lists open major and critical deviations, then open and confirmed OOS, most serious first', () => {
    expect(
      releaseBlocks({
        openDeviations: {
          'dev-b': 'major',
          'dev-minor': 'minor',
          'dev-c': 'critical',
          'dev-a': 'major',
        },
        oosInvestigations: { 'oos-2': 'confirmed', 'oos-1': 'open', 'oos-0': 'invalidated' },
      }),
    ).toEqual([
      { kind: 'open-deviation', reference: 'dev-c', severity: 'critical' },
      { kind: 'open-deviation', reference: 'dev-a', severity: 'major' },
      { kind: 'open-deviation', reference: 'dev-b', severity: 'major' },
      { kind: 'open-oos', reference: 'oos-1' },
      { kind: 'confirmed-oos', reference: 'oos-2' },
    ]);
  });

  it('finds nothing in a minor deviation or an invalidated OOS', () => {
    expect(
      releaseBlocks({
        openDeviations: { 'dev-minor': 'minor' },
        oosInvestigations: { 'oos-0': 'invalidated' },
      }),
    ).toEqual([]);
  });
});
