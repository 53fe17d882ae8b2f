import { describe, expect, it } from 'vitest';
import { describeGcPauses, recordGcPauses, summarizeGcPauses } from './gc-pauses.ts';
import { waitFor } from './wait-for.ts';

describe('summarizeGcPauses', () => {
  const pauses = [
    { at: 1_000, ms: 2.5, minor: true },
    { at: 1_500, ms: 152.55, minor: true },
    { at: 2_000, ms: 30, minor: false },
    { at: 9_000, ms: 400, minor: false },
  ];

  it('sums the pauses that started within the span, by kind, with the longest', () => {
    expect(summarizeGcPauses(pauses, 1_000, 2_000)).toEqual({
      count: 3,
      totalMs: 185.1,
      longestMs: 152.6,
      minorMs: 155.1,
      otherMs: 30,
    });
  });

  it('counts nothing outside the span', () => {
    expect(summarizeGcPauses(pauses, 2_001, 8_999)).toEqual({
      count: 0,
      totalMs: 0,
      longestMs: 0,
      minorMs: 0,
      otherMs: 0,
    });
  });

  it('reads as one line', () => {
    expect(describeGcPauses(summarizeGcPauses(pauses, 0, 10_000))).toBe(
      '585.1 ms in 4 pauses (longest 400 ms)',
    );
    expect(describeGcPauses(undefined)).toBe('not measured');
  });
});

describe('recordGcPauses', () => {
  it("records this process's collections on the shared clock", async () => {
    const log = recordGcPauses();
    const from = performance.timeOrigin + performance.now();
    // Short-lived garbage well past the young generation's size: scavenges must run.
    let kept = 0;
    for (let round = 0; round < 400; round++) {
      const garbage: string[] = [];
      for (let i = 0; i < 1_000; i++) garbage.push(`garbage ${round} ${i}`.repeat(4));
      kept += garbage.length;
    }
    const now = () => performance.timeOrigin + performance.now();
    // The observer is told after the collection, on a later turn.
    await waitFor(() => log.between(from, now()).count > 0, {
      description: 'a collection recorded',
    });
    const to = now();
    log.stop();
    const pauses = log.between(from, to);
    expect(kept).toBeGreaterThan(0);
    expect(pauses.count).toBeGreaterThan(0);
    expect(pauses.minorMs).toBeGreaterThan(0);
    expect(pauses.totalMs).toBeGreaterThanOrEqual(pauses.longestMs);
    expect(log.between(to + 1, to + 60_000).count).toBe(0);
  });
});
