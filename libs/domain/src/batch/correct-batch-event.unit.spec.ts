import { DeciderSpecification } from '@concord/testing';
import { describe, expect, it } from 'vitest';
import { seenEvent } from '../shared/correction.ts';
import type { ElectronicSignature } from '../shared/vocabulary.ts';
import type { CorrectionRecorded } from '../events/correction-events.ts';
import type { Actor } from '../shared/command.ts';
import {
  at,
  batch,
  batchCommand,
  batchHistory,
  batchEvent,
  people,
} from '../test-support/fixtures.ts';
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
      .when(
        correct(
          {
            correctedEventId: 'e-completed',
            changes: [{ path: '/actualQuantity/value', oldValue: 198, newValue: 197 }],
          },
          people.cdmoProduction,
        ),
      )
      .events();
    if (correction === undefined) throw new Error('no correction recorded');
    const after = batchDecider.evolve(before, correction);
    expect(after.status).toBe(before.status);
    expect({ ...after, seen: null }).toEqual({ ...before, seen: null });
    expect(after.status !== 'empty' && seenEvent(after.seen, 'evt-correction')).toBeTruthy();
  });

  it('is accepted after an abort and after shipment', () => {
    const correction = correct(
      {
        correctedEventId: 'e-aborted',
        changes: [
          { path: '/reason', oldValue: 'Bioreactor failure', newValue: 'Bioreactor 2 failure' },
        ],
      },
      people.cdmoProduction,
    );
    spec
      .given(batchHistory.aborted)
      .when(correction)
      .then({ type: correction.type, data: correction.data });
    const afterShipment = correct(
      {
        correctedEventId: 'e-shipped',
        changes: [
          {
            path: '/destination',
            oldValue: 'Sponsor DC Frankfurt',
            newValue: 'Sponsor DC Frankfurt-Höchst',
          },
        ],
      },
      people.cdmoProduction,
    );
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

  it('refuses a correction of a correction: the original is corrected again, stating the corrected value', () => {
    const first = batchEvent(
      'concord.correction.recorded.v1',
      correct().data,
      'evt-correction-1',
      people.cdmoQc,
    );
    spec
      .given([...batchHistory.qcTesting, first])
      .when(correct({ correctedEventId: 'evt-correction-1' }))
      .thenThrows('correction.field-not-correctable');
    // The record now holds 98.7: a second correction that states 99.1 misstates it.
    spec
      .given([...batchHistory.qcTesting, first])
      .when(correct())
      .thenThrows('correction.old-value-mismatch');
    const again = correct({ changes: [{ path: '/value', oldValue: 98.7, newValue: 98.9 }] });
    spec
      .given([...batchHistory.qcTesting, first])
      .when(again)
      .then({ type: again.type, data: again.data });
  });
});

describe('a correction never changes a decision, a signature or an identity', () => {
  const rejected = batchEvent(
    'concord.batch.disposition-recorded.v1',
    {
      batchId: batch.released.data.batchId,
      decision: 'rejected',
      signature: (batch.released.data as { signature: ElectronicSignature }).signature,
    },
    'e-rejected',
    people.sponsorQa,
  );
  const history = [...batchHistory.coaIssued, rejected];

  it.each([
    ['/decision', 'rejected', 'released'],
    ['/signature/printedName', 'Sponsor QA', 'Somebody Else'],
    ['/signature', null, { printedName: 'x' }],
    ['/batchId', batch.released.data.batchId, 'b-other'],
  ])('refuses a correction of %s on an e-signed disposition', (path, oldValue, newValue) => {
    spec
      .given(history)
      .when(
        correct(
          { correctedEventId: 'e-rejected', changes: [{ path, oldValue, newValue }] },
          people.sponsorQa,
        ),
      )
      .thenThrows('correction.field-not-correctable');
  });

  it('names the fields that can be corrected when a field cannot', () => {
    spec
      .given(batchHistory.qcTesting)
      .when(
        correct({
          changes: [{ path: '/specification/lower', oldValue: 95, newValue: 90 }],
        }),
      )
      .thenThrows((error) => {
        expect(error).toMatchObject({
          code: 'correction.field-not-correctable',
          details: { path: '/specification/lower' },
        });
        expect((error as Error).message).toContain('correctable: /test, /method, /value');
        return true;
      });
  });

  it('refuses a stated old value that is not on the record, and a change that changes nothing', () => {
    spec
      .given(batchHistory.qcTesting)
      .when(correct({ changes: [{ path: '/value', oldValue: 42, newValue: 98.7 }] }))
      .thenThrows('correction.old-value-mismatch');
    spec
      .given(batchHistory.qcTesting)
      .when(correct({ changes: [{ path: '/value', oldValue: 99.1, newValue: 99.1 }] }))
      .thenThrows('correction.invalid-change');
    spec
      .given(batchHistory.qcTesting)
      .when(correct({ changes: [{ path: '/value', oldValue: 99.1, newValue: '98.7' }] }))
      .thenThrows('correction.invalid-change');
    spec
      .given(batchHistory.qcTesting)
      .when(correct({ changes: [{ path: '/value', oldValue: 99.1, newValue: null }] }))
      .thenThrows('correction.invalid-change');
  });

  it('accepts a value for an optional field never entered, stated as null', () => {
    const command = correct({
      changes: [{ path: '/method', oldValue: null, newValue: 'Ph. Eur. 2.2.46' }],
    });
    spec
      .given(batchHistory.qcTesting)
      .when(command)
      .then({ type: command.type, data: command.data });
  });

  it('leaves the release state to the signed acts: a rejection is final, a quarantine is re-decided', () => {
    const before = history.reduce(batchDecider.evolve, batchDecider.initialState());
    expect(before).toMatchObject({ status: 'dispositioned', decision: 'rejected' });
    const release = batchCommand(
      'concord.batch.disposition-recorded.v1',
      {
        batchId: batch.released.data.batchId,
        decision: 'released',
        signature: (batch.released.data as { signature: ElectronicSignature }).signature,
      },
      people.sponsorQa,
      { at: at(1100) },
    );
    spec.given(history).when(release).thenThrows('batch.out-of-order');
    const quarantined = batchEvent(
      'concord.batch.disposition-recorded.v1',
      { ...rejected.data, decision: 'quarantined' },
      'e-quarantined-first',
      people.sponsorQa,
    );
    spec
      .given([...batchHistory.coaIssued, quarantined])
      .when(release)
      .then({ type: release.type, data: release.data });
  });
});
