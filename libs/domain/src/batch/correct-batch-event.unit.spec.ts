import { DeciderSpecification } from '@concord/testing';
import { describe, expect, it } from 'vitest';
import type { CorrectionRecorded } from '../events/correction-events.ts';
import type { Actor } from '../shared/command.ts';
import { batch, batchCommand, batchHistory, batchEvent, people } from '../test-support/fixtures.ts';
import { batchDecider } from './batch-decider.ts';

const spec = DeciderSpecification.for(batchDecider);

function correct(data: Partial<CorrectionRecorded['data']> = {}, actor: Actor = people.cdmoQc) {
  return batchCommand(
    'concord.correction.recorded.v1',
    {
      correctedEventId: batch.qcPassed.metadata?.id ?? '',
      changes: [{ path: '/value', oldValue: 99.1, newValue: 98.7 }],
      reason: 'Transcription error in LIMS export',
      ...data,
    },
    actor,
    { eventId: 'evt-correction' },
  );
}

describe('corrections on a batch stream', () => {
  it('records a correction of an event of the stream', () => {
    spec
      .given(batchHistory.qcTesting)
      .when(correct())
      .then({ type: correct().type, data: correct().data });
  });

  it('never changes the lifecycle state', () => {
    const before = batchHistory.released.reduce(batchDecider.evolve, batchDecider.initialState());
    const [correction] = spec
      .given(batchHistory.released)
      .when(correct({ correctedEventId: 'e-coa' }, people.cdmoQa))
      .events();
    if (correction === undefined) throw new Error('no correction recorded');
    const after = batchDecider.evolve(before, correction);
    expect(after.status).toBe(before.status);
    expect({ ...after, seen: {} }).toEqual({ ...before, seen: {} });
    expect(Object.keys(after.status === 'empty' ? {} : after.seen)).toContain('evt-correction');
  });

  it('is accepted after an abort and after shipment', () => {
    const correction = correct({ correctedEventId: 'e-aborted' }, people.cdmoProduction);
    spec
      .given(batchHistory.aborted)
      .when(correction)
      .then({ type: correction.type, data: correction.data });
    const afterShipment = correct({ correctedEventId: 'e-shipped' }, people.cdmoProduction);
    spec
      .given(batchHistory.shipped)
      .when(afterShipment)
      .then({ type: afterShipment.type, data: afterShipment.data });
  });

  it('refuses a correction of an event the stream has not seen', () => {
    spec
      .given(batchHistory.qcTesting)
      .when(correct({ correctedEventId: 'e-elsewhere' }))
      .thenThrows('correction.unknown-event');
    spec.given([]).when(correct()).thenThrows('batch.not-scheduled');
  });

  it('refuses a correction without a reason or without changes', () => {
    spec
      .given(batchHistory.qcTesting)
      .when(correct({ reason: '  ' }))
      .thenThrows('correction.reason-required');
    spec
      .given(batchHistory.qcTesting)
      .when(correct({ changes: [] }))
      .thenThrows('correction.no-changes');
  });

  it('is authorized like the corrected event: the sponsor cannot correct a QC result', () => {
    spec
      .given(batchHistory.qcTesting)
      .when(correct({}, people.sponsorQa))
      .thenThrows('authorization.not-responsible-party');
  });

  it('authorizes a correction of a correction like the original event', () => {
    const first = batchEvent(
      'concord.correction.recorded.v1',
      correct().data,
      'evt-correction-1',
      people.cdmoQc,
    );
    const second = correct({ correctedEventId: 'evt-correction-1' });
    spec
      .given([...batchHistory.qcTesting, first])
      .when(second)
      .then({ type: second.type, data: second.data });
    spec
      .given([...batchHistory.qcTesting, first])
      .when(correct({ correctedEventId: 'evt-correction-1' }, people.sponsorQa))
      .thenThrows('authorization.not-responsible-party');
  });
});
