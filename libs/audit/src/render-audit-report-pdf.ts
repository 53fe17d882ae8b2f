import { formatValue } from '@concord/domain';
import type PDFKitDocument from 'pdfkit';
import type { AuditReport, CorrectionEntry, SignatureManifestation } from './audit-report.ts';
import type { HistoryEntry, Who } from './history.ts';
import { formatInstant, formatMinutes } from './render-audit-report-html.ts';
import { describeSignatureStatus, type SignatureStatus } from './signature-status.ts';
import type { SignedAct } from './state-as-of.ts';
import { describeCheckpointCheck, type BrokenLink } from './verify-audit.ts';

// The same report as the HTML page, section by section and in the same words, as a PDF made by
// pdfkit alone: no browser, no font file, nothing fetched. The 14 standard PDF fonts are built
// into every reader, but they only have the WinAnsi (Windows-1252) characters; everything else is
// spelled out (→ as ->) or, where it cannot be, printed as `?` with a note saying so.

const INK = '#1b2330';
const MUTED = '#5b6576';
const LINE = '#d6dbe3';
const SOFT = '#f4f6f9';
const ACCENT = '#1f4e79';
const OK = '#1d6b3a';
const OK_BG = '#e6f4ea';
const BAD = '#a4262c';
const BAD_BG = '#fdecea';

const REGULAR = 'Helvetica';
const BOLD = 'Helvetica-Bold';
const MONO = 'Courier';

const MARGINS = { top: 48, bottom: 56, left: 44, right: 44 };

/** Unicode code points the WinAnsi encoding has in 0x80–0x9F (pdfkit maps them itself). */
const WIN_ANSI_EXTRA = new Set([
  0x20ac, 0x201a, 0x0192, 0x201e, 0x2026, 0x2020, 0x2021, 0x02c6, 0x2030, 0x0160, 0x2039, 0x0152,
  0x017d, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014, 0x02dc, 0x2122, 0x0161, 0x203a,
  0x0153, 0x017e, 0x0178,
]);

/** Said another way in WinAnsi, without losing anything a reader needs. */
const SPELLED_OUT: Readonly<Record<string, string>> = {
  '→': '->',
  '←': '<-',
  '↔': '<->',
  '⇒': '=>',
  '≥': '>=',
  '≤': '<=',
  '≠': '!=',
  '≈': '~',
  '−': '-',
  '‐': '-',
  '‑': '-',
  '‒': '-',
  '′': "'",
  '″': '"',
  '✓': '',
  '✔': '',
  '✗': '',
  '✘': '',
  μ: 'µ',
  '\u2009': ' ',
  '\u202f': ' ',
  '\u2007': ' ',
};

/** Latin letters Unicode does not decompose into a letter and a mark. */
const LATIN_BASE: Readonly<Record<string, string>> = {
  Ł: 'L',
  ł: 'l',
  Đ: 'D',
  đ: 'd',
  Ħ: 'H',
  ħ: 'h',
  ı: 'i',
  Ŧ: 'T',
  ŧ: 't',
  ŀ: 'l',
  Ŀ: 'L',
  ĸ: 'k',
  Ŋ: 'N',
  ŋ: 'n',
  ſ: 's',
};

const isWinAnsi = (codePoint: number) =>
  (codePoint >= 0x20 && codePoint <= 0x7e) ||
  (codePoint >= 0xa0 && codePoint <= 0xff) ||
  WIN_ANSI_EXTRA.has(codePoint);

/**
 * Text the standard PDF fonts can show: WinAnsi characters as they are, arrows and relations
 * spelled out, accented Latin letters outside WinAnsi without their accent, control characters
 * as spaces (newlines kept), and anything else as `?`. `approximated` says whether a letter was
 * changed or lost (the reader must then be told).
 */
