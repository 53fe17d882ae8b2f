import type { Json } from '@concord/event-store';
import type { AuditReport, CorrectionEntry, SignatureManifestation } from './audit-report.ts';
import { formatValue } from '@concord/domain';
import type { ChangeMark, HistoryEntry, Who } from './history.ts';
import { html, SafeHtml } from './html.ts';
import { describeSignatureStatus, type SignatureStatus } from './signature-status.ts';
import type { SignedAct } from './state-as-of.ts';
import { describeCheckpointCheck, type BrokenLink } from './verify-audit.ts';

// Inline and self-contained: the page is archived with the inspection file and must render the
// same anywhere, offline, years later. No script at all; the CSP forbids anything but this style.
const STYLE = `
:root { --ink: #1b2330; --muted: #5b6576; --line: #d6dbe3; --soft: #f4f6f9; --accent: #1f4e79;
  --ok: #1d6b3a; --ok-bg: #e6f4ea; --bad: #a4262c; --bad-bg: #fdecea; --info: #1f4e79; --info-bg: #e8f0fa;
  --warn: #8a5300; --warn-bg: #fff4e0; }
* { box-sizing: border-box; }
html { font-size: 10.5pt; }
body { margin: 0; color: var(--ink); background: #fff;
  font-family: "Segoe UI", "DejaVu Sans", "Liberation Sans", Arial, sans-serif; line-height: 1.45; }
main { max-width: 1120px; margin: 0 auto; padding: 28px 32px 40px; }
h1 { font-size: 1.9rem; margin: 2px 0 2px; letter-spacing: -0.01em; }
h2 { font-size: 1.2rem; color: var(--accent); margin: 30px 0 10px; padding-bottom: 4px;
  border-bottom: 2px solid var(--accent); }
h3 { font-size: 1rem; margin: 18px 0 6px; }
p { margin: 4px 0 8px; }
.brand { text-transform: uppercase; letter-spacing: 0.14em; font-size: 0.78rem; color: var(--muted); font-weight: 600; }
.subtitle { color: var(--muted); margin-bottom: 14px; }
.meta { display: grid; grid-template-columns: repeat(3, minmax(0, 1fr)); gap: 8px 24px; margin: 0 0 16px;
  padding: 12px 14px; background: var(--soft); border: 1px solid var(--line); border-radius: 6px; }
.meta div { min-width: 0; }
dt { font-size: 0.72rem; text-transform: uppercase; letter-spacing: 0.06em; color: var(--muted); }
dd { margin: 0; font-weight: 600; overflow-wrap: anywhere; }
.verdict { padding: 12px 16px; border-radius: 6px; font-weight: 600; border: 1px solid; }
.verdict.ok { background: var(--ok-bg); color: var(--ok); border-color: #a8d5b5; }
.verdict.failed { background: var(--bad-bg); color: var(--bad); border-color: #f1aeb1; }
.verdict small { display: block; font-weight: 400; color: var(--ink); margin-top: 2px; }
.facts { margin: 0; display: grid; grid-template-columns: repeat(4, minmax(0, 1fr)); gap: 0; border: 1px solid var(--line);
  border-radius: 6px; overflow: hidden; }
.facts div { padding: 8px 12px; border-right: 1px solid var(--line); border-bottom: 1px solid var(--line); min-width: 0; }
.cards { display: grid; grid-template-columns: repeat(2, minmax(0, 1fr)); gap: 12px; }
.card { border: 1px solid var(--line); border-left: 4px solid var(--accent); border-radius: 6px; padding: 10px 14px;
  break-inside: avoid; }
.card h3 { margin: 0 0 6px; }
.card .signed { font-size: 1.05rem; font-weight: 700; }
.card dl { display: grid; grid-template-columns: 7.5em 1fr; gap: 2px 10px; margin: 6px 0 0; }
.card dt { padding-top: 2px; }
.card dd { font-weight: 400; }
table { width: 100%; border-collapse: collapse; margin: 6px 0 10px; font-size: 0.92rem; }
th { text-align: left; font-size: 0.72rem; text-transform: uppercase; letter-spacing: 0.05em; color: var(--muted);
  background: var(--soft); border-bottom: 1px solid var(--line); padding: 6px 8px; }
td { border-bottom: 1px solid var(--line); padding: 6px 8px; vertical-align: top; overflow-wrap: break-word; }
tr { break-inside: avoid; }
table.fixed { table-layout: fixed; }
.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.when { font-variant-numeric: tabular-nums; }
.instant { white-space: nowrap; font-variant-numeric: tabular-nums; }
.muted { color: var(--muted); }
.late-entry { font-weight: 600; }
.small { font-size: 0.82rem; }
.mono { font-family: "DejaVu Sans Mono", "Liberation Mono", Consolas, monospace; font-size: 0.8rem; overflow-wrap: anywhere; }
.badge { display: inline-block; padding: 1px 7px; border-radius: 10px; font-size: 0.74rem; font-weight: 600;
  white-space: nowrap; overflow-wrap: normal; border: 1px solid transparent; }
.badge.ok { background: var(--ok-bg); color: var(--ok); border-color: #a8d5b5; }
.badge.bad { background: var(--bad-bg); color: var(--bad); border-color: #f1aeb1; }
.badge.info { background: var(--info-bg); color: var(--info); border-color: #b7cde8; }
.badge.plain { background: var(--soft); color: var(--muted); border-color: var(--line); }
.badge.warn { background: var(--warn-bg); color: var(--warn); border-color: #f0cf94; }
.changed { margin-top: 4px; padding: 4px 8px; background: var(--warn-bg); border-left: 3px solid var(--warn);
  font-size: 0.84rem; }
.old { text-decoration: line-through; color: var(--muted); }
.deviation { border: 1px solid var(--line); border-radius: 6px; padding: 4px 14px 10px; margin-bottom: 12px; break-inside: avoid-page; }
.problem { color: var(--bad); font-weight: 600; }
footer { margin-top: 34px; padding-top: 10px; border-top: 1px solid var(--line); color: var(--muted); font-size: 0.82rem; }
@page { size: A4; margin: 14mm 12mm; }
@media print {
  html { font-size: 9pt; }
  main { max-width: none; padding: 0; }
  h2 { break-after: avoid; }
  /* A4 columns are narrow: let instants and badges wrap rather than spill into the next column. */
  .instant, .badge { white-space: normal; }
  td, th { padding: 4px 5px; }
  .mono { font-size: 0.72rem; }
  .verdict, .badge, .changed, th, .meta { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
`;

