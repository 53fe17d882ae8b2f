import { worldOrganization } from '@concord/contract/world';
import { InMemoryEventStore } from '@concord/event-store';
import { AGREEMENT, CDMO, personIn } from '@concord/ingest/test-support';
import { beforeAll, describe, expect, it } from 'vitest';
import { batchHistory, deviationHistory, UnknownSubjectError, type History } from './history.ts';
import {
  CORRECTED_QC_VALUE,
  CORRECTION_REASON,
  FIRST_QC_VALUE,
  recordBatchStory,
  STORY_TIMES,
  type BatchStory,
} from './test-support/batch-story.ts';

describe('the history of a batch and of a deviation', () => {
  let story: BatchStory;
  let history: History;
  const entry = (eventId: string) => history.entries.find((e) => e.eventId === eventId)!;

  beforeAll(async () => {
    story = await recordBatchStory(async (clock) => new InMemoryEventStore({ clock }));
    history = await batchHistory(story.store, story.batchId);
  });

  it('lists every event of the stream in order, with what it says in one line', () => {
    expect(history.subject).toEqual({
      kind: 'batch',
      id: story.batchId,
      streamId: `batch-${story.batchId}`,
    });
    expect(history.entries.map((e) => e.streamVersion)).toEqual(
      history.entries.map((_, index) => index + 1),
    );
    expect(history.entries.map((e) => e.type)).toEqual([
      'concord.batch.scheduled.v1',
      'concord.batch.manufacturing-started.v1',
      'concord.batch.manufacturing-completed.v1',
      'concord.batch.record-reviewed.v1',
      'concord.batch.qc-result-recorded.v1',
      'concord.batch.deviation-linked.v1',
      'concord.batch.deviation-link-closed.v1',
      'concord.correction.recorded.v1',
      'concord.batch.coa-issued.v1',
      'concord.batch.disposition-recorded.v1',
      'concord.batch.qp-certified.v1',
      'concord.batch.shipped.v1',
    ]);
    expect(entry(story.ids.disposition).summary).toBe('QA disposition: released');
  });

  it('shows the corrected QC result with its old and new value and the reason', () => {
    const correction = entry(story.ids.correction);
    expect(correction.correction).toEqual({
      correctedEventId: story.ids.qcResult,
      correctedEventType: 'concord.batch.qc-result-recorded.v1',
      changes: [
        {
          path: '/value',
          oldValue: FIRST_QC_VALUE,
          statedOldValue: FIRST_QC_VALUE,
          newValue: CORRECTED_QC_VALUE,
        },
      ],
      reason: CORRECTION_REASON,
    });
    expect(correction.why).toBe(CORRECTION_REASON);
    expect(correction.summary).toMatch(
      new RegExp(`^Corrected value ${FIRST_QC_VALUE} → ${CORRECTED_QC_VALUE} in: QC result`),
    );
    // The first entry stays as entered, marked as changed since, and shows the value as it stands.
    const original = entry(story.ids.qcResult);
    expect(original.data.value).toBe(FIRST_QC_VALUE);
    expect(original.currentData.value).toBe(CORRECTED_QC_VALUE);
    expect(original.changedSinceFirstEntry).toEqual([
      {
        path: '/value',
        oldValue: FIRST_QC_VALUE,
        statedOldValue: FIRST_QC_VALUE,
        newValue: CORRECTED_QC_VALUE,
        correctionEventId: story.ids.correction,
        occurredAt: STORY_TIMES.correctionOccurred,
        recordedAt: STORY_TIMES.correctionRecorded,
        reason: CORRECTION_REASON,
      },
    ]);
    expect(
      history.entries.filter((e) => e.changedSinceFirstEntry.length > 0).map((e) => e.eventId),
    ).toEqual([story.ids.qcResult]);
  });

  it('says who acted (person, printed name, organization, role), when on both clocks, and on whose authority', () => {
    const qc = entry(story.ids.qcResult);
    const analyst = personIn(CDMO, 'qc');
    expect(qc.who).toEqual({
      personId: analyst.personId,
      printedName: analyst.printedName,
      organizationId: CDMO,
      organizationName: worldOrganization(CDMO).name,
      role: 'qc',
    });
    expect(qc.occurredAt).toBe(STORY_TIMES.qcOccurred);
    expect(qc.recordedAt).toBe(STORY_TIMES.qcRecorded);
    // Recorded ten minutes after: contemporaneous. The shipment, entered two days later, is a
    // late entry: legitimate, and marked.
    expect(qc.lateEntry).toBeNull();
    expect(entry(story.ids.shipped).lateEntry).toEqual({
      recordedAfterMinutes: 48 * 60 + 30,
      description: 'Late entry: recorded 2 days after it occurred.',
    });
    expect(qc.authority).toEqual({
      agreementId: AGREEMENT,
      version: 1,
      effectiveFrom: '2026-01-01T00:00:00Z',
    });
    const link = history.entries.find((e) => e.type === 'concord.batch.deviation-linked.v1')!;
    expect(link.who).toMatchObject({ organizationId: 'concord', printedName: 'Concord platform' });
  });

  it('gives each event its signature status and e-signature', () => {
    expect(entry(story.ids.qcResult).signature.status).toBe('valid');
    const certification = entry(story.ids.certification);
    expect(certification.signature.status).toBe('e-signature-only');
    expect(certification.eSignature).toMatchObject({
      printedName: personIn(CDMO, 'qp').printedName,
      meaning: 'responsibility',
      signedAt: STORY_TIMES.certificationOccurred,
    });
    expect(entry(story.ids.disposition).why).toMatch(/^Signed by Siobhán Murphy/);
    expect(history.entries.every((e) => e.hash.length === 64)).toBe(true);
  });

  it("tells a deviation's history, its late report derived by the platform", async () => {
    const deviation = await deviationHistory(story.store, story.deviationId);
    expect(deviation.agreementId).toBe(AGREEMENT);
    const late = deviation.entries.find((e) => e.type === 'concord.deviation.reported-late.v1')!;
    expect(late.signature).toEqual({
      status: 'platform',
      derivedFrom: story.ids.deviationReported,
      platformKeyId: null,
    });
    expect(late.summary).toMatch(/^Reported \d+ minutes after the notification deadline/);
    const classified = deviation.entries.find((e) => e.type === 'concord.deviation.classified.v1')!;
    expect(classified.why).toBe(classified.data.rationale);
  });

  it('refuses a subject the store does not hold', async () => {
    await expect(batchHistory(story.store, 'b-no-such-batch')).rejects.toThrow(UnknownSubjectError);
  });
});
