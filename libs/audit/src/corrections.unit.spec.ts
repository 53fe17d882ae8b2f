import type { RecordedEvent } from '@concord/event-store';
import { describe, expect, it } from 'vitest';
import { applyCorrections } from './corrections.ts';

let position = 0n;
function stored(
  id: string,
  type: string,
  data: RecordedEvent['data'],
  metadata = {},
): RecordedEvent {
  position++;
  return {
    id,
    type,
    data,
    metadata,
    streamId: 'batch-b-1',
    streamVersion: Number(position),
    globalPosition: position,
    recordedAt: '2026-04-20T10:00:00.000Z',
    hash: `hash-${id}`,
    previousHash: null,
  };
}

const correction = (id: string, correctedEventId: string, changes: object[], metadata = {}) =>
  stored(
    id,
    'concord.correction.recorded.v1',
    { correctedEventId, changes: changes as never, reason: `reason of ${id}` },
    metadata,
  );

describe('applying corrections', () => {
  const qc = stored('ev-qc', 'concord.batch.qc-result-recorded.v1', { value: 98.1, unit: '%' });

  it('keeps the first entry and restates each later correction from the one before', () => {
    const first = correction('ev-c1', 'ev-qc', [
      { path: '/value', oldValue: 98.1, newValue: 96.2 },
    ]);
    const second = correction('ev-c2', 'ev-qc', [
      { path: '/value', oldValue: 96.2, newValue: 97.6 },
    ]);
    const { dataById, applied } = applyCorrections([qc, first, second]);
    expect(dataById.get('ev-qc')).toEqual({ value: 97.6, unit: '%' });
    expect(qc.data.value).toBe(98.1);
    expect(applied.map((a) => a.changes)).toEqual([
      [{ path: '/value', oldValue: 98.1, statedOldValue: 98.1, newValue: 96.2 }],
      [{ path: '/value', oldValue: 96.2, statedOldValue: 96.2, newValue: 97.6 }],
    ]);
    expect(applied[1]).toMatchObject({
      correctedEventId: 'ev-qc',
      correctedEventType: 'concord.batch.qc-result-recorded.v1',
      reason: 'reason of ev-c2',
    });
  });

  it('takes the old value from the record, and keeps what the correction claimed beside it', () => {
    const misread = correction('ev-c3', 'ev-qc', [{ path: '/value', oldValue: 99, newValue: 97 }]);
    const [change] = applyCorrections([qc, misread]).applied[0]!.changes;
    expect(change).toEqual({ path: '/value', oldValue: 98.1, statedOldValue: 99, newValue: 97 });
  });

  it('follows the stored id a partner correction was resolved to', () => {
    const partner = correction(
      'ev-c4',
      'the-partners-own-id',
      [{ path: '/unit', newValue: 'mg' }],
      {
        correctedStoredEventId: 'ev-qc',
      },
    );
    expect(applyCorrections([qc, partner]).dataById.get('ev-qc')).toEqual({
      value: 98.1,
      unit: 'mg',
    });
  });

  it('records a correction of an event it does not hold without changing anything', () => {
    const stray = correction('ev-c5', 'ev-elsewhere', [{ path: '/value', newValue: 1 }]);
    const { dataById, applied } = applyCorrections([qc, stray]);
    expect(dataById.get('ev-qc')).toEqual(qc.data);
    expect(applied[0]).toMatchObject({
      correctedEventType: null,
      changes: [{ path: '/value', newValue: 1 }],
    });
  });
});