/** An instant as an inspector reads it: `2026-04-25 09:00:00 UTC` (the stored text if it is none). */
export function formatInstant(instant: string | null | undefined): string {
  if (!instant) return '—';
  const millis = Date.parse(instant);
  if (Number.isNaN(millis)) return instant;
  return `${new Date(millis)
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d{3}Z$/, '')} UTC`;
}

/** An instant in the page: never broken across lines. */
const instant = (value: string | null | undefined) =>
  html`<span class="instant">${formatInstant(value)}</span>`;

const plural = (count: number, one: string, many: string) => `${count} ${count === 1 ? one : many}`;

/** 1685 → "28 h 5 min". */
export function formatMinutes(minutes: number | null): string {
  if (minutes === null) return 'late';
  const hours = Math.floor(minutes / 60);
  const rest = minutes % 60;
  return hours === 0 ? `${rest} min` : rest === 0 ? `${hours} h` : `${hours} h ${rest} min`;
}

const dash = (value: unknown) =>
  value === null || value === undefined || value === '' ? '—' : value;

function quantity(value: { value: number; unit: string } | null | undefined): string {
  return value ? `${value.value} ${value.unit}` : '—';
}

function personLine(
  who: Pick<Who, 'printedName' | 'personId' | 'role' | 'organizationName' | 'organizationId'>,
) {
  return html`<strong>${who.printedName ?? who.personId}</strong>
    <div class="muted small">
      ${who.personId}${who.role ? ` · ${who.role}` : ''} ·
      ${who.organizationName ?? who.organizationId}
    </div>`;
}

function originBadge(status: SignatureStatus): SafeHtml {
  const kind =
    status.status === 'valid'
      ? 'ok'
      : status.status === 'e-signature-only'
        ? 'info'
        : status.status === 'platform'
          ? 'plain'
          : 'bad';
  const label =
    {
      valid: 'Signature valid',
      invalid: 'Signature INVALID',
      'key-not-valid': 'Key NOT VALID',
      'e-signature-only': 'E-signature only',
      platform: 'Platform',
      unsigned: 'UNSIGNED',
    }[status.status] ?? String(status.status);
  return html`<span class="badge ${kind}" title="${describeSignatureStatus(status)}"
    >${label}</span
  >`;
}

