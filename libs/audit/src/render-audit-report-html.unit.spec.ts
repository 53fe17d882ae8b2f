import { InMemoryEventStore } from '@concord/event-store';
import { PAIR_A } from '@concord/ingest/test-support';
import { beforeAll, describe, expect, it } from 'vitest';
import { auditReport, type AuditReport } from './audit-report.ts';
import { escapeHtml } from './html.ts';
import { formatInstant, formatMinutes, renderAuditReportHtml } from './render-audit-report-html.ts';
import { recordBatchStory, type BatchStory } from './test-support/batch-story.ts';

const HOSTILE = `<script>alert("x")</script>"'><img src=x onerror=alert(1)><a href="javascript:alert(2)">`;

/** The elements the report is made of; anything else in the page came from data. */
const OWN_ELEMENTS = new Set(
  'html head meta title style body main header div h1 h2 h3 p span dl dt dd section table colgroup col thead tbody tr th td strong small br footer'.split(
    ' ',
  ),
);
const OWN_ATTRIBUTES = new Set('lang charset name content http-equiv class title style'.split(' '));

/**
 * The attribute names of every tag, read with quoting respected (an attribute value cannot hide
 * another attribute); a tag that does not parse that way is reported as `<malformed>`.
 */
function attributesOf(page: string): string[] {
  const names: string[] = [];
  for (const [tag] of page.matchAll(/<[a-zA-Z][^>]*>/g)) {
    const parsed = /^<[a-zA-Z][\w-]*((?:\s+[\w-]+(?:="[^"]*")?)*)\s*\/?>$/.exec(tag);
    if (!parsed) {
      names.push(`<malformed> ${tag}`);
      continue;
    }
    for (const [, name] of parsed[1]!.matchAll(/\s+([\w-]+)(?:="[^"]*")?/g))
      names.push(name!.toLowerCase());
  }
  return names;
}

const elementsOf = (page: string) =>
  new Set([...page.matchAll(/<([a-zA-Z][a-zA-Z0-9-]*)/g)].map((match) => match[1]!.toLowerCase()));

/** Every string of a JSON value with the payload appended (dates and ids too). */
function poisoned<T>(value: T): T {
  if (typeof value === 'string') return `${value}${HOSTILE}` as T;
  if (Array.isArray(value)) return value.map(poisoned) as T;
  if (value && typeof value === 'object')
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [key, poisoned(item)]),
    ) as T;
  return value;
}

describe('the audit report as one HTML page', () => {
  let story: BatchStory;
  let report: AuditReport;
  let page: string;

  beforeAll(async () => {
    story = await recordBatchStory(async (clock) => new InMemoryEventStore({ clock }));
    report = await auditReport(story.store, story.batchId, {
      clock: () => new Date('2026-05-02T08:00:00Z'),
    });
    page = renderAuditReportHtml(report);
  });

  it('is self-contained: inline style, no script, nothing fetched from anywhere', () => {
    expect(page.startsWith('<!doctype html>')).toBe(true);
    expect(page).toMatch(/<style>[\s\S]*@media print[\s\S]*<\/style>/);
    expect(page).toContain(`content="default-src 'none'; style-src 'unsafe-inline'"`);
    expect(page).not.toMatch(/<script|<link|<img|\ssrc=|\shref=|url\(/i);
    expect([...elementsOf(page)].filter((element) => !OWN_ELEMENTS.has(element))).toEqual([]);
    expect(attributesOf(page).filter((name) => !OWN_ATTRIBUTES.has(name))).toEqual([]);
  });

  it('shows the batch, the verdict, the signature manifestations, the CAPA, the corrections and the anchors', () => {
    expect(page).toContain(`Batch ${report.batch.batchNumber}`);
    expect(page).toContain('Record verified');
    for (const signature of report.signatures) {
      expect(page).toContain(escapeHtml(signature.printedName));
      expect(page).toContain(formatInstant(signature.signedAt));
      expect(page).toContain(`<td>${signature.meaning}</td>`);
    }
    expect(page).toContain('QP certification (EU GMP Annex 16)');
    expect(page).toContain(report.deviations[0]!.facts!.capa!.capaId);
    expect(page).toContain(escapeHtml(report.corrections[0]!.reason));
    for (const anchor of report.anchors) expect(page).toContain(anchor.headHash!);
    expect(page).toContain(`concord audit verify --batch ${story.batchId}`);
    // The shipment was entered two days late: the report says so beside both instants.
    expect(page).toContain('Late entry: recorded 2 days after it occurred.');
  });

  it('names the first broken link when verification failed', () => {
    const failed: AuditReport = {
      ...report,
      verification: {
        ...report.verification,
        ok: false,
        brokenLink: {
          streamId: `batch-${story.batchId}`,
          streamVersion: 5,
          eventId: story.ids.qcResult,
          check: 'hash-chain',
          problem: 'hash-mismatch',
          detail: 'the stored event no longer matches its hash: a stored field was changed',
        },
      },
    };
    const failedPage = renderAuditReportHtml(failed);
    expect(failedPage).toContain('Verification FAILED');
    expect(failedPage).toMatch(
      new RegExp(`batch-${story.batchId}</span> version\\s+5[\\s\\S]*${story.ids.qcResult}`),
    );
  });

  it('escapes hostile text wherever event data appears, in text and in attributes', () => {
    const hostile = poisoned(report);
    hostile.timeline[4]!.signature = { status: 'invalid', keyId: HOSTILE, problem: HOSTILE };
    hostile.verification = {
      ...hostile.verification,
      ok: false,
      brokenLink: hostile.verification.problems[0] ?? {
        streamId: HOSTILE,
        streamVersion: 1,
        eventId: HOSTILE,
        check: 'signature',
        problem: 'invalid',
        detail: HOSTILE,
      },
    };
    const hostilePage = renderAuditReportHtml(hostile);
    expect([...elementsOf(hostilePage)].filter((element) => !OWN_ELEMENTS.has(element))).toEqual(
      [],
    );
    expect(hostilePage).not.toMatch(/<script|<img|<a\s/i);
    expect(attributesOf(hostilePage).filter((name) => !OWN_ATTRIBUTES.has(name))).toEqual([]);
    expect(hostilePage).toContain(escapeHtml(HOSTILE));
    expect(hostilePage).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;');
  });

  it('reads a hostile event that came through ingest as text', async () => {
    const store = new InMemoryEventStore();
    const hostileStory = await recordBatchStory(async () => store, {
      batchId: 'northbridge-bio:b-nb-hlv201-26-0666',
      deviationId: 'northbridge-bio:dev-nb-26-0666',
    });
    const deviation = hostileStory.exchange.feed.build(
      PAIR_A.cdmo,
      'deviation/reported.v1',
      'northbridge-bio:dev-nb-26-0667',
      '2026-04-21T13:00:00Z',
      {
        title: HOSTILE,
        description: HOSTILE,
        severity: 'minor',
        productId: PAIR_A.product,
        agreementId: PAIR_A.agreement,
        linkedBatchIds: ['northbridge-bio:b-nb-hlv201-26-0666'],
        detectedAt: '2026-04-21T12:00:00Z',
      },
    );
    await hostileStory.exchange.publish([deviation]);
    const hostilePage = renderAuditReportHtml(
      await auditReport(store, 'northbridge-bio:b-nb-hlv201-26-0666'),
    );
    expect(hostilePage).toContain(`northbridge-bio:dev-nb-26-0667: ${escapeHtml(HOSTILE)}`);
    expect(hostilePage).not.toMatch(/<script|<img|<a\s/i);
  });

  it('formats instants and durations for a reader', () => {
    expect(formatInstant('2026-04-25T10:10:44+01:00')).toBe('2026-04-25 09:10:44 UTC');
    expect(formatInstant('not a time')).toBe('not a time');
    expect(formatInstant(null)).toBe('—');
    expect(formatMinutes(1685)).toBe('28 h 5 min');
    expect(formatMinutes(120)).toBe('2 h');
    expect(formatMinutes(5)).toBe('5 min');
  });
});
