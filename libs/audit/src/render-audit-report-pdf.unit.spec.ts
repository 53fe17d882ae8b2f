import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { decorateStore, InMemoryEventStore, type EventStore } from '@concord/event-store';
import { extractText, getDocumentProxy } from 'unpdf';
import { beforeAll, describe, expect, it } from 'vitest';
import { auditReport, type AuditReport } from './audit-report.ts';
import { formatInstant } from './render-audit-report-html.ts';
import { renderAuditReportPdf, toPdfText } from './render-audit-report-pdf.ts';
import {
  CORRECTED_QC_VALUE,
  CORRECTION_REASON,
  FIRST_QC_VALUE,
  recordBatchStory,
  type BatchStory,
} from './test-support/batch-story.ts';

const GENERATED_AT = new Date('2026-05-02T08:00:00Z');

/** The text a PDF reader finds on every page, with runs of white space made one space. */
async function textOf(pdf: Uint8Array): Promise<string> {
  // pdf.js may take the buffer over: give it a copy.
  const document = await getDocumentProxy(new Uint8Array(pdf));
  const { text } = await extractText(document, { mergePages: true });
  return text.replace(/\s+/g, ' ');
}

/** Without any white space: ids and hashes may wrap anywhere in a narrow column. */
const compact = (value: string) => value.replace(/\s+/g, '');

/** The document information dictionary, as a reader shows it. */
async function infoOf(pdf: Uint8Array): Promise<Record<string, unknown>> {
  const { info } = await (await getDocumentProxy(new Uint8Array(pdf))).getMetadata();
  return { ...info } as Record<string, unknown>;
}

const ascii = (bytes: Uint8Array, start: number, end: number) =>
  Buffer.from(bytes.subarray(start, end)).toString('latin1');

/** The same store, except that one stored event now reads differently: an insider's edit. */
function withAlteredEvent(store: EventStore, eventId: string, data: object): EventStore {
  return decorateStore(store, {
    readStream: async (streamId, options) =>
      (await store.readStream(streamId, options)).map((event) =>
        event.id === eventId ? { ...event, data: { ...event.data, ...data } } : event,
      ),
  });
}