function changeMarks(marks: readonly ChangeMark[]): SafeHtml {
  if (marks.length === 0) return html``;
  return html`<div class="changed">
    <strong>Changed since first entry:</strong> ${marks.map(
      (mark, index) =>
        html`${index > 0 ? '; ' : ''}<span class="mono">${mark.path}</span>
          <span class="old">${formatValue(mark.oldValue)}</span> →
          <strong>${formatValue(mark.newValue)}</strong>
          <span class="muted"
            >(corrected, recorded ${instant(mark.recordedAt)}: ${mark.reason})</span
          >`,
    )}
  </div>`;
}

function signatureCard(
  title: string,
  act: SignedAct | null,
  details: SafeHtml,
  manifestationOf: (eventId: string) => SignatureManifestation | undefined,
): SafeHtml {
  if (!act) {
    return html`<div class="card">
      <h3>${title}</h3>
      <p class="muted">Not recorded.</p>
    </div>`;
  }
  const signature = act.signature;
  const manifestation = manifestationOf(act.eventId);
  return html`<div class="card">
    <h3>${title}</h3>
    ${details}
    ${signature
      ? html`<div class="signed">${signature.printedName}</div>
          <dl>
            <dt>Signed at</dt>
            <dd class="when">${instant(signature.signedAt)}</dd>
            <dt>Meaning</dt>
            <dd>${signature.meaning}</dd>
            <dt>Reason</dt>
            <dd>${signature.reason}</dd>
            <dt>Signed as</dt>
            <dd>
              ${signature.signerId}${manifestation
                ? ` · ${manifestation.role ?? 'no role stated'} · ${manifestation.organizationName ?? manifestation.organizationId}`
                : ''}
            </dd>
            <dt>Origin</dt>
            <dd>${manifestation ? originBadge(manifestation.origin) : '—'}</dd>
            <dt>Event</dt>
            <dd class="mono">${act.eventId}</dd>
          </dl>`
      : html`<p class="problem">No electronic signature on this act.</p>`}
  </div>`;
}

function manifestationRows(signatures: readonly SignatureManifestation[]): SafeHtml {
  return html`${signatures.map(
    (s) =>
      html`<tr>
        <td>
          ${s.act}
          <div class="muted small mono">${s.eventId}</div>
        </td>
        <td>
          <strong>${s.printedName}</strong>
          <div class="muted small">
            ${s.signerId}${s.role ? ` · ${s.role}` : ''} · ${s.organizationName ?? s.organizationId}
          </div>
        </td>
        <td class="when">${instant(s.signedAt)}</td>
        <td>${s.meaning}</td>
        <td>${s.reason}</td>
        <td>${originBadge(s.origin)}</td>
      </tr>`,
  )}`;
}

function correctionRows(
  corrections: readonly CorrectionEntry[],
  summaryOf: (eventId: string) => string | undefined,
): SafeHtml {
  return html`${corrections.map(
    (c) =>
      html`<tr>
        <td>
          ${summaryOf(c.correctedEventId) ??
          c.correctedEventType ??
          'An event that is not in this stream'}
          <div class="mono muted small">${c.correctedEventId}</div>
        </td>
        <td>
          ${c.changes.map(
            (change) =>
              html`<div>
                <span class="mono">${change.path}</span>:
                <span class="old">${formatValue(change.oldValue)}</span> →
                <strong>${formatValue(change.newValue)}</strong> ${change.statedOldValue !==
                  undefined &&
                JSON.stringify(change.statedOldValue) !== JSON.stringify(change.oldValue)
                  ? html`<div class="problem small">
                      The correction states the old value was ${formatValue(change.statedOldValue)}.
                    </div>`
                  : ''}
              </div>`,
          )}
        </td>
        <td>${c.reason}</td>
        <td>${personLine(c.who)}</td>
        <td class="when">
          ${instant(c.occurredAt)}
          <div class="muted small">recorded ${instant(c.recordedAt)}</div>
        </td>
      </tr>`,
  )}`;
}

