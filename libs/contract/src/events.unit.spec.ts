import { describe, expect, expectTypeOf, it } from 'vitest';
import type { ConcordEvent } from './events.ts';
import type { EventType } from './generated/catalogue.ts';
import type { BatchShippedV2, EventDataByType, Quantity } from './generated/schema-types.ts';
import { example } from './test-support/examples.ts';
import { isEventType } from './validate.ts';

describe('ConcordEvent', () => {
  it('is a union discriminated by type', () => {
    const event: ConcordEvent = example('concord.batch.shipped.v2');
    if (event.type === 'concord.batch.shipped.v2') {
      expectTypeOf(event.data).toEqualTypeOf<BatchShippedV2>();
      expect(event.data.destination.country).toBe('CH');
    } else {
      throw new Error('narrowing failed');
    }
  });

  it('maps every type string to its data type', () => {
    expectTypeOf<keyof EventDataByType>().toEqualTypeOf<EventType>();
    expectTypeOf<
      EventDataByType['concord.batch.scheduled.v1']['plannedQuantity']
    >().toEqualTypeOf<Quantity>();
    expectTypeOf<ConcordEvent<'concord.deviation.closed.v1'>['data']['signature']>().toHaveProperty(
      'printedName',
    );
  });

  it('recognizes type strings at run time', () => {
    expect(isEventType('concord.batch.scheduled.v1')).toBe(true);
    expect(isEventType('concord.batch.scheduled.v2')).toBe(false);
    expect(isEventType(42)).toBe(false);
  });
});
