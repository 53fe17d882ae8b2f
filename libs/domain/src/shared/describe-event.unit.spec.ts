import { eventTypes } from '@concord/contract';
import { exampleEvent } from '@concord/contract/examples';
import { describe, expect, it } from 'vitest';
import { describeEvent } from './describe-event.ts';

describe('the one-line description of an event', () => {
  it.each(eventTypes)('says what a %s says, not just its type', (type) => {
    const { data } = exampleEvent(type);
    const line = describeEvent(type, data);
    expect(line).not.toBe(type);
    expect(line).not.toMatch(/\?|undefined|\[object Object\]/);
  });

  it('names a shipment destination alike in both versions', () => {
    const v1 = exampleEvent('concord.batch.shipped.v1').data;
    expect(describeEvent('concord.batch.shipped.v1', v1)).toMatch(
      /^Shipped to Helvion Therapeutics central depot Basel, CH \(/,
    );
    const v2 = {
      ...v1,
      destination: { siteName: 'Helvion Therapeutics central depot Basel', country: 'CH' },
    };
    expect(describeEvent('concord.batch.shipped.v2', v2)).toBe(
      describeEvent('concord.batch.shipped.v1', v1),
    );
  });

  it('describes a type outside the catalogue by its type', () => {
    expect(describeEvent('concord.batch.relabelled.v9', { batchId: 'cdmo-x:b-1' })).toBe(
      'concord.batch.relabelled.v9',
    );
  });
});
