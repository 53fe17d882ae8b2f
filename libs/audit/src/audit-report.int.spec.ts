import type { EventStore } from '@concord/event-store';
import { PostgresEventStore } from '@concord/event-store-postgres';
import { pgDatabase, pgliteDatabase } from '@concord/sql';
import { describeWithPostgres } from '@concord/test-infra/vitest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditReport, AUDIT_REPORT_FORMAT } from './audit-report.ts';
import { batchHistory } from './history.ts';
import { renderAuditReportHtml } from './render-audit-report-html.ts';
import { batchStateAsOf } from './state-as-of.ts';
import {
  CORRECTED_QC_VALUE,
  CORRECTION_REASON,
  FIRST_QC_VALUE,
  recordBatchStory,
  STORY_TIMES,
  type BatchStory,
} from './test-support/batch-story.ts';

function auditSuite(open: (clock: () => Date) => Promise<EventStore>) {
  let story: BatchStory;
  beforeAll(async () => {
    story = await recordBatchStory(open);
  });
  afterAll(async () => story?.store.close());

  it('shows a corrected QC result in the history with its old and new value and the reason', async () => {
    const history = await batchHistory(story.store, story.batchId);
    const correction = history.entries.find((entry) => entry.eventId === story.ids.correction)!;
    expect(correction.correction).toMatchObject({
      correctedEventId: story.ids.qcResult,
      changes: [{ path: '/value', oldValue: FIRST_QC_VALUE, newValue: CORRECTED_QC_VALUE }],
      reason: CORRECTION_REASON,
    });
    expect(correction.signature.status).toBe('valid');
    const original = history.entries.find((entry) => entry.eventId === story.ids.qcResult)!;
    expect(original.data.value).toBe(FIRST_QC_VALUE);
    expect(original.changedSinceFirstEntry).toMatchObject([
      { path: '/value', oldValue: FIRST_QC_VALUE, newValue: CORRECTED_QC_VALUE },
    ]);
  });

  it('returns the old value as of before the correction and the new one after', async () => {
    const valueAsOf = async (instant: string, timeline: 'occurred' | 'recorded') =>
      (await batchStateAsOf(story.store, story.batchId, instant, timeline)).facts?.qcResults[0]
        ?.value;
    expect(await valueAsOf(STORY_TIMES.qcRecorded, 'recorded')).toBe(FIRST_QC_VALUE);
    expect(await valueAsOf(STORY_TIMES.correctionRecorded, 'recorded')).toBe(CORRECTED_QC_VALUE);
    expect(await valueAsOf(STORY_TIMES.correctionOccurred, 'occurred')).toBe(CORRECTED_QC_VALUE);
    // Corrected on the 22nd, recorded on the 26th: the timelines disagree in between.
    expect(await valueAsOf('2026-04-23T00:00:00Z', 'recorded')).toBe(FIRST_QC_VALUE);
    expect(await valueAsOf('2026-04-23T00:00:00Z', 'occurred')).toBe(CORRECTED_QC_VALUE);
  });

  it('reports the batch as it stood, with its deviation, signatures, corrections, verdict and anchors', async () => {
    const report = await auditReport(story.store, story.batchId, {
      asOf: { instant: '2026-04-27T12:00:00Z', timeline: 'recorded' },
      clock: () => new Date('2026-05-02T08:00:00Z'),
    });
    expect(report).toMatchObject({
      format: AUDIT_REPORT_FORMAT,
      generatedAt: '2026-05-02T08:00:00.000Z',
      batch: { batchId: story.batchId, authority: { version: 1 } },
      state: {
        status: 'dispositioned',
        disposition: { decision: 'released' },
        certification: null,
      },
      verification: { ok: true },
    });
    expect(report.batch.product.name).toMatch(/HLV-201/);
    // Certified on the 28th: after the instant, so neither on the timeline nor among the signatures.
    expect(report.timeline.map((entry) => entry.eventId)).not.toContain(story.ids.certification);
    expect(report.signatures.map((s) => s.eventId)).not.toContain(story.ids.certification);
    expect(report.signatures.map((s) => s.eventId)).toContain(story.ids.disposition);
    expect(report.deviations).toMatchObject([
      { deviationId: story.deviationId, facts: { status: 'closed', capa: { approval: {} } } },
    ]);
    expect(report.corrections).toMatchObject([
      { correctedEventId: story.ids.qcResult, reason: CORRECTION_REASON },
    ]);
    expect(report.anchors.map((anchor) => anchor.streamId)).toContain(`batch-${story.batchId}`);
    // JSON as it is written to a file, and HTML from it.
    const reread = JSON.parse(JSON.stringify(report));
    expect(renderAuditReportHtml(reread)).toBe(renderAuditReportHtml(report));
  });
}

describeWithPostgres('the audit trail of a batch on PostgreSQL', (database) => {
  auditSuite((clock) =>
    PostgresEventStore.open(pgDatabase({ connectionString: database().url }), { clock }),
  );
});

describe('the audit trail of a batch on PGlite (the embedded store)', () => {
  auditSuite(async (clock) => PostgresEventStore.open(await pgliteDatabase(), { clock }));
});