export function toPdfText(value: string): { text: string; approximated: boolean } {
  let text = '';
  let approximated = false;
  for (const char of value) {
    const codePoint = char.codePointAt(0)!;
    if (char === '\n' || isWinAnsi(codePoint)) {
      text += char;
      continue;
    }
    const spelled = SPELLED_OUT[char];
    if (spelled !== undefined) {
      text += spelled;
      continue;
    }
    if (codePoint < 0x20 || (codePoint >= 0x7f && codePoint < 0xa0)) {
      text += ' ';
      continue;
    }
    if (/\p{Mn}|\p{Cf}/u.test(char)) {
      // A combining mark or a format character (zero-width space, direction marks): not a letter.
      approximated ||= /\p{Mn}/u.test(char);
      continue;
    }
    const base =
      LATIN_BASE[char] ??
      [...char.normalize('NFKD')]
        .filter((part) => !/\p{Mn}/u.test(part))
        .map((part) => (isWinAnsi(part.codePointAt(0)!) ? part : (SPELLED_OUT[part] ?? '?')))
        .join('');
    text += base === '' ? '?' : base;
    approximated = true;
  }
  return { text, approximated };
}

const plural = (count: number, one: string, many: string) => `${count} ${count === 1 ? one : many}`;

const dash = (value: string | number | null | undefined) =>
  value === null || value === undefined || value === '' ? '—' : String(value);

const quantity = (value: { value: number; unit: string } | null | undefined) =>
  value ? `${value.value} ${value.unit}` : '—';

/** The short label the HTML page shows as a badge. */
function originLabel(status: SignatureStatus): string {
  switch (status.status) {
    case 'valid':
      return 'Signature valid';
    case 'invalid':
      return 'Signature INVALID';
    case 'key-not-valid':
      return 'Key NOT VALID';
    case 'e-signature-only':
      return 'E-signature only';
    case 'platform':
      return 'Platform';
    case 'unsigned':
      return 'UNSIGNED';
    default: {
      const unexpected: never = status;
      return String(unexpected);
    }
  }
}

const originColor = (status: SignatureStatus) =>
  status.status === 'valid'
    ? OK
    : status.status === 'e-signature-only'
      ? ACCENT
      : status.status === 'platform'
        ? MUTED
        : BAD;

/** The badge's label, then what it means for this event (the HTML page's tooltip, printed). */
function originText(status: SignatureStatus): string {
  const label = originLabel(status);
  const description = describeSignatureStatus(status);
  return description.toLowerCase().startsWith(label.toLowerCase())
    ? description
    : `${label}\n${description}`;
}

const personText = (
  who: Pick<Who, 'printedName' | 'personId' | 'role' | 'organizationName' | 'organizationId'>,
) =>
  `${who.printedName ?? who.personId}\n${who.personId}${who.role ? ` · ${who.role}` : ''} · ${
    who.organizationName ?? who.organizationId
  }`;

function brokenLinkText(link: BrokenLink): string {
  return `${link.streamId} version ${link.streamVersion}${
    link.eventId ? ` (event ${link.eventId})` : ''
  }: ${link.detail}`;
}

/** A table cell: text, and how it differs from the table's default. */
interface Cell {
  text: string;
  bold?: boolean;
  mono?: boolean;
  color?: string;
  size?: number;
  colSpan?: number;
  background?: string;
}

type CellInput = string | Cell;

class ReportWriter {
  readonly doc: PDFKit.PDFDocument;
  /** Set when some text had to be approximated; the closing note then says so. */
  approximated = false;

  constructor(doc: PDFKit.PDFDocument) {
    this.doc = doc;
  }

  get width(): number {
    return this.doc.page.width - MARGINS.left - MARGINS.right;
  }

  /** Text the standard fonts can show, remembering whether anything was lost. */
  t(value: string | number | null | undefined): string {
    const { text, approximated } = toPdfText(dash(value));
    this.approximated ||= approximated;
    return text;
  }

  /** Starts a new page unless `height` points are left on this one. */
  keep(height: number): void {
    if (this.doc.y + height > this.doc.page.height - MARGINS.bottom) this.doc.addPage();
  }

  text(
    value: string,
    options: { font?: string; size?: number; color?: string; gap?: number; indent?: number } = {},
  ): void {
    const { doc } = this;
    doc
      .font(options.font ?? REGULAR)
      .fontSize(options.size ?? 9)
      .fillColor(options.color ?? INK)
      .text(this.t(value), MARGINS.left + (options.indent ?? 0), doc.y, {
        width: this.width - (options.indent ?? 0),
      });
    doc.y += options.gap ?? 3;
  }

