import { describe, expect, it } from 'vitest';
import { example } from './test-support/examples.ts';
import {
  batchShippedV1ToV2,
  latestTypeOf,
  upcastData,
  upcastEvent,
  upcasters,
} from './upcasting.ts';
import { validateEvent, validateEventData } from './validate.ts';

describe('upcasting', () => {
  it('turns a stored shipped.v1 into a valid shipped.v2', () => {
    const v1 = example('concord.batch.shipped.v1');
    const upcast = upcastEvent(v1);
    expect(upcast.type).toBe('concord.batch.shipped.v2');
    expect(upcast.dataschema).toBe(
      'https://concord.example/schemas/events/batch/shipped.v2.schema.json',
    );
    expect(upcast.data).toEqual({
      ...v1.data,
      destination: { siteName: 'Helvion Therapeutics central depot Basel', country: 'CH' },
    });
    expect(validateEvent(upcast)).toEqual({ ok: true, event: upcast });
    // Attributes (id, source, signature) are those of the original.
    expect({ ...upcast, type: v1.type, dataschema: v1.dataschema, data: v1.data }).toEqual(v1);
  });

  it("brings a stored type and data to the newest version, keeping the rest of the reader's shape", () => {
    const v1 = example('concord.batch.shipped.v1');
    const stored = { id: 'stored-1', type: v1.type, data: v1.data, metadata: { actorid: 'p-1' } };
    const upcast = upcastData(stored);
    expect(upcast).toEqual({
      ...stored,
      type: 'concord.batch.shipped.v2',
      data: upcastEvent(v1).data,
    });
    const newest = { type: 'concord.batch.coa-issued.v1', data: { coaId: 'coa-1' } };
    expect(upcastData(newest)).toBe(newest);
    const unknown = { type: 'concord.nothing.v9', data: {} };
    expect(upcastData(unknown)).toBe(unknown);
  });

  it('keeps a destination without a country code whole, with country ZZ', () => {
    const v1 = example('concord.batch.shipped.v1');
    for (const destination of ['Sponsor depot, Basel', 'Basel', ', CH', 'Depot Basel, ch']) {
      const v2 = batchShippedV1ToV2.upcast({ ...v1.data, destination });
      expect(v2.destination).toEqual({ siteName: destination, country: 'ZZ' });
      expect(validateEventData('concord.batch.shipped.v2', v2).ok).toBe(true);
    }
  });

  it('leaves events at their newest version alone', () => {
    const v2 = example('concord.batch.shipped.v2');
    expect(upcastEvent(v2)).toBe(v2);
    const scheduled = example('concord.batch.scheduled.v1');
    expect(upcastEvent(scheduled)).toBe(scheduled);
  });

  it('knows the newest version of each type, and upcasters go from one version to the next', () => {
    expect(latestTypeOf('concord.batch.shipped.v1')).toBe('concord.batch.shipped.v2');
    expect(latestTypeOf('concord.batch.scheduled.v1')).toBe('concord.batch.scheduled.v1');
    for (const { from, to } of upcasters) {
      const [fromBase, fromVersion] = from.split(/\.v(?=\d+$)/);
      const [toBase, toVersion] = to.split(/\.v(?=\d+$)/);
      expect(toBase).toBe(fromBase);
      expect(Number(toVersion)).toBe(Number(fromVersion) + 1);
    }
  });
});
