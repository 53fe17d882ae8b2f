import { describe, expect, it } from 'vitest';
import { correctedStoredEventIdOf, toDomainEvent, type StoredEvent } from './stored-event.ts';

const metadata = {
  time: '2026-04-20T10:00:00Z',
  recordedtime: '2026-04-20T10:00:01Z',
  actorid: 'p-1',
  actororg: 'cdmo-x',
  envelope: { source: 'urn:partner:cdmo-x' },
};

const correction = (extra: Record<string, unknown> = {}): StoredEvent => ({
  id: 'urn:partner:cdmo-x|e-9',
  type: 'concord.correction.recorded.v1',
  data: { correctedEventId: 'e-1', reason: 'typo', changes: [] },
  metadata: { ...metadata, ...extra },
});

describe('a stored event as the domain sees it', () => {
  it('carries its stored id and its metadata as stored; its data is the recorded data', () => {
    const stored: StoredEvent = {
      id: 'urn:partner:cdmo-x|e-1',
      type: 'concord.batch.manufacturing-started.v1',
      data: { batchId: 'cdmo-x:b-1', startedAt: '2026-04-20T09:00:00Z' },
      metadata,
    };
    const event = toDomainEvent(stored);
    expect(event).toEqual({
      type: stored.type,
      data: stored.data,
      metadata: { ...metadata, id: stored.id },
    });
    expect(event.data).toBe(stored.data);
  });

  it("shows a correction naming the stored id ingest resolved, and keeps the partner's data as signed", () => {
    const stored = correction({ correctedStoredEventId: 'urn:partner:cdmo-x|e-1' });
    expect(correctedStoredEventIdOf(stored)).toBe('urn:partner:cdmo-x|e-1');
    expect(toDomainEvent(stored).data).toEqual({
      ...stored.data,
      correctedEventId: 'urn:partner:cdmo-x|e-1',
    });
    expect(stored.data.correctedEventId).toBe('e-1');
  });

  it('takes the id a correction names when nothing was resolved (events the platform recorded)', () => {
    expect(correctedStoredEventIdOf(correction())).toBe('e-1');
    expect(toDomainEvent(correction()).data).toEqual(correction().data);
  });

  it('names no corrected event for any other type', () => {
    expect(
      correctedStoredEventIdOf({ ...correction(), type: 'concord.batch.coa-issued.v1' }),
    ).toBeUndefined();
  });
});