function timelineRows(entries: readonly HistoryEntry[]): SafeHtml {
  return html`${entries.map(
    (entry) =>
      html`<tr>
        <td class="num">
          ${entry.streamVersion}
          <div class="mono muted small" title="${entry.hash}">${entry.hash.slice(0, 8)}</div>
        </td>
        <td class="when">
          ${instant(entry.occurredAt)}
          <div class="muted small">recorded ${instant(entry.recordedAt)}</div>
          ${entry.lateEntry
            ? html`<div class="small late-entry">${entry.lateEntry.description}</div>`
            : ''}
        </td>
        <td>
          ${entry.summary}${entry.why && !entry.summary.includes(entry.why)
            ? html`<div class="muted small">Why: ${entry.why}</div>`
            : ''}
          ${changeMarks(entry.changedSinceFirstEntry)}
        </td>
        <td>${personLine(entry.who)}</td>
        <td class="small">
          ${entry.authority
            ? `${entry.authority.agreementId} v${entry.authority.version ?? '?'}`
            : '—'}
        </td>
        <td>${originBadge(entry.signature)}</td>
      </tr>`,
  )}`;
}

const timelineHead = html`<colgroup>
    <col style="width:6%" />
    <col style="width:17%" />
    <col style="width:37%" />
    <col style="width:17%" />
    <col style="width:11%" />
    <col style="width:12%" />
  </colgroup>
  <thead>
    <tr>
      <th>#</th>
      <th>Occurred (recorded)</th>
      <th>What and why</th>
      <th>Who</th>
      <th>Authority</th>
      <th>Origin</th>
    </tr>
  </thead>`;

function brokenLinkText(link: BrokenLink): SafeHtml {
  return html`<span class="mono">${link.streamId}</span> version
    ${link.streamVersion}${link.eventId
      ? html` (event <span class="mono">${link.eventId}</span>)`
      : ''}:
    ${link.detail}`;
}

function displayJson(value: Json | undefined): string {
  return value === undefined ? '—' : formatValue(value);
}

/**
 * The audit report as one self-contained, print-friendly HTML page: inline CSS, no script, no
 * external asset, and every piece of data escaped.
 */
