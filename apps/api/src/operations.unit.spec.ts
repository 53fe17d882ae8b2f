import type { RecordedEvent } from '@concord/event-store';
import { describe, expect, it } from 'vitest';
import { Operations } from './operations.ts';

describe("the API's projector visibility histogram", () => {
  const recordedAt = '2026-12-01T08:00:00.000Z';
  const event = { recordedAt } as RecordedEvent;
  const bucketsOf = async (operations: Operations) => {
    // This metric alone: collecting the others would ask the store and the database.
    const metric = operations.registry.getSingleMetric('concord_projector_visibility_seconds');
    const { values } = await metric!.get();
    return Object.fromEntries(
      values.map((v) => [
        `${(v as { metricName?: string }).metricName}${v.labels.le === undefined ? '' : `{${v.labels.le}}`}`,
        v.value,
      ]),
    );
  };
  // Nothing is asked of the store, the database or the projector until a scrape collects them.
  const operations = () =>
    new Operations({ store: {}, db: {}, projector: {}, subscribers: () => 0 } as never);

  it('puts each event in seconds from its recording to the commit', async () => {
    const subject = operations();
    const at = (ms: number) => Date.parse(recordedAt) + ms;
    subject.observeProjected([event, event], at(250));
    subject.observeProjected([event], at(40));
    const buckets = await bucketsOf(subject);
    expect(buckets['concord_projector_visibility_seconds_bucket{0.025}']).toBe(0);
    expect(buckets['concord_projector_visibility_seconds_bucket{0.05}']).toBe(1);
    expect(buckets['concord_projector_visibility_seconds_bucket{0.1}']).toBe(1);
    expect(buckets['concord_projector_visibility_seconds_bucket{0.25}']).toBe(3);
    expect(buckets['concord_projector_visibility_seconds_count']).toBe(3);
    expect(buckets['concord_projector_visibility_seconds_sum']).toBeCloseTo(0.54, 6);
  });

  it('counts a clock behind the store as no time, not as negative time', async () => {
    const subject = operations();
    subject.observeProjected([event], Date.parse(recordedAt) - 5_000);
    const buckets = await bucketsOf(subject);
    expect(buckets['concord_projector_visibility_seconds_bucket{0.005}']).toBe(1);
    expect(buckets['concord_projector_visibility_seconds_sum']).toBe(0);
  });
});
