// The headless render check: the audit report, opened in a real browser, looks like a report.
// Chromium comes from Debian (tools/system.sh installs it where it can). Without it the check is
// skipped loudly with the reason, except under CI=true, where a missing browser fails the run as
// a missing PostgreSQL or Kafka does.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { InMemoryEventStore } from '@concord/event-store';
import { beforeAll, describe, expect, it } from 'vitest';
import { auditReport, type AuditReport } from './audit-report.ts';
import { renderAuditReportHtml } from './render-audit-report-html.ts';
import { recordBatchStory } from './test-support/batch-story.ts';
import { findChromium, printToPdf, screenshot } from './test-support/chromium.ts';
import { decodePng, pixelAt, type DecodedPng } from './test-support/png.ts';

/** Kept after the run (git-ignored), for a person to look at. */
const ARTIFACTS = fileURLToPath(new URL('../artifacts/', import.meta.url));
const SIZE = { width: 1280, height: 2400 };
const chromium = findChromium();
const NAME = 'the audit report rendered by headless Chromium';
const browser = () => (chromium.available ? chromium.path : '');

if (!chromium.available && process.env.CI !== 'true') {
  console.warn(`\n⚠ SKIPPED "${NAME}": Chromium unavailable: ${chromium.reason}\n`);
  describe(NAME, () => {
    it.skip(`SKIPPED: Chromium unavailable: ${chromium.reason}`, () => undefined);
  });
} else {
  describe(NAME, () => {
    let report: AuditReport;
    let htmlFile: string;

    beforeAll(async () => {
      if (!chromium.available)
        throw new Error(
          `CI=true requires Chromium for the headless render check: ${chromium.reason} (tools/system.sh installs Debian's chromium)`,
        );
      const story = await recordBatchStory(async (clock) => new InMemoryEventStore({ clock }));
      report = await auditReport(story.store, story.batchId, {
        clock: () => new Date('2026-05-02T08:00:00Z'),
      });
      await mkdir(ARTIFACTS, { recursive: true });
      htmlFile = `${ARTIFACTS}audit-report.html`;
      await writeFile(htmlFile, renderAuditReportHtml(report));
    });

    it('renders the top of the report: a heading in ink, the green verdict banner, the summary', async () => {
      const pngFile = `${ARTIFACTS}audit-report.png`;
      await screenshot(browser(), htmlFile, pngFile, SIZE);
      const png = decodePng(await readFile(pngFile));
      expect([png.width, png.height]).toEqual([SIZE.width, SIZE.height]);
      console.info(`audit report screenshot: ${pngFile}`);

      // Ink: a rendered page of text and tables, not a blank or an error page.
      const inked = share(png, ([r, g, b]) => r + g + b < 3 * 160);
      expect(inked).toBeGreaterThan(0.02);
      // The stylesheet applied: the verdict banner's green fills a band near the top.
      const bannerRows = rowsWith(png, ([r, g, b]) => near([r, g, b], [230, 244, 234]), 0.5);
      expect(bannerRows.length).toBeGreaterThan(30);
      expect(bannerRows[0]!).toBeLessThan(400);
      // And the section rules in the accent colour run across the page below it.
      const rules = rowsWith(png, ([r, g, b]) => near([r, g, b], [31, 78, 121]), 0.6);
      expect(rules.length).toBeGreaterThan(3);
    });

    it('prints to PDF over several A4 pages', async () => {
      const pdfFile = `${ARTIFACTS}audit-report.pdf`;
      await printToPdf(browser(), htmlFile, pdfFile);
      const pdf = (await readFile(pdfFile)).toString('latin1');
      expect(pdf.startsWith('%PDF-')).toBe(true);
      const pages = pdf.match(/\/Type\s*\/Page[^s]/g)?.length ?? 0;
      expect(pages).toBeGreaterThan(2);
      // A4 is 595 x 842 points (the @page rule), whatever the browser's default paper.
      const [width, height] = /\/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)/
        .exec(pdf)!
        .slice(1)
        .map(Number);
      expect(Math.abs(width! - 595)).toBeLessThan(1);
      expect(Math.abs(height! - 842)).toBeLessThan(1);
    });
  });
}

const near = (pixel: [number, number, number], target: [number, number, number], tolerance = 12) =>
  pixel.every((channel, index) => Math.abs(channel - target[index]!) <= tolerance);

function share(png: DecodedPng, test: (pixel: [number, number, number]) => boolean): number {
  let hits = 0;
  for (let y = 0; y < png.height; y += 2)
    for (let x = 0; x < png.width; x += 2) if (test(pixelAt(png, x, y))) hits++;
  return hits / ((png.height / 2) * (png.width / 2));
}

/** Rows where at least `fraction` of the page's middle 60 % has the colour. */
function rowsWith(
  png: DecodedPng,
  test: (pixel: [number, number, number]) => boolean,
  fraction: number,
): number[] {
  const from = Math.floor(png.width * 0.2);
  const to = Math.floor(png.width * 0.8);
  const rows: number[] = [];
  for (let y = 0; y < png.height; y++) {
    let hits = 0;
    for (let x = from; x < to; x++) if (test(pixelAt(png, x, y))) hits++;
    if (hits / (to - from) >= fraction) rows.push(y);
  }
  return rows;
}