export function renderAuditReportHtml(report: AuditReport): string {
  const { batch, state, verification } = report;
  const entries = new Map(
    [...report.timeline, ...report.deviations.flatMap((d) => d.timeline)].map((entry) => [
      entry.eventId,
      entry,
    ]),
  );
  const manifestations = new Map(report.signatures.map((s) => [s.eventId, s]));
  const manifestationOf = (eventId: string) => manifestations.get(eventId);
  const title = `Audit report: batch ${batch.batchNumber}`;
  const verdict = verification.ok
    ? html`<div class="verdict ok">
        ✓ Record verified: hash chains intact and every origin proven
        <small
          >${verification.events} events in ${verification.streams} streams recomputed;
          ${verification.signatures.valid} partner signatures valid,
          ${plural(verification.signatures.eSignatureOnly, 'act', 'acts')} e-signed through the API,
          ${verification.signatures.platform} platform events.</small
        >
        <small>${describeCheckpointCheck(verification.checkpoint)}.</small>
      </div>`
    : html`<div class="verdict failed">
        ✗ Verification FAILED: the record has been altered or an origin cannot be proven
        ${verification.brokenLink
          ? html`<small>First broken link: ${brokenLinkText(verification.brokenLink)}</small>`
          : ''}
        <small>${describeCheckpointCheck(verification.checkpoint)}.</small>
      </div>`;
  const asOf = report.asOf
    ? `${formatInstant(report.asOf.instant)} (${report.asOf.timeline === 'occurred' ? 'occurred-at' : 'recorded-at'} timeline)`
    : 'Now (the full record)';

  const page = html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta
          http-equiv="Content-Security-Policy"
          content="default-src 'none'; style-src 'unsafe-inline'"
        />
        <meta name="generator" content="Concord audit report (${report.format})" />
        <title>${title}</title>
        <style>
          ${new SafeHtml(STYLE)}
        </style>
      </head>
      <body>
        <main>
          <header>
            <div class="brand">Concord · Batch audit report</div>
            <h1>Batch ${batch.batchNumber}</h1>
            <p class="subtitle">
              ${batch.product.name ?? batch.product.productId} · batch id
              <span class="mono">${batch.batchId}</span>
            </p>
            <dl class="meta">
              <div>
                <dt>Sponsor</dt>
                <dd>${batch.sponsor.name ?? batch.sponsor.organizationId}</dd>
              </div>
              <div>
                <dt>Manufacturer (CDMO)</dt>
                <dd>${batch.cdmo.name ?? batch.cdmo.organizationId}</dd>
              </div>
              <div>
                <dt>Quality agreement</dt>
                <dd>
                  ${batch.authority.agreementId} v${dash(batch.authority.version)}
                  <span class="muted small"
                    >effective ${instant(batch.authority.effectiveFrom)}</span
                  >
                </dd>
              </div>
              <div>
                <dt>State as of</dt>
                <dd>${asOf}</dd>
              </div>
              <div>
                <dt>Report generated</dt>
                <dd>${instant(report.generatedAt)}</dd>
              </div>
              <div>
                <dt>Store head position</dt>
                <dd>${verification.headPosition}</dd>
              </div>
            </dl>
            ${verdict}
          </header>

          <section>
            <h2>1. Batch summary</h2>
            ${state
              ? html`<dl class="facts">
                  <div>
                    <dt>Status</dt>
                    <dd>${state.status}</dd>
                  </div>
                  <div>
                    <dt>Site</dt>
                    <dd>${dash(state.site)}</dd>
                  </div>
                  <div>
                    <dt>Planned quantity</dt>
                    <dd>${quantity(state.plannedQuantity)}</dd>
                  </div>
                  <div>
                    <dt>Actual quantity</dt>
                    <dd>${quantity(state.actualQuantity)}</dd>
                  </div>
                  <div>
                    <dt>Certificate of analysis</dt>
                    <dd>${state.coa?.coaId ?? '—'}</dd>
                  </div>
                  <div>
                    <dt>QA disposition</dt>
                    <dd>${state.disposition?.decision ?? '—'}</dd>
                  </div>
                  <div>
                    <dt>QP certification</dt>
                    <dd>${state.certification?.registerEntryId ?? '—'}</dd>
                  </div>
                  <div>
                    <dt>Shipment</dt>
                    <dd>${state.shipment?.shipmentId ?? '—'}</dd>
                  </div>
                  <div>
                    <dt>Open linked deviations</dt>
                    <dd>
                      ${Object.entries(state.openDeviations)
                        .map(([id, severity]) => `${id} (${severity})`)
                        .join(', ') || 'none'}
                    </dd>
                  </div>
                  <div>
                    <dt>OOS investigations</dt>
                    <dd>
                      ${Object.entries(state.oosInvestigations)
                        .map(([id, status]) => `${id}: ${status}`)
                        .join(', ') || 'none'}
                    </dd>
                  </div>
                  <div>
                    <dt>Linked deviations (all)</dt>
                    <dd>${state.linkedDeviationIds.join(', ') || 'none'}</dd>
                  </div>
                  <div>
                    <dt>Events (timeline)</dt>
                    <dd>${report.timeline.length}</dd>
                  </div>
                </dl>`
              : html`<p class="muted">The batch was not yet scheduled at this instant.</p>`}
          </section>

          <section>
            <h2>2. Disposition and QP certification</h2>
            <div class="cards">
              ${signatureCard(
                'QA disposition',
                state?.disposition ?? null,
                html`<p>
                  Decision: <strong>${state?.disposition?.decision ?? '—'}</strong>${state
                    ?.disposition?.conditions
                    ? html`<br /><span class="small"
                          >Conditions: ${state.disposition.conditions}</span
                        >`
                    : ''}
                </p>`,
                manifestationOf,
              )}
              ${signatureCard(
                'QP certification (EU GMP Annex 16)',
                state?.certification ?? null,
                html`<p>
                  Register entry: <strong>${state?.certification?.registerEntryId ?? '—'}</strong>
                  <span class="muted small"
                    >certified ${instant(state?.certification?.certifiedAt)}</span
                  >
                </p>`,
                manifestationOf,
              )}
            </div>
          </section>

          <section>
            <h2>3. QC results</h2>
            ${state && state.qcResults.length > 0
              ? html`<table>
                  <thead>
                    <tr>
                      <th>Result</th>
                      <th>Test</th>
                      <th>Specification</th>
                      <th class="num">Value</th>
                      <th>Within specification</th>
                      <th>Tested</th>
                    </tr>
                  </thead>
                  <tbody>
                    ${state.qcResults.map(
                      (result) =>
                        html`<tr>
                          <td class="mono">${result.resultId}</td>
                          <td>
                            ${result.test}${result.method
                              ? html`<div class="muted small">${result.method}</div>`
                              : ''}
                          </td>
                          <td>
                            ${[
                              result.specification.lower !== undefined
                                ? `≥ ${result.specification.lower}`
                                : '',
                              result.specification.upper !== undefined
                                ? `≤ ${result.specification.upper}`
                                : '',
                            ]
                              .filter(Boolean)
                              .join(' and ')}
                            ${result.specification.unit}
                          </td>
                          <td class="num">
                            <strong>${result.value} ${result.unit}</strong
                            >${result.changedSinceFirstEntry.map(
                              (change) =>
                                html`<div class="small">
                                  <span class="badge warn">changed</span> first entered
                                  <span class="old">${displayJson(change.firstEntered)}</span>
                                </div>`,
                            )}
                          </td>
                          <td>
                            ${result.withinSpecification
                              ? html`<span class="badge ok">yes</span>`
                              : html`<span class="badge bad">NO (OOS)</span>`}
                          </td>
                          <td class="when">${instant(result.testedAt)}</td>
                        </tr>`,
                    )}
                  </tbody>
                </table>`
              : html`<p class="muted">No QC results recorded.</p>`}
          </section>

          <section>
            <h2>4. Linked deviations and CAPA</h2>
            ${report.deviations.length === 0
              ? html`<p class="muted">No deviation was linked to this batch.</p>`
              : report.deviations.map(({ deviationId, facts, timeline }) =>
                  facts
                    ? html`<div class="deviation">
                        <h3>${deviationId}: ${dash(facts.title)}</h3>
                        <p>
                          <span class="badge ${facts.severity === 'minor' ? 'plain' : 'bad'}"
                            >${facts.severity}</span
                          >
                          <span class="badge ${facts.status === 'closed' ? 'ok' : 'warn'}"
                            >${facts.status}</span
                          >
                          ${facts.late
                            ? html`<span class="badge bad"
                                >reported ${formatMinutes(facts.late.lateByMinutes)} after the
                                deadline</span
                              >`
                            : ''}
                          <span class="muted small"
                            >detected ${instant(facts.detectedAt)} · reported
                            ${instant(facts.reportedAt)} · category ${dash(facts.category)}</span
                          >
                        </p>
                        ${facts.description ? html`<p>${facts.description}</p>` : ''}
                        ${facts.rootCause
                          ? html`<p>
                              <strong>Root cause</strong> (${dash(facts.rootCause.category)}):
                              ${facts.rootCause.rootCause}
                            </p>`
                          : ''}
                        ${facts.impactAssessments.length > 0
                          ? html`<p>
                              <strong>Batch impact:</strong> ${facts.impactAssessments.map(
                                (a, i) =>
                                  html`${i > 0 ? '; ' : ''}${a.batchId}: ${a.impact}
                                  (${a.conclusion})`,
                              )}
                            </p>`
                          : ''}
                        ${facts.capa
                          ? html`<p><strong>CAPA ${facts.capa.capaId}</strong></p>
                              <table>
                                <thead>
                                  <tr>
                                    <th>Action</th>
                                    <th>Owner</th>
                                    <th>Due</th>
                                  </tr>
                                </thead>
                                <tbody>
                                  ${facts.capa.actions.map(
                                    (action) =>
                                      html`<tr>
                                        <td>${action.description}</td>
                                        <td>${action.owner}</td>
                                        <td class="when">
                                          <span class="instant">${action.dueDate}</span>
                                        </td>
                                      </tr>`,
                                  )}
                                </tbody>
                              </table>`
                          : html`<p class="muted">No CAPA proposed.</p>`}
                        <div class="cards">
                          ${signatureCard(
                            'CAPA approval',
                            facts.capa?.approval ?? null,
                            html``,
                            manifestationOf,
                          )}
                          ${signatureCard(
                            'Closure approval',
                            facts.closureApproval,
                            html``,
                            manifestationOf,
                          )}
                          ${signatureCard(
                            'Closure',
                            facts.closure,
                            facts.closure?.conclusion
                              ? html`<p>${facts.closure.conclusion}</p>`
                              : html``,
                            manifestationOf,
                          )}
                        </div>
                        <h3>Deviation timeline</h3>
                        <table class="fixed">
                          ${timelineHead}
                          <tbody>
                            ${timelineRows(timeline)}
                          </tbody>
                        </table>
                      </div>`
                    : html`<div class="deviation">
                        <h3>${deviationId}</h3>
                        <p class="muted">Not yet reported at this instant.</p>
                      </div>`,
                )}
          </section>

          <section>
            <h2>5. Corrections</h2>
            ${report.corrections.length === 0
              ? html`<p class="muted">No value was corrected.</p>`
              : html`<p class="small muted">
                    Corrections never overwrite: the first entry stays on the record, the correction
                    stands beside it with its reason (21 CFR 11.10(e), EU GMP Annex 11 §9).
                  </p>
                  <table class="fixed">
                    <colgroup>
                      <col style="width:25%" />
                      <col style="width:15%" />
                      <col style="width:28%" />
                      <col style="width:15%" />
                      <col style="width:17%" />
                    </colgroup>
                    <thead>
                      <tr>
                        <th>Corrected entry</th>
                        <th>Old → new</th>
                        <th>Reason</th>
                        <th>Who</th>
                        <th>When (recorded)</th>
                      </tr>
                    </thead>
                    <tbody>
                      ${correctionRows(
                        report.corrections,
                        (eventId) => entries.get(eventId)?.summary,
                      )}
                    </tbody>
                  </table>`}
          </section>

          <section>
            <h2>6. Batch timeline</h2>
            <table class="fixed">
              ${timelineHead}
              <tbody>
                ${timelineRows(report.timeline)}
              </tbody>
            </table>
          </section>

          <section>
            <h2>7. Electronic signatures</h2>
            ${report.signatures.length === 0
              ? html`<p class="muted">No electronic signature.</p>`
              : html`<table class="fixed">
                  <colgroup>
                    <col style="width:23%" />
                    <col style="width:17%" />
                    <col style="width:18%" />
                    <col style="width:13%" />
                    <col style="width:17%" />
                    <col style="width:12%" />
                  </colgroup>
                  <thead>
                    <tr>
                      <th>Act</th>
                      <th>Signed by</th>
                      <th>Date-time</th>
                      <th>Meaning</th>
                      <th>Reason</th>
                      <th>Origin</th>
                    </tr>
                  </thead>
                  <tbody>
                    ${manifestationRows(report.signatures)}
                  </tbody>
                </table>`}
          </section>

          <section>
            <h2>8. Verification and anchoring hashes</h2>
            <p>
              ${verification.ok
                ? html`<span class="badge ok">PASSED</span>`
                : html`<span class="badge bad">FAILED</span>`}
              Each stream's SHA-256 hash chain was recomputed from the stored events, and every
              partner's Ed25519 signature was checked against the key the partner had registered and
              that was valid when the event occurred.
            </p>
            ${verification.problems.length > 0
              ? html`<table>
                  <thead>
                    <tr>
                      <th>Check</th>
                      <th>Where</th>
                      <th>Problem</th>
                    </tr>
                  </thead>
                  <tbody>
                    ${verification.problems.map(
                      (problem) =>
                        html`<tr>
                          <td>${problem.check}</td>
                          <td class="mono">
                            ${problem.streamId}
                            v${problem.streamVersion}${problem.eventId
                              ? html`<div class="muted">${problem.eventId}</div>`
                              : ''}
                          </td>
                          <td class="problem">${problem.detail}</td>
                        </tr>`,
                    )}
                  </tbody>
                </table>`
              : ''}
            <table>
              <thead>
                <tr>
                  <th>Stream</th>
                  <th>Role</th>
                  <th class="num">Version</th>
                  <th>Head hash (SHA-256)</th>
                  <th>Chain</th>
                </tr>
              </thead>
              <tbody>
                ${verification.verifiedStreams.map(
                  (stream) =>
                    html`<tr>
                      <td class="mono">${stream.streamId}</td>
                      <td>${stream.role}</td>
                      <td class="num">${stream.version}</td>
                      <td class="mono">${stream.headHash ?? '—'}</td>
                      <td>
                        ${stream.chainOk
                          ? html`<span class="badge ok">intact</span>`
                          : html`<span class="badge bad">BROKEN</span>`}
                      </td>
                    </tr>`,
                )}
              </tbody>
            </table>
          </section>

          <footer>
            Generated by Concord from the event store, the record of origin; the report itself is
            not the record. To verify again:
            <span class="mono">concord audit verify --batch ${batch.batchId}</span>. Times are UTC;
            occurred-at is the acting party's, recorded-at the platform's.
          </footer>
        </main>
      </body>
    </html> `;
  return page.value;
}