  heading(value: string): void {
    const { doc } = this;
    doc.y += 10;
    this.keep(70);
    doc.font(BOLD).fontSize(12).fillColor(ACCENT).text(this.t(value), MARGINS.left, doc.y);
    const y = doc.y + 1;
    doc
      .moveTo(MARGINS.left, y)
      .lineTo(MARGINS.left + this.width, y)
      .lineWidth(1.5)
      .strokeColor(ACCENT)
      .stroke();
    doc.y = y + 6;
  }

  subheading(value: string): void {
    this.doc.y += 4;
    this.keep(50);
    this.text(value, { font: BOLD, size: 10 });
  }

  /** A coloured box that stays on one page. */
  box(lines: Cell[], colors: { background: string; border: string }): void {
    const { doc } = this;
    const padding = 8;
    const inner = this.width - 2 * padding;
    const texts = lines.map((line) => ({ ...line, text: this.t(line.text) }));
    const heightOf = (line: Cell) =>
      doc
        .font(line.bold ? BOLD : REGULAR)
        .fontSize(line.size ?? 9)
        .heightOfString(line.text, { width: inner }) + 2;
    const height = texts.reduce((sum, line) => sum + heightOf(line), 0) + 2 * padding - 2;
    this.keep(height + 4);
    const top = doc.y;
    doc
      .roundedRect(MARGINS.left, top, this.width, height, 4)
      .lineWidth(1)
      .fillAndStroke(colors.background, colors.border);
    doc.y = top + padding;
    for (const line of texts) {
      doc
        .font(line.bold ? BOLD : REGULAR)
        .fontSize(line.size ?? 9)
        .fillColor(line.color ?? INK)
        .text(line.text, MARGINS.left + padding, doc.y, { width: inner });
      doc.y += 2;
    }
    doc.y = top + height + 6;
  }

  /**
   * A table: column widths as shares of the page width, a header row repeated on every page the
   * table runs onto, rows that move to the next page whole. An empty `head` draws none (a card's
   * label/value pairs).
   */
  table(shares: number[], head: string[], rows: CellInput[][], options: { size?: number } = {}) {
    const { doc } = this;
    const size = options.size ?? 7.5;
    const padding = { top: 3, right: 4, bottom: 3, left: 4 };
    const total = shares.reduce((sum, share) => sum + share, 0);
    const widths = shares.map((share) => (share / total) * this.width);
    const cell = (input: CellInput, header = false) => {
      const c: Cell = typeof input === 'string' ? { text: input } : input;
      return {
        text: this.t(c.text),
        font: {
          src: header || c.bold ? BOLD : c.mono ? MONO : REGULAR,
          size: c.size ?? (header ? size - 0.5 : size),
        },
        textColor: header ? MUTED : (c.color ?? INK),
        ...(header || c.background ? { backgroundColor: header ? SOFT : c.background } : {}),
        ...(c.colSpan ? { colSpan: c.colSpan } : {}),
        ...(header ? { type: 'TH' as const } : {}),
      };
    };
    type TableCell = ReturnType<typeof cell>;
    /** The height pdfkit will give the row: its tallest cell, padding included. */
    const heightOf = (cells: TableCell[]) => {
      let column = 0;
      return Math.max(
        ...cells.map((c) => {
          const span = c.colSpan ?? 1;
          const width = widths.slice(column, column + span).reduce((sum, w) => sum + w, 0);
          column += span;
          const text = doc
            .font(c.font.src)
            .fontSize(c.font.size)
            .heightOfString(c.text, { width: width - padding.left - padding.right });
          return text + padding.top + padding.bottom;
        }),
      );
    };
    const headCells = head.map((text) => cell(text, true));
    const begin = () => {
      doc.font(REGULAR).fontSize(size).fillColor(INK);
      const table = doc.table({
        position: { x: MARGINS.left, y: doc.y },
        maxWidth: this.width,
        columnStyles: widths,
        defaultStyle: {
          border: { top: 0, right: 0, bottom: 0.5, left: 0 },
          borderColor: LINE,
          padding,
        },
      });
      if (headCells.length > 0) table.row(headCells);
      return table;
    };
    const bodyRows = rows.map((row) => row.map((input) => cell(input)));
    this.keep(
      heightOf(headCells.length > 0 ? headCells : [cell('')]) +
        heightOf(bodyRows[0] ?? [cell('')]) +
        2,
    );
    let table = begin();
    for (const row of bodyRows) {
      const height = heightOf(row);
      const bottom = doc.page.height - MARGINS.bottom;
      if (
        headCells.length > 0 &&
        doc.y + height + 1 >= bottom &&
        height < bottom - MARGINS.top - 40
      ) {
        table.end();
        doc.addPage();
        table = begin();
      }
      table.row(row);
    }
    table.end();
    doc.x = MARGINS.left;
    doc.y += 6;
  }
}