describe('the audit report as a PDF', () => {
  let story: BatchStory;
  let report: AuditReport;
  let pdf: Uint8Array;
  let text: string;

  beforeAll(async () => {
    story = await recordBatchStory(async (clock) => new InMemoryEventStore({ clock }));
    report = await auditReport(story.store, story.batchId, { clock: () => GENERATED_AT });
    pdf = await renderAuditReportPdf(report);
    text = await textOf(pdf);
  });

  it('is a PDF a reader opens, with the subject, when it was generated and the verdict in its metadata', async () => {
    expect(ascii(pdf, 0, 5)).toBe('%PDF-');
    expect(ascii(pdf, pdf.length - 6, pdf.length).trim()).toBe('%%EOF');
    const document = await getDocumentProxy(new Uint8Array(pdf));
    expect(document.numPages).toBeGreaterThan(1);
    const info = await infoOf(pdf);
    expect(info.Title).toBe(`Audit report: batch ${report.batch.batchNumber}`);
    expect(info.Subject).toContain('record verified');
    expect(info.CreationDate).toBe('D:20260502080000Z');
  });

  it('starts with the batch, the generation time and the verdict with what was checked', () => {
    expect(text).toContain(`Batch ${report.batch.batchNumber}`);
    expect(text).toContain(`Report generated ${formatInstant(report.generatedAt)}`);
    expect(text).toContain('VERIFIED Record verified: hash chains intact and every origin proven');
    expect(text).toContain(
      `${report.verification.events} events in ${report.verification.streams} streams recomputed`,
    );
    expect(text.indexOf('Record verified')).toBeLessThan(text.indexOf('1. Batch summary'));
    expect(text).not.toContain('NOT VERIFIED');
  });

  it('shows every signature manifestation: printed name, signed at, meaning, reason, role, organization, origin', () => {
    expect(report.signatures.length).toBeGreaterThan(2);
    const section = text.slice(text.indexOf('7. Electronic signatures'));
    for (const signature of report.signatures) {
      expect(section).toContain(signature.printedName);
      expect(section).toContain(formatInstant(signature.signedAt));
      expect(section).toContain(signature.meaning);
      expect(section).toContain(signature.reason.slice(0, 30));
      expect(section).toContain(
        `${signature.role ? ` · ${signature.role}` : ''} · ${signature.organizationName ?? signature.organizationId}`,
      );
    }
    // The QP certified through the API: an e-signature, no partner key.
    expect(section).toContain('E-signature only');
    expect(section).toContain('Signature valid Partner signature valid (key');
    expect(text).toContain('QP certification (EU GMP Annex 16)');
  });

  it('shows the correction: the field, old -> new, the reason, who and when', () => {
    const section = text.slice(text.indexOf('5. Corrections'), text.indexOf('6. Batch timeline'));
    expect(section).toContain(`/value: ${FIRST_QC_VALUE} -> ${CORRECTED_QC_VALUE}`);
    expect(section).toContain(CORRECTION_REASON);
    const [correction] = report.corrections;
    expect(section).toContain(correction!.who.printedName!);
    expect(section).toContain(`recorded ${formatInstant(correction!.recordedAt)}`);
  });

  it('shows the history in order, with when, who, what and the signature status of each event', () => {
    const section = text.slice(
      text.indexOf('6. Batch timeline'),
      text.indexOf('7. Electronic signatures'),
    );
    let from = 0;
    for (const entry of report.timeline) {
      const at = section.indexOf(entry.hash.slice(0, 8), from);
      expect(at, `event ${entry.streamVersion} in order`).toBeGreaterThanOrEqual(from);
      from = at;
      expect(section).toContain(formatInstant(entry.occurredAt));
    }
    expect(section).toContain('Late entry: recorded 2 days after it occurred.');
    expect(section).toContain('Changed since first entry: /value');
  });

  it('shows the linked deviation with its CAPA, and the anchoring hashes', () => {
    const deviation = report.deviations[0]!.facts!;
    expect(text).toContain(`${deviation.deviationId}: ${deviation.title}`);
    expect(text).toContain(`CAPA ${deviation.capa!.capaId}`);
    expect(text).toMatch(/reported \d+ h( \d+ min)? after the deadline/);
    for (const anchor of report.anchors) expect(compact(text)).toContain(anchor.headHash);
    expect(text).toContain(`concord audit verify --batch ${story.batchId}`);
    expect(text).toMatch(/page 1 of \d+/);
  });

  it('gives the same bytes for the same report', async () => {
    expect(Buffer.compare(await renderAuditReportPdf(report), pdf)).toBe(0);
  });

  it('says NOT verified, and names the first broken link, when a stored event was altered', async () => {
    const altered = withAlteredEvent(story.store, story.ids.qcResult, { value: 99.9 });
    const tampered = await auditReport(altered, story.batchId, { clock: () => GENERATED_AT });
    expect(tampered.verification.ok).toBe(false);
    const tamperedPdf = await renderAuditReportPdf(tampered);
    const tamperedText = await textOf(tamperedPdf);
    expect(tamperedText).toContain(
      'NOT VERIFIED Verification FAILED: the record has been altered or an origin cannot be proven',
    );
    expect(compact(tamperedText)).toContain(
      compact(
        `First broken link: batch-${story.batchId} version 5 (event ${story.ids.qcResult}): ${tampered.verification.brokenLink!.detail}`,
      ),
    );
    expect(tamperedText).not.toContain('Record verified');
    expect(tamperedText).toContain('Signature INVALID');
    expect((await infoOf(tamperedPdf)).Subject).toContain('record NOT verified');
  });

  it('prints names outside the standard fonts legibly, and says when a letter was approximated', async () => {
    const name = 'Zoë Łukasz Nguyễn 王芳';
    const renamed: AuditReport = {
      ...report,
      signatures: report.signatures.map((s, i) => (i === 0 ? { ...s, printedName: name } : s)),
      corrections: report.corrections.map((c) => ({ ...c, reason: `${c.reason} “Re-run” → OK` })),
    };
    const renamedText = await textOf(await renderAuditReportPdf(renamed));
    expect(renamedText).toContain('Zoë Lukasz Nguyen ??');
    expect(renamedText).toContain(`${CORRECTION_REASON} “Re-run” -> OK`);
    expect(renamedText).toContain('printed without their accent or as ?');
    expect(text).not.toContain('printed without their accent or as ?');
  });

  it('maps text to what the standard fonts can show', () => {
    expect(toPdfText('98.1 → 97.6 ≥ 95 ’ok’ – €5 · §9')).toEqual({
      text: '98.1 -> 97.6 >= 95 ’ok’ – €5 · §9',
      approximated: false,
    });
    expect(toPdfText('Dvořák Łódź')).toEqual({ text: 'Dvorák Lódz', approximated: true });
    expect(toPdfText('Иван 😀')).toEqual({ text: '???? ?', approximated: true });
    expect(toPdfText('a\u0000b\u200bc\u0085d\nE')).toEqual({
      text: 'a bc d\nE',
      approximated: false,
    });
  });
});

describe('the PDF library', () => {
  it('is loaded with the first report, not with the audit library (a platform that never renders one does not carry it)', () => {
    // A fresh process: whatever this one has loaded says nothing.
    const loaded = (code: string) =>
      execFileSync(
        process.execPath,
        ['--experimental-strip-types', '--no-warnings', '--input-type=module', '-e', code],
        { cwd: fileURLToPath(new URL('..', import.meta.url)), encoding: 'utf8' },
      ).trim();
    const index = JSON.stringify(new URL('./index.ts', import.meta.url).href);
    const pdfkitLoaded = `Object.keys(process.getBuiltinModule('node:module')._cache).some((file) => /[\\/]pdfkit[\\/]/.test(file))`;
    expect(loaded(`await import(${index}); console.log(${pdfkitLoaded});`)).toBe('false');
    // And the check itself sees pdfkit once it is there.
    expect(loaded(`await import('pdfkit'); console.log(${pdfkitLoaded});`)).toBe('true');
  });
});
