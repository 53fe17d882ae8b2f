import { InMemoryEventStore } from '@concord/event-store';
import { beforeAll, describe, expect, it } from 'vitest';
import { UnknownSubjectError } from './history.ts';
import { batchStateAsOf, deviationStateAsOf } from './state-as-of.ts';
import {
  CORRECTED_QC_VALUE,
  FIRST_QC_VALUE,
  recordBatchStory,
  STORY_TIMES,
  type BatchStory,
} from './test-support/batch-story.ts';

describe('a batch and a deviation as they stood at an instant', () => {
  let story: BatchStory;
  const qcValue = async (instant: string, timeline: 'occurred' | 'recorded') =>
    (await batchStateAsOf(story.store, story.batchId, instant, timeline)).facts?.qcResults[0]
      ?.value;

  beforeAll(async () => {
    story = await recordBatchStory(async (clock) => new InMemoryEventStore({ clock }));
  });

  it('shows the old QC value before the correction and the new one after, on either timeline', async () => {
    const beforeBoth = '2026-04-21T00:00:00Z';
    const afterBoth = '2026-04-26T10:00:00Z';
    for (const timeline of ['occurred', 'recorded'] as const) {
      expect(await qcValue(beforeBoth, timeline)).toBe(FIRST_QC_VALUE);
      expect(await qcValue(afterBoth, timeline)).toBe(CORRECTED_QC_VALUE);
    }
    const after = await batchStateAsOf(story.store, story.batchId, afterBoth, 'recorded');
    expect(after.facts?.qcResults[0]?.changedSinceFirstEntry).toEqual([
      { path: '/value', firstEntered: FIRST_QC_VALUE },
    ]);
    expect(after.correctionsApplied).toBe(1);
  });

  it('differs between the timelines while a correction had happened but was not yet recorded', async () => {
    // Reprocessed on the 22nd, delivered to the platform on the 26th.
    const between = '2026-04-24T00:00:00Z';
    expect(await qcValue(between, 'occurred')).toBe(CORRECTED_QC_VALUE);
    expect(await qcValue(between, 'recorded')).toBe(FIRST_QC_VALUE);
    // Tested at 10:00, recorded at 10:10: in between, it had happened but nobody could know it.
    expect(await qcValue('2026-04-20T10:05:00Z', 'occurred')).toBe(FIRST_QC_VALUE);
    expect(await qcValue('2026-04-20T10:05:00Z', 'recorded')).toBeUndefined();
  });

  it("folds with the domain's own evolve: status, linked deviations, disposition and certification", async () => {
    const duringDeviation = await batchStateAsOf(
      story.store,
      story.batchId,
      '2026-04-23T00:00:00Z',
      'recorded',
    );
    expect(duringDeviation.state.status).toBe('qc-testing');
    expect(duringDeviation.facts?.openDeviations).toEqual({ [story.deviationId]: 'major' });
    expect(duringDeviation.facts?.disposition).toBeNull();

    const certified = await batchStateAsOf(
      story.store,
      story.batchId,
      '2026-04-28T12:00:00Z',
      'occurred',
    );
    expect(certified.state.status).toBe('qp-certified');
    expect(certified.facts).toMatchObject({
      openDeviations: {},
      linkedDeviationIds: [story.deviationId],
      coa: { coaId: expect.stringMatching(/^coa-/) },
      disposition: { decision: 'released', signature: { meaning: 'approval' } },
      certification: {
        eventId: story.ids.certification,
        signature: { printedName: 'Dr. Katarzyna Nowak', meaning: 'responsibility' },
      },
      shipment: null,
    });
    expect(certified.lastEventId).toBe(story.ids.certification);
  });

  it('shows a shipment recorded as shipped.v1 in the newest version of its type', async () => {
    const shipped = await batchStateAsOf(
      story.store,
      story.batchId,
      STORY_TIMES.shippedRecorded,
      'recorded',
    );
    const recorded = (await story.store.readAll()).find(({ id }) => id === story.ids.shipped);
    expect(recorded?.type).toBe('concord.batch.shipped.v1');
    expect(typeof recorded?.data.destination).toBe('string');
    expect(shipped.state.status).toBe('shipped');
    expect(shipped.facts?.shipment?.destination).toEqual({
      siteName: 'Helvion Therapeutics central depot Basel',
      country: 'CH',
    });
  });

  it('knows nothing of the batch before it was scheduled, and refuses what is no instant', async () => {
    const before = await batchStateAsOf(
      story.store,
      story.batchId,
      '2026-04-01T00:00:00Z',
      'occurred',
    );
    expect(before.state).toEqual({ status: 'empty' });
    expect(before.facts).toBeNull();
    expect(before.eventsApplied).toBe(0);
    await expect(
      batchStateAsOf(story.store, story.batchId, 'yesterday', 'occurred'),
    ).rejects.toThrow(RangeError);
    await expect(
      batchStateAsOf(story.store, 'b-unknown', '2026-04-01T00:00:00Z', 'occurred'),
    ).rejects.toThrow(UnknownSubjectError);
  });

  it('rebuilds a deviation: its CAPA as approved then, and its closure only once closed', async () => {
    const approved = await deviationStateAsOf(
      story.store,
      story.deviationId,
      '2026-04-24T16:00:00Z',
      'occurred',
    );
    expect(approved.state.status).toBe('capa-approved');
    expect(approved.facts).toMatchObject({
      severity: 'major',
      late: { lateByMinutes: expect.any(Number) },
      capa: { approval: { signature: { printedName: 'Dr. Lena Vogel', meaning: 'approval' } } },
      closure: null,
    });
    expect(approved.facts?.capa?.actions.length).toBeGreaterThan(0);
    const reported = await deviationStateAsOf(
      story.store,
      story.deviationId,
      STORY_TIMES.deviationRecorded,
      'recorded',
    );
    expect(reported.state.status).toBe('reported');
    const closed = await deviationStateAsOf(
      story.store,
      story.deviationId,
      '2026-04-26T00:00:00Z',
      'recorded',
    );
    expect(closed.state.status).toBe('closed');
    expect(closed.facts?.closure?.signature?.meaning).toBe('responsibility');
  });
});