/**
 * The audit report as a PDF (A4), from the same report and in the same words as the HTML page:
 * the verdict first, then the batch, disposition and certification, QC, deviations and CAPA,
 * corrections (old → new, with the reason), the timeline, every signature manifestation, and
 * the verification with its anchoring hashes. Made by pdfkit with the standard fonts only, so it
 * runs anywhere the npm packages do; the same report gives the same bytes (the document's dates
 * are the report's `generatedAt`).
 */
export async function renderAuditReportPdf(report: AuditReport): Promise<Uint8Array> {
  // Loaded on the first report, not with the platform: pdfkit and its fonts' machinery are
  // tens of MB a process that never renders one (the embedded platform, most of the time) need
  // not carry.
  const { default: PDFDocument }: { default: typeof PDFKitDocument } = await import('pdfkit');
  const { batch, verification } = report;
  const generatedAt = new Date(report.generatedAt);
  const date = Number.isNaN(generatedAt.getTime()) ? new Date(0) : generatedAt;
  const doc = new PDFDocument({
    size: 'A4',
    margins: MARGINS,
    bufferPages: true,
    lang: 'en',
    displayTitle: true,
    info: {
      Title: `Audit report: batch ${batch.batchNumber}`,
      Author: 'Concord',
      Subject: `Batch ${batch.batchNumber}, ${batch.batchId}: record ${verification.ok ? 'verified' : 'NOT verified'}`,
      Keywords: `${report.format}, audit report, ${batch.batchId}`,
      Creator: `Concord audit report (${report.format})`,
      CreationDate: date,
      ModDate: date,
    },
  });
  const chunks: Buffer[] = [];
  const written = new Promise<Uint8Array>((resolve, reject) => {
    doc.on('data', (chunk: Buffer) => chunks.push(chunk));
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });
  const writer = new ReportWriter(doc);
  writeReport(writer, report);
  writePageFooters(writer, report);
  doc.end();
  return written;
}

