import { describe, expect, it } from 'vitest';
import { correctableBatchFields } from '../events/batch-events.ts';
import { correctableDeviationFields } from '../events/deviation-events.ts';
import { correctableFieldsOf, correctedData, isCorrectablePath } from './correction.ts';
import { signatureRules } from './signature.ts';
import { platformEventTypes } from '../agreement/authorization.ts';

describe('correctable fields, declared next to each event type', () => {
  it('declare nothing correctable on an e-signed act or a platform-derived event', () => {
    for (const type of [...Object.keys(signatureRules), ...platformEventTypes]) {
      expect(correctableFieldsOf(type), type).toEqual([]);
    }
  });

  it('never let a correction reach an id, a party, the agreement or a signature', () => {
    const declared = [
      ...Object.values(correctableBatchFields),
      ...Object.values(correctableDeviationFields),
    ].flat();
    expect(declared.length).toBeGreaterThan(10);
    for (const pointer of declared) {
      expect(pointer).not.toMatch(/Id$|Id\/|signature|decision|outcome|severity|sponsor|cdmo/i);
    }
  });

  it('match a declared pointer, what lies beneath it, and `*` as an array index only', () => {
    const qc = 'concord.batch.qc-result-recorded.v1';
    expect(isCorrectablePath(qc, '/value')).toBe(true);
    expect(isCorrectablePath(qc, '/valueX')).toBe(false);
    expect(isCorrectablePath(qc, '/specification/lower')).toBe(false);
    expect(isCorrectablePath('concord.batch.scheduled.v1', '/plannedQuantity/value')).toBe(true);
    const capa = 'concord.deviation.capa-proposed.v1';
    expect(isCorrectablePath(capa, '/actions/12/owner')).toBe(true);
    expect(isCorrectablePath(capa, '/actions/01/owner')).toBe(false);
    expect(isCorrectablePath(capa, '/actions/-/owner')).toBe(false);
    expect(isCorrectablePath(capa, 'actions/0/owner')).toBe(false);
    expect(isCorrectablePath('concord.unknown.v1', '/value')).toBe(false);
  });

  it('apply only correctable changes to a copy', () => {
    const data = { value: 99.1, specification: { lower: 95, unit: '%' } };
    expect(
      correctedData('concord.batch.qc-result-recorded.v1', data, [
        { path: '/value', newValue: 98.7 },
        { path: '/specification/lower', newValue: 90 },
      ]),
    ).toEqual({ value: 98.7, specification: { lower: 95, unit: '%' } });
    expect(data.value).toBe(99.1);
  });
});
