import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AuditReport, AuditVerification } from '@concord/audit';
import {
  backUpStore,
  FIRST_QC_VALUE,
  flipStoredSignature,
  recordBatchStory,
  tamper,
  type BatchStory,
} from '@concord/audit/test-support';
import { PostgresEventStore } from '@concord/event-store-postgres';
import { pgDatabase, type SqlDatabase } from '@concord/sql';
import { describeWithPostgres } from '@concord/test-infra/vitest';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { run } from './cli.ts';
import { Captured, captureIo } from './test-support/capture.ts';

describeWithPostgres('concord audit', (database) => {
  let db: SqlDatabase;
  let story: BatchStory;
  let restore: () => Promise<void>;
  let dir: string;
  const env = () => ({ DATABASE_URL: database().url });

  beforeAll(async () => {
    db = pgDatabase({ connectionString: database().url });
    story = await recordBatchStory((clock) => PostgresEventStore.open(db, { clock }));
    restore = await backUpStore(db);
    dir = await mkdtemp(join(tmpdir(), 'concord-audit-'));
  });
  afterEach(async () => restore());
  afterAll(async () => {
    await story?.store.close();
    await rm(dir, { recursive: true, force: true });
  });

  describe('verify', () => {
    it('passes on an intact store with exit code 0 and a clear verdict', async () => {
      const { io, stdout } = captureIo({ env: env() });
      expect(await run(['audit', 'verify', '--batch', story.batchId], io)).toBe(0);
      expect(stdout.text).toMatch(
        new RegExp(
          `^VERIFIED batch ${story.batchId}: hash chains intact and every origin proven \\(5 streams, \\d+ events; \\d+ partner signatures valid, 1 e-signed through the API`,
        ),
      );
      const deviation = captureIo({ env: env() });
      expect(await run(['audit', 'verify', '--deviation', story.deviationId], deviation.io)).toBe(
        0,
      );
    });

    it('fails with exit code 1 after a row is altered by SQL, naming the first broken link', async () => {
      await tamper(
        db,
        `update es_events set data = jsonb_set(data, '{value}', '99.9') where event_id = $1`,
        [story.ids.qcResult],
      );
      const { io, stdout } = captureIo({ env: env() });
      expect(await run(['audit', 'verify', '--batch', story.batchId], io)).toBe(1);
      expect(stdout.text).toMatch(/^FAILED batch .*: the record does not verify/);
      expect(stdout.text).toContain(
        `first broken link: stream batch-${story.batchId}, version 5, event ${story.ids.qcResult}`,
      );
      expect(stdout.text).toMatch(
        /hash chain \(hash-mismatch\): the stored event no longer matches its hash/,
      );
    });

    it('fails after a byte of a stored partner signature is flipped', async () => {
      await flipStoredSignature(db, story.ids.disposition);
      const { io, stdout } = captureIo({ env: env() });
      expect(await run(['audit', 'verify', '--all', '--json'], io)).toBe(1);
      const verification = JSON.parse(stdout.text) as AuditVerification;
      expect(verification.brokenLink).toMatchObject({
        streamId: `batch-${story.batchId}`,
        eventId: story.ids.disposition,
      });
      expect(verification.problems).toContainEqual(
        expect.objectContaining({ eventId: story.ids.disposition, check: 'signature' }),
      );
    });

    it('shows a progress bar with the rate and ETA when verifying everything on a terminal', async () => {
      const { io, stderr, stdout } = captureIo({ env: env(), ttyStderr: true });
      expect(await run(['audit', 'verify', '--all'], io)).toBe(0);
      expect(stderr.text).toMatch(/verifying \|.*\| 100% \| \d+\/\d+ \| \d+ events\/s \| ETA/);
      expect(stdout.text).toMatch(/^VERIFIED the whole store/);
    });

    it('says what is missing with exit code 2', async () => {
      const noScope = captureIo({ env: env() });
      expect(await run(['audit', 'verify'], noScope.io)).toBe(2);
      expect(noScope.stderr.text).toMatch(/--batch <id>, --deviation <id> or --all/);
      const noStore = captureIo();
      expect(await run(['audit', 'verify', '--all'], noStore.io)).toBe(2);
      expect(noStore.stderr.text).toMatch(/--database-url/);
      const unknown = captureIo({ env: env() });
      expect(await run(['audit', 'verify', '--batch', 'b-no-such-batch'], unknown.io)).toBe(2);
      expect(unknown.stderr.text).toMatch(/no batch b-no-such-batch/);
    });
  });

  describe('report', () => {
    it('writes the HTML report of a batch as it stood, exit code 0', async () => {
      const out = join(dir, 'report.html');
      const { io, stderr } = captureIo({ env: env() });
      const code = await run(
        [
          'audit',
          'report',
          '--batch',
          story.batchId,
          '--as-of',
          '2026-04-21T00:00:00Z',
          '--out',
          out,
        ],
        io,
      );
      expect(code).toBe(0);
      expect(stderr.text).toMatch(
        new RegExp(
          `^wrote ${out}: batch .* as of 2026-04-21T00:00:00Z \\(recorded timeline\\).*verification passed`,
        ),
      );
      const page = await readFile(out, 'utf8');
      expect(page).toMatch(/^<!doctype html>/);
      expect(page).toContain('State as of');
      // The QC value as it stood then: before the correction.
      expect(page).toMatch(new RegExp(`<strong>${FIRST_QC_VALUE} %</strong\\s*>`));
    });

    it('writes JSON on the occurred timeline, and exit code 1 when the record does not verify', async () => {
      const out = join(dir, 'report.json');
      const { io } = captureIo({ env: env() });
      expect(
        await run(
          [
            'audit',
            'report',
            '--batch',
            story.batchId,
            '--format',
            'json',
            '--out',
            out,
            '--as-of',
            '2026-04-24T00:00:00Z',
            '--timeline',
            'occurred',
          ],
          io,
        ),
      ).toBe(0);
      const report = JSON.parse(await readFile(out, 'utf8')) as AuditReport;
      expect(report.asOf).toEqual({ instant: '2026-04-24T00:00:00Z', timeline: 'occurred' });
      expect(report.state?.qcResults[0]?.value).not.toBe(FIRST_QC_VALUE);

      await tamper(db, `delete from es_events where event_id = $1`, [story.ids.certification]);
      const failed = captureIo({ env: env() });
      expect(
        await run(
          ['audit', 'report', '--batch', story.batchId, '--out', join(dir, 'failed.html')],
          failed.io,
        ),
      ).toBe(1);
      expect(failed.stderr.text).toMatch(/verification FAILED\nfirst broken link: stream batch-/);
      expect(await readFile(join(dir, 'failed.html'), 'utf8')).toContain('Verification FAILED');
    });

    it('writes the PDF report to --out, says NOT verified in it when the record does not verify, and never writes it to a terminal', async () => {
      const out = join(dir, 'report.pdf');
      const { io, stderr } = captureIo({ env: env() });
      const pdfReport = ['audit', 'report', '--batch', story.batchId, '--format', 'pdf'];
      expect(await run([...pdfReport, '--out', out], io)).toBe(0);
      expect(stderr.text).toMatch(new RegExp(`^wrote ${out}: batch .*verification passed`));
      const pdf = await readFile(out);
      expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-');
      expect(pdf.subarray(-6).toString('latin1').trim()).toBe('%%EOF');
      // The document information (its Subject) is never compressed: the verdict can be read there.
      expect(pdf.toString('latin1')).toMatch(/\n\(Batch [^\n]*: record verified\)\nendobj/);

      await tamper(db, `delete from es_events where event_id = $1`, [story.ids.certification]);
      const failedOut = join(dir, 'failed.pdf');
      const failed = captureIo({ env: env() });
      expect(await run([...pdfReport, '--out', failedOut], failed.io)).toBe(1);
      expect(failed.stderr.text).toMatch(/verification FAILED\nfirst broken link: stream batch-/);
      const failedPdf = await readFile(failedOut);
      expect(failedPdf.subarray(0, 5).toString('latin1')).toBe('%PDF-');
      expect(failedPdf.toString('latin1')).toMatch(
        /\n\(Batch [^\n]*: record NOT verified\)\nendobj/,
      );

      const terminal = captureIo({ env: env() });
      const stdout = new Captured(true);
      expect(await run(pdfReport, { ...terminal.io, stdout })).toBe(2);
      expect(terminal.stderr.text).toMatch(/--format pdf writes binary: name a file with --out/);
      expect(stdout.text).toBe('');
    });

    it('refuses an instant it cannot read, and --timeline without --as-of', async () => {
      const badInstant = captureIo({ env: env() });
      expect(
        await run(
          ['audit', 'report', '--batch', story.batchId, '--as-of', 'last week'],
          badInstant.io,
        ),
      ).toBe(2);
      expect(badInstant.stderr.text).toMatch(/not a date-time/);
      const timelineOnly = captureIo({ env: env() });
      expect(
        await run(
          ['audit', 'report', '--batch', story.batchId, '--timeline', 'occurred'],
          timelineOnly.io,
        ),
      ).toBe(2);
    });
  });
});