function writeReport(w: ReportWriter, report: AuditReport): void {
  const { batch, state, verification } = report;
  const entries = new Map(
    [...report.timeline, ...report.deviations.flatMap((d) => d.timeline)].map((entry) => [
      entry.eventId,
      entry,
    ]),
  );
  const manifestations = new Map(report.signatures.map((s) => [s.eventId, s]));

  // Header: the subject, when the report was made, and the verdict before anything else.
  w.text('Concord · Batch audit report', { font: BOLD, size: 8, color: MUTED, gap: 2 });
  w.text(`Batch ${batch.batchNumber}`, { font: BOLD, size: 20, gap: 1 });
  w.text(`${batch.product.name ?? batch.product.productId} · batch id ${batch.batchId}`, {
    color: MUTED,
    size: 10,
    gap: 8,
  });
  const asOf = report.asOf
    ? `${formatInstant(report.asOf.instant)} (${report.asOf.timeline === 'occurred' ? 'occurred-at' : 'recorded-at'} timeline)`
    : 'Now (the full record)';
  const label = (text: string): Cell => ({ text, color: MUTED, size: 7.5 });
  const value = (text: string): Cell => ({ text, bold: true, size: 8.5 });
  /** Label and value side by side, two pairs a row. */
  const pairs = (facts: [string, string][]): CellInput[][] => {
    const rows: CellInput[][] = [];
    for (let i = 0; i < facts.length; i += 2)
      rows.push(facts.slice(i, i + 2).flatMap(([name, text]) => [label(name), value(text)]));
    return rows;
  };
  w.table(
    [15, 35, 15, 35],
    [],
    pairs([
      ['Sponsor', batch.sponsor.name ?? batch.sponsor.organizationId],
      ['Manufacturer (CDMO)', batch.cdmo.name ?? batch.cdmo.organizationId],
      [
        'Quality agreement',
        `${batch.authority.agreementId} v${dash(batch.authority.version)}, effective ${formatInstant(batch.authority.effectiveFrom)}`,
      ],
      ['State as of', asOf],
      ['Report generated', formatInstant(report.generatedAt)],
      ['Store head position', verification.headPosition],
    ]),
  );
  const checked = `${verification.events} events in ${verification.streams} streams recomputed; ${verification.signatures.valid} partner signatures valid, ${plural(verification.signatures.eSignatureOnly, 'act', 'acts')} e-signed through the API, ${verification.signatures.platform} platform events.`;
  if (verification.ok) {
    w.box(
      [
        { text: 'VERIFIED', bold: true, size: 13, color: OK },
        {
          text: 'Record verified: hash chains intact and every origin proven',
          bold: true,
          color: OK,
        },
        { text: checked, size: 8.5 },
        { text: `${describeCheckpointCheck(verification.checkpoint)}.`, size: 8.5 },
      ],
      { background: OK_BG, border: '#a8d5b5' },
    );
  } else {
    const others = verification.problems.length - 1;
    w.box(
      [
        { text: 'NOT VERIFIED', bold: true, size: 13, color: BAD },
        {
          text: 'Verification FAILED: the record has been altered or an origin cannot be proven',
          bold: true,
          color: BAD,
        },
        {
          text: `First broken link: ${verification.brokenLink ? brokenLinkText(verification.brokenLink) : 'not named'}${
            others > 0
              ? ` (and ${plural(others, 'other problem', 'other problems')}: section 8)`
              : ''
          }`,
          size: 8.5,
        },
        { text: `Checked: ${checked}`, size: 8.5 },
        { text: `${describeCheckpointCheck(verification.checkpoint)}.`, size: 8.5 },
      ],
      { background: BAD_BG, border: '#f1aeb1' },
    );
  }

  w.heading('1. Batch summary');
  if (state) {
    const facts: [string, string][] = [
      ['Status', state.status],
      ['Site', dash(state.site)],
      ['Planned quantity', quantity(state.plannedQuantity)],
      ['Actual quantity', quantity(state.actualQuantity)],
      ['Certificate of analysis', state.coa?.coaId ?? '—'],
      ['QA disposition', state.disposition?.decision ?? '—'],
      ['QP certification', state.certification?.registerEntryId ?? '—'],
      ['Shipment', state.shipment?.shipmentId ?? '—'],
      [
        'Open linked deviations',
        Object.entries(state.openDeviations)
          .map(([id, severity]) => `${id} (${severity})`)
          .join(', ') || 'none',
      ],
      [
        'OOS investigations',
        Object.entries(state.oosInvestigations)
          .map(([id, status]) => `${id}: ${status}`)
          .join(', ') || 'none',
      ],
      ['Linked deviations (all)', state.linkedDeviationIds.join(', ') || 'none'],
      ['Events (timeline)', String(report.timeline.length)],
    ];
    w.table([15, 35, 15, 35], [], pairs(facts));
  } else {
    w.text('The batch was not yet scheduled at this instant.', { color: MUTED });
  }

  w.heading('2. Disposition and QP certification');
  signatureCard(
    w,
    'QA disposition',
    state?.disposition ?? null,
    [
      `Decision: ${state?.disposition?.decision ?? '—'}`,
      ...(state?.disposition?.conditions ? [`Conditions: ${state.disposition.conditions}`] : []),
    ],
    manifestations,
  );
  signatureCard(
    w,
    'QP certification (EU GMP Annex 16)',
    state?.certification ?? null,
    [
      `Register entry: ${state?.certification?.registerEntryId ?? '—'}, certified ${formatInstant(state?.certification?.certifiedAt)}`,
    ],
    manifestations,
  );

  w.heading('3. QC results');
  if (state && state.qcResults.length > 0) {
    w.table(
      [14, 22, 18, 16, 14, 16],
      ['Result', 'Test', 'Specification', 'Value', 'Within specification', 'Tested'],
      state.qcResults.map((result) => [
        { text: result.resultId, mono: true },
        `${result.test}${result.method ? `\n${result.method}` : ''}`,
        `${[
          result.specification.lower !== undefined ? `≥ ${result.specification.lower}` : '',
          result.specification.upper !== undefined ? `≤ ${result.specification.upper}` : '',
        ]
          .filter(Boolean)
          .join(' and ')} ${result.specification.unit}`,
        {
          text: `${result.value} ${result.unit}${result.changedSinceFirstEntry
            .map((change) => `\nchanged: first entered ${displayJson(change.firstEntered)}`)
            .join('')}`,
          bold: true,
        },
        result.withinSpecification
          ? { text: 'yes', color: OK, bold: true }
          : { text: 'NO (OOS)', color: BAD, bold: true },
        formatInstant(result.testedAt),
      ]),
    );
  } else {
    w.text('No QC results recorded.', { color: MUTED });
  }

  w.heading('4. Linked deviations and CAPA');
  if (report.deviations.length === 0)
    w.text('No deviation was linked to this batch.', { color: MUTED });
  for (const { deviationId, facts, timeline } of report.deviations) {
    if (!facts) {
      w.subheading(deviationId);
      w.text('Not yet reported at this instant.', { color: MUTED });
      continue;
    }
    w.subheading(`${deviationId}: ${dash(facts.title)}`);
    w.text(
      [
        `Severity ${facts.severity} · status ${facts.status}`,
        facts.late
          ? `reported ${formatMinutes(facts.late.lateByMinutes)} after the deadline`
          : null,
      ]
        .filter(Boolean)
        .join(' · '),
      { font: BOLD, color: facts.late || facts.severity !== 'minor' ? BAD : INK },
    );
    w.text(
      `detected ${formatInstant(facts.detectedAt)} · reported ${formatInstant(facts.reportedAt)} · category ${dash(facts.category)}`,
      { color: MUTED, size: 8 },
    );
    if (facts.description) w.text(facts.description);
    if (facts.rootCause)
      w.text(`Root cause (${dash(facts.rootCause.category)}): ${facts.rootCause.rootCause}`);
    if (facts.impactAssessments.length > 0)
      w.text(
        `Batch impact: ${facts.impactAssessments
          .map((a) => `${a.batchId}: ${a.impact} (${a.conclusion})`)
          .join('; ')}`,
      );
    if (facts.capa) {
      w.text(`CAPA ${facts.capa.capaId}`, { font: BOLD });
      w.table(
        [60, 22, 18],
        ['Action', 'Owner', 'Due'],
        facts.capa.actions.map((action) => [action.description, action.owner, action.dueDate]),
      );
    } else {
      w.text('No CAPA proposed.', { color: MUTED });
    }
    signatureCard(w, 'CAPA approval', facts.capa?.approval ?? null, [], manifestations);
    signatureCard(w, 'Closure approval', facts.closureApproval, [], manifestations);
    signatureCard(
      w,
      'Closure',
      facts.closure,
      facts.closure?.conclusion ? [facts.closure.conclusion] : [],
      manifestations,
    );
    w.text('Deviation timeline', { font: BOLD, size: 9.5 });
    timelineTable(w, timeline);
  }

  w.heading('5. Corrections');
  if (report.corrections.length === 0) {
    w.text('No value was corrected.', { color: MUTED });
  } else {
    w.text(
      'Corrections never overwrite: the first entry stays on the record, the correction stands beside it with its reason (21 CFR 11.10(e), EU GMP Annex 11 §9).',
      { color: MUTED, size: 8 },
    );
    w.table(
      [25, 17, 26, 15, 17],
      ['Corrected entry', 'Old → new', 'Reason', 'Who', 'When (recorded)'],
      report.corrections.map((c) => correctionRow(c, (id) => entries.get(id)?.summary)),
    );
  }

  w.heading('6. Batch timeline');
  timelineTable(w, report.timeline);

  w.heading('7. Electronic signatures');
  if (report.signatures.length === 0) {
    w.text('No electronic signature.', { color: MUTED });
  } else {
    w.table(
      [23, 18, 15, 12, 17, 15],
      ['Act', 'Signed by', 'Date-time', 'Meaning', 'Reason', 'Origin'],
      report.signatures.map((s) => manifestationRow(s)),
    );
  }

  w.heading('8. Verification and anchoring hashes');
  w.text(verification.ok ? 'PASSED' : 'FAILED', {
    font: BOLD,
    color: verification.ok ? OK : BAD,
    gap: 1,
  });
  w.text(
    "Each stream's SHA-256 hash chain was recomputed from the stored events, and every partner's Ed25519 signature was checked against the key the partner had registered and that was valid when the event occurred.",
  );
  if (verification.problems.length > 0) {
    w.table(
      [14, 34, 52],
      ['Check', 'Where', 'Problem'],
      verification.problems.map((problem) => [
        problem.check,
        {
          text: `${problem.streamId} v${problem.streamVersion}${problem.eventId ? `\n${problem.eventId}` : ''}`,
          mono: true,
        },
        { text: problem.detail, color: BAD, bold: true },
      ]),
    );
  }
  w.table(
    [30, 13, 8, 38, 11],
    ['Stream', 'Role', 'Version', 'Head hash (SHA-256)', 'Chain'],
    verification.verifiedStreams.map((stream) => [
      { text: stream.streamId, mono: true, size: 6.5 },
      stream.role,
      String(stream.version),
      { text: stream.headHash ?? '—', mono: true, size: 6.5 },
      stream.chainOk
        ? { text: 'intact', color: OK, bold: true }
        : { text: 'BROKEN', color: BAD, bold: true },
    ]),
  );

  w.doc.y += 10;
  w.keep(60);
  w.text(
    `Generated by Concord from the event store, the record of origin; the report itself is not the record. To verify again: concord audit verify --batch ${batch.batchId}. Times are UTC; occurred-at is the acting party's, recorded-at the platform's.`,
    { color: MUTED, size: 8 },
  );
  if (w.approximated)
    w.text(
      "Some characters cannot be shown with this PDF's standard fonts and are printed without their accent or as ?; the HTML and JSON reports hold the exact text.",
      { color: MUTED, size: 8 },
    );
}

