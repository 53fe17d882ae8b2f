import { describe, expect, it } from 'vitest';
import { agreementV1, at } from '../test-support/fixtures.ts';
import { agreementInForce } from './agreement-in-force.ts';

const v1 = { ...agreementV1, effectiveFrom: at(0) };
const v2 = { ...agreementV1, version: 2, reason: 'r', effectiveFrom: at(100) };
const v3 = { ...agreementV1, version: 3, reason: 'r', effectiveFrom: at(100) };

describe('agreementInForce', () => {
  it('finds no version before the first takes effect', () => {
    expect(agreementInForce([v1, v2], at(-1))).toBeUndefined();
    expect(agreementInForce([], at(0))).toBeUndefined();
  });

  it('finds the version that applied at an instant, from its effectiveFrom on', () => {
    expect(agreementInForce([v1, v2], at(0))?.version).toBe(1);
    expect(agreementInForce([v1, v2], at(99))?.version).toBe(1);
    expect(agreementInForce([v1, v2], at(100))?.version).toBe(2);
    expect(agreementInForce([v2, v1], at(500))?.version).toBe(2);
  });

  it('prefers the higher version when two take effect at the same instant', () => {
    expect(agreementInForce([v1, v3, v2], at(100))?.version).toBe(3);
  });

  it('finds none from the termination on', () => {
    expect(agreementInForce([v1, v2], at(199), at(200))?.version).toBe(2);
    expect(agreementInForce([v1, v2], at(200), at(200))).toBeUndefined();
  });

  it('compares instants, not strings, across offsets', () => {
    expect(agreementInForce([v1, v2], '2026-03-01T10:39:00+01:00')?.version).toBe(1);
    expect(agreementInForce([v1, v2], '2026-03-01T10:40:00+01:00')?.version).toBe(2);
  });
});
