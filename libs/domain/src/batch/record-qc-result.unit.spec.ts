import { DeciderSpecification } from '@concord/testing';
import { describe, expect, it } from 'vitest';
import { at, batch, batchCommand, batchHistory, BATCH, people } from '../test-support/fixtures.ts';
import { batchDecider } from './batch-decider.ts';
import type { RecordQcResult } from './record-qc-result.ts';

const spec = DeciderSpecification.for(batchDecider);

function result(overrides: Partial<RecordQcResult['data']> = {}): RecordQcResult {
  return batchCommand(
    'concord.batch.qc-result-recorded.v1',
    {
      batchId: BATCH,
      resultId: 'r-ph',
      test: 'pH',
      specification: { lower: 6.8, upper: 7.4, unit: 'pH' },
      value: 7.1,
      unit: 'pH',
      testedAt: at(820),
      ...overrides,
    },
    people.cdmoQc,
    { at: at(820), eventId: 'evt-ph' },
  );
}

describe('recording a QC result', () => {
  it('records a result within the limits, nothing more', () => {
    spec
      .given(batchHistory.recordReviewed)
      .when(result())
      .then({ type: 'concord.batch.qc-result-recorded.v1', data: result().data });
  });

  it('treats a value on a limit as within specification', () => {
    spec
      .given(batchHistory.recordReviewed)
      .when(result({ value: 7.4 }))
      .then({ type: 'concord.batch.qc-result-recorded.v1', data: result({ value: 7.4 }).data });
  });

  it('opens an OOS investigation alongside a result above the upper limit', () => {
    const command = result({ value: 7.6 });
    spec
      .given(batchHistory.qcTesting)
      .when(command)
      .then([
        { type: 'concord.batch.qc-result-recorded.v1', data: command.data },
        {
          type: 'concord.batch.oos-investigation-opened.v1',
          data: {
            batchId: BATCH,
            resultId: 'r-ph',
            investigationId: 'oos-r-ph',
            openedAt: at(820),
          },
        },
      ]);
  });

  it('opens an OOS investigation for a result below a lower-only limit, with a derived event id', () => {
    const command = result({ specification: { lower: 7, unit: 'pH' }, value: 6.2 });
    const events = spec.given(batchHistory.recordReviewed).when(command).events();
    expect(events.map((event) => event.type)).toEqual([
      'concord.batch.qc-result-recorded.v1',
      'concord.batch.oos-investigation-opened.v1',
    ]);
    expect(events[1]?.metadata?.id).toBe('evt-ph:oos');
    expect(events[1]?.metadata?.causationid).toBe('evt-ph');
  });

  it('refuses a result before manufacturing completes or before the record is reviewed', () => {
    spec.given(batchHistory.inManufacture).when(result()).thenThrows('batch.out-of-order');
    spec.given(batchHistory.manufacturingComplete).when(result()).thenThrows('batch.out-of-order');
  });

  it('refuses a result after the CoA was issued', () => {
    spec.given(batchHistory.coaIssued).when(result()).thenThrows('batch.out-of-order');
  });

  it('refuses the same result id twice', () => {
    spec
      .given(batchHistory.qcTesting)
      .when(result({ resultId: batch.qcPassed.data.resultId }))
      .thenThrows('batch.duplicate-qc-result');
  });

  it('refuses a specification without limits or with crossed limits', () => {
    spec
      .given(batchHistory.recordReviewed)
      .when(result({ specification: { unit: 'pH' } }))
      .thenThrows('batch.invalid-specification');
    spec
      .given(batchHistory.recordReviewed)
      .when(result({ specification: { lower: 8, upper: 7, unit: 'pH' } }))
      .thenThrows('batch.invalid-specification');
  });

  it('refuses a value in another unit than its specification', () => {
    spec
      .given(batchHistory.recordReviewed)
      .when(result({ unit: 'mV' }))
      .thenThrows('batch.unit-mismatch');
  });

  it('refuses results from the sponsor when the CDMO tests', () => {
    const command = result();
    spec
      .given(batchHistory.recordReviewed)
      .when({ ...command, metadata: { ...command.metadata, actor: people.sponsorQa } })
      .thenThrows('authorization.not-responsible-party');
  });
});