function displayJson(value: unknown): string {
  return value === undefined ? '—' : formatValue(value);
}

function signatureCard(
  w: ReportWriter,
  title: string,
  act: SignedAct | null,
  details: string[],
  manifestations: ReadonlyMap<string, SignatureManifestation>,
): void {
  const full = (text: string, extra: Partial<Cell> = {}): CellInput[] => [
    { text, colSpan: 2, ...extra },
  ];
  const rows: CellInput[][] = [full(title, { bold: true, size: 9.5, background: '#eef3f9' })];
  if (!act) {
    rows.push(full('Not recorded.', { color: MUTED }));
    w.table([18, 82], [], rows, { size: 8 });
    return;
  }
  for (const detail of details) rows.push(full(detail));
  const signature = act.signature;
  if (!signature) {
    rows.push(full('No electronic signature on this act.', { color: BAD, bold: true }));
    w.table([18, 82], [], rows, { size: 8 });
    return;
  }
  const manifestation = manifestations.get(act.eventId);
  const label = (text: string): Cell => ({ text, color: MUTED });
  rows.push(full(signature.printedName, { bold: true, size: 11 }));
  rows.push([label('Signed at'), formatInstant(signature.signedAt)]);
  rows.push([label('Meaning'), signature.meaning]);
  rows.push([label('Reason'), signature.reason]);
  rows.push([
    label('Signed as'),
    `${signature.signerId}${
      manifestation
        ? ` · ${manifestation.role ?? 'no role stated'} · ${manifestation.organizationName ?? manifestation.organizationId}`
        : ''
    }`,
  ]);
  rows.push([
    label('Origin'),
    manifestation
      ? { text: originText(manifestation.origin), color: originColor(manifestation.origin) }
      : '—',
  ]);
  rows.push([label('Event'), { text: act.eventId, mono: true }]);
  w.table([18, 82], [], rows, { size: 8 });
}

