import { describe, expect, it } from 'vitest';
import { batchDecider } from '../batch/batch-decider.ts';
import type { DeviationEvent } from '../events/deviation-events.ts';
import { PLATFORM_ORGANIZATION_ID } from '../shared/command.ts';
import { batchHistory, BATCH, DEVIATION, deviation } from '../test-support/fixtures.ts';
import { deviationBatchLinkage, type BatchStreamCommand } from './deviation-batch-linkage.ts';

const twoBatches: DeviationEvent = {
  ...deviation.reported,
  data: { ...deviation.reported.data, linkedBatchIds: [BATCH, 'b-2'] },
};

/** Runs the process manager over a deviation's events; returns the commands of each event. */
function run(events: readonly DeviationEvent[]): BatchStreamCommand[][] {
  let state = deviationBatchLinkage.initialState();
  return events.map((event) => {
    const commands = deviationBatchLinkage.react(state, event);
    state = deviationBatchLinkage.evolve(state, event);
    return commands;
  });
}

describe('deviation ↔ batch linkage', () => {
  it('links a reported deviation to each named batch with its severity', () => {
    const [commands] = run([twoBatches]);
    expect(
      commands?.map(({ streamId, command }) => [streamId, command.type, command.data]),
    ).toEqual([
      [
        `batch-${BATCH}`,
        'concord.batch.deviation-linked.v1',
        { batchId: BATCH, deviationId: DEVIATION, severity: 'major' },
      ],
      [
        'batch-b-2',
        'concord.batch.deviation-linked.v1',
        { batchId: 'b-2', deviationId: DEVIATION, severity: 'major' },
      ],
    ]);
  });

  it('issues platform commands with ids derived from the triggering event', () => {
    const [commands] = run([deviation.reported]);
    const metadata = commands?.[0]?.command.metadata;
    expect(metadata?.actor.organizationId).toBe(PLATFORM_ORGANIZATION_ID);
    expect(metadata?.eventId).toBe(`d-reported:link:${BATCH}`);
    expect(metadata?.causationId).toBe('d-reported');
    expect(run([deviation.reported])).toEqual(run([deviation.reported]));
  });

  it('updates the severity on reclassification, and only when it changes', () => {
    const reclassified: DeviationEvent = {
      ...deviation.classified,
      data: { ...deviation.classified.data, severity: 'critical' },
    };
    const [, same, changed] = run([deviation.reported, deviation.classified, reclassified]);
    expect(same).toEqual([]);
    expect(changed?.map(({ command }) => command.data)).toEqual([
      { batchId: BATCH, deviationId: DEVIATION, severity: 'critical' },
    ]);
  });

  it('closes the links when the deviation closes, once', () => {
    const results = run([twoBatches, deviation.investigating, deviation.closed, deviation.closed]);
    expect(results[1]).toEqual([]);
    expect(results[2]?.map(({ streamId, command }) => [streamId, command.type])).toEqual([
      [`batch-${BATCH}`, 'concord.batch.deviation-link-closed.v1'],
      ['batch-b-2', 'concord.batch.deviation-link-closed.v1'],
    ]);
    expect(results[3]).toEqual([]);
  });

  it("feeds the batch decider, which then blocks and unblocks the batch's release", () => {
    const [linked, closed] = run([deviation.reported, deviation.closed]);
    let state = batchHistory.coaIssued.reduce(batchDecider.evolve, batchDecider.initialState());
    for (const { command } of linked ?? []) {
      state = batchDecider.decide(command, state).reduce(batchDecider.evolve, state);
    }
    expect(state.status !== 'empty' && state.openDeviations).toEqual({ [DEVIATION]: 'major' });
    for (const { command } of closed ?? []) {
      state = batchDecider.decide(command, state).reduce(batchDecider.evolve, state);
    }
    expect(state.status !== 'empty' && state.openDeviations).toEqual({});
  });

  it('refuses to react without the triggering event metadata', () => {
    const { metadata: _metadata, ...bare } = deviation.reported;
    expect(() => deviationBatchLinkage.react(deviationBatchLinkage.initialState(), bare)).toThrow(
      expect.objectContaining({ code: 'process-manager.missing-metadata' }),
    );
  });
});