function correctionRow(
  c: CorrectionEntry,
  summaryOf: (eventId: string) => string | undefined,
): CellInput[] {
  const changes = c.changes
    .map((change) => {
      const line = `${change.path}: ${formatValue(change.oldValue)} → ${formatValue(change.newValue)}`;
      const misread =
        change.statedOldValue !== undefined &&
        JSON.stringify(change.statedOldValue) !== JSON.stringify(change.oldValue);
      return misread
        ? `${line}\nThe correction states the old value was ${formatValue(change.statedOldValue)}.`
        : line;
    })
    .join('\n');
  return [
    `${summaryOf(c.correctedEventId) ?? c.correctedEventType ?? 'An event that is not in this stream'}\n${c.correctedEventId}`,
    { text: changes, bold: true },
    c.reason,
    personText(c.who),
    `${formatInstant(c.occurredAt)}\nrecorded ${formatInstant(c.recordedAt)}`,
  ];
}

function manifestationRow(s: SignatureManifestation): CellInput[] {
  return [
    `${s.act}\n${s.eventId}`,
    {
      text: `${s.printedName}\n${s.signerId}${s.role ? ` · ${s.role}` : ''} · ${s.organizationName ?? s.organizationId}`,
    },
    formatInstant(s.signedAt),
    s.meaning,
    s.reason,
    { text: originText(s.origin), color: originColor(s.origin) },
  ];
}

function timelineTable(w: ReportWriter, timeline: readonly HistoryEntry[]): void {
  w.table(
    [8, 16, 35, 17, 10, 14],
    ['#', 'Occurred (recorded)', 'What and why', 'Who', 'Authority', 'Origin'],
    timeline.map((entry) => [
      { text: `${entry.streamVersion}\n${entry.hash.slice(0, 8)}`, mono: true, size: 6.5 },
      `${formatInstant(entry.occurredAt)}\nrecorded ${formatInstant(entry.recordedAt)}${
        entry.lateEntry ? `\n${entry.lateEntry.description}` : ''
      }`,
      [
        entry.summary,
        entry.why && !entry.summary.includes(entry.why) ? `Why: ${entry.why}` : null,
        entry.changedSinceFirstEntry.length > 0
          ? `Changed since first entry: ${entry.changedSinceFirstEntry
              .map(
                (mark) =>
                  `${mark.path} ${formatValue(mark.oldValue)} → ${formatValue(mark.newValue)} (corrected, recorded ${formatInstant(mark.recordedAt)}: ${mark.reason})`,
              )
              .join('; ')}`
          : null,
      ]
        .filter(Boolean)
        .join('\n'),
      personText(entry.who),
      entry.authority ? `${entry.authority.agreementId} v${entry.authority.version ?? '?'}` : '—',
      { text: originText(entry.signature), color: originColor(entry.signature) },
    ]),
  );
}

/** "Concord audit report · batch … · page 2 of 7" at the foot of every page. */
function writePageFooters(w: ReportWriter, report: AuditReport): void {
  const { doc } = w;
  const range = doc.bufferedPageRange();
  for (let index = range.start; index < range.start + range.count; index++) {
    doc.switchToPage(index);
    // Below the bottom margin: lift it for the footer, or pdfkit would start a new page.
    const bottom = doc.page.margins.bottom;
    doc.page.margins.bottom = 0;
    doc
      .font(REGULAR)
      .fontSize(7)
      .fillColor(MUTED)
      .text(
        w.t(
          `Concord audit report · batch ${report.batch.batchNumber} · generated ${formatInstant(report.generatedAt)} · page ${index + 1} of ${range.count}`,
        ),
        MARGINS.left,
        doc.page.height - bottom + 20,
        { width: w.width, align: 'center', lineBreak: false },
      );
    doc.page.margins.bottom = bottom;
  }
}
