// The audit view in a real browser against the embedded platform: a sponsor opens one of its
// batches, sees the record verified, looks at it as of an instant, and downloads the HTML report
// (the batch id and a signature manifestation inside); the other sponsor is not offered that
// batch, and its report URL answers 404 with the other sponsor's token.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AURORA, HELVION } from '@concord/contract/world';
import { demoPersonas } from '@concord/demo';
import { startPlatform, type Platform } from '@concord/platform';
import { waitFor } from '@concord/test-infra';
import type { Browser, Page } from 'playwright-core';
import { pino } from 'pino';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  describeWithBrowser,
  ensureDashboardBuilt,
  launchBrowser,
  screenshot,
  signInAs,
  watchForPageErrors,
} from './test-support/browser.ts';

/** The download's file name: a namespaced id's colon becomes _ (as browsers do). */
const fileSafe = (id: string) => id.replaceAll(':', '_');

const personaOf = (organizationId: string) => {
  const found = demoPersonas().find((org) => org.organizationId === organizationId)!;
  return { ...found.primary, organizationName: found.organizationName };
};

describeWithBrowser('audit view on the embedded platform (browser)', (executablePath) => {
  let dataDir: string;
  let platform: Platform;
  let browser: Browser;
  let page: Page;
  let pageErrors: string[];
  const sponsor = personaOf(HELVION);
  const other = personaOf(AURORA);
  /** A batch of the sponsor's with at least one e-signature in its record, and its signer. */
  let signed: { batchId: string; batchNumber: string; printedName: string };

  const graphql = async <T>(persona: typeof sponsor, query: string, variables = {}) => {
    const token = await platform.mintToken(persona);
    const response = await fetch(platform.graphqlUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await response.json()) as { data: T; errors?: unknown };
    expect(body.errors).toBeUndefined();
    return body.data;
  };

  /** The first batch of the sponsor's whose history holds an e-signature. */
  const findSignedBatch = async () => {
    const listed = await graphql<{
      batches: { edges: { node: { batchId: string; batchNumber: string; status: string } }[] };
    }>(sponsor, '{ batches(first: 100) { edges { node { batchId batchNumber status } } } }');
    const candidates = listed.batches.edges
      .map((edge) => edge.node)
      .filter((batch) => ['SHIPPED', 'QP_CERTIFIED', 'DISPOSITIONED'].includes(batch.status));
    for (const candidate of candidates) {
      const { batch } = await graphql<{
        batch: {
          history: { edges: { node: { eSignature: { printedName: string } | null } }[] };
        } | null;
      }>(
        sponsor,
        'query ($id: ID!) { batch(id: $id) { history(first: 50) { edges { node { eSignature { printedName } } } } } }',
        {
          id: candidate.batchId,
        },
      );
      const signature = batch?.history.edges.find(({ node }) => node.eSignature)?.node.eSignature;
      if (signature) return { ...candidate, printedName: signature.printedName };
    }
    return undefined;
  };

  beforeAll(async () => {
    const webRoot = ensureDashboardBuilt();
    dataDir = await mkdtemp(join(tmpdir(), 'concord-web-audit-e2e-'));
    platform = await startPlatform({
      dataDir,
      port: 0,
      logger: pino({ level: 'silent' }),
      demo: { pace: 'demo' },
      webRoot,
    });
    let found: Awaited<ReturnType<typeof findSignedBatch>>;
    await waitFor(async () => Boolean((found = await findSignedBatch())), {
      timeoutMs: 120_000,
      intervalMs: 1_000,
      description: 'a batch of the sponsor with an e-signed act in its record',
    });
    signed = found!;
    browser = await launchBrowser(executablePath);
    page = await browser.newPage({ viewport: { width: 1440, height: 900 }, acceptDownloads: true });
    pageErrors = watchForPageErrors(page);
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await platform?.close();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('lists the sponsor’s batches and verifies the chosen one’s record', async () => {
    await signInAs(page, platform.url, sponsor.printedName, sponsor.organizationName);
    await page.goto(`${platform.url}/#/audit`);
    await page.locator('.audit-batch-list li').first().waitFor();
    await page.getByText('Choose a batch').waitFor();
    await page.getByLabel('Find a batch').fill(signed.batchNumber);
    await page.locator(`.audit-batch-link[data-batch-id="${signed.batchId}"]`).click();
    const verdict = page.locator('.verdict');
    await verdict.waitFor();
    expect(await verdict.getAttribute('data-verdict')).toBe('verified');
    expect(await verdict.innerText()).toMatch(/Record verified/);
    expect(await page.locator('h1').innerText()).toBe('Audit');
    expect(page.url()).toContain(`#/audit/${encodeURIComponent(signed.batchId)}`);
    const counts = await page.locator('.verdict-count').allInnerTexts();
    expect(counts.join('\n')).toMatch(/Signatures checked\s+\d+/);
    await page.waitForTimeout(300);
    await screenshot(page, 'audit-01-verified');
  });

  it('shows the status as of an instant, on either timeline', async () => {
    await page.getByLabel('Timeline', { exact: true }).selectOption('OCCURRED');
    await page.getByRole('button', { name: 'Show status then' }).click();
    const result = page.locator('.audit-asof-result');
    await result.waitFor();
    expect(await result.innerText()).toMatch(/occurred timeline\) the batch was/);
    expect(await result.locator('.audit-asof-status').innerText()).not.toBe('');

    await page.getByLabel('Date and time (your local time)').fill('2000-01-01T00:00');
    await page.getByLabel('Timeline', { exact: true }).selectOption('RECORDED');
    await page.getByRole('button', { name: 'Show status then' }).click();
    await expect.poll(() => result.innerText()).toMatch(/recorded timeline[\s\S]*not yet recorded/);
    await screenshot(page, 'audit-02-as-of');
  });

  it('downloads the HTML and JSON reports with the batch id and its signature manifestation', async () => {
    const [html] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Download HTML report' }).click(),
    ]);
    expect(html.suggestedFilename()).toBe(`audit-${fileSafe(signed.batchId)}.html`);
    const content = await readFile((await html.path())!, 'utf8');
    expect(content).toContain(signed.batchId);
    expect(content).toContain(escapeHtml(signed.printedName));
    await page.getByText(`Downloaded audit-${fileSafe(signed.batchId)}.html.`).waitFor();

    const [json] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Download JSON report' }).click(),
    ]);
    expect(json.suggestedFilename()).toBe(`audit-${fileSafe(signed.batchId)}.json`);
    const report = await readFile((await json.path())!, 'utf8');
    expect(report).toContain(signed.batchId);
    expect(report).toContain(signed.printedName);
    expect(() => JSON.parse(report) as unknown).not.toThrow();
    await screenshot(page, 'audit-03-downloaded');
  });

  it('offers the audit report on the batch detail page', async () => {
    await page.goto(`${platform.url}/#/batches/${encodeURIComponent(signed.batchId)}`);
    const button = page.getByRole('button', { name: 'Download audit report' });
    await button.waitFor();
    const [download] = await Promise.all([page.waitForEvent('download'), button.click()]);
    expect(download.suggestedFilename()).toBe(`audit-${fileSafe(signed.batchId)}.html`);
    expect(await readFile((await download.path())!, 'utf8')).toContain(signed.batchId);
    await page.locator('.timeline-item').first().waitFor();
    await screenshot(page, 'audit-04-batch-detail-link');
  });

  it('does not offer the other sponsor the first one’s batch, and its report URL is a 404', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await signInAs(page, platform.url, other.printedName, other.organizationName);
    await page.goto(`${platform.url}/#/audit`);
    await page.locator('.audit-batch-list li').first().waitFor();
    await page.waitForTimeout(800);
    expect(await page.locator('.audit-batch-list').innerText()).not.toContain(signed.batchNumber);
    expect(await page.content()).not.toContain(signed.batchId);
    await screenshot(page, 'audit-05-other-sponsor');

    // Even by its id: no such batch, and the download answers 404 for this session's token.
    await page.goto(`${platform.url}/#/audit/${encodeURIComponent(signed.batchId)}`);
    await page.getByText('No such batch').waitFor();
    const status = await page.evaluate(async (batchId) => {
      const session = JSON.parse(sessionStorage.getItem('concord.session')!) as { token: string };
      const response = await fetch(`/audit/batches/${encodeURIComponent(batchId)}/report`, {
        headers: { authorization: `Bearer ${session.token}` },
      });
      return response.status;
    }, signed.batchId);
    expect(status).toBe(404);
    const anonymous = await fetch(
      `${platform.url}/audit/batches/${encodeURIComponent(signed.batchId)}/report`,
    );
    expect(anonymous.status).toBe(401);
    await screenshot(page, 'audit-06-other-sponsor-no-such-batch');
  });

  it('reported no script errors in the page', () => {
    // The 404 the test provokes by hand is logged by Chromium as a failed resource.
    expect(pageErrors.filter((error) => !/status of 404/.test(error))).toEqual([]);
  });
});

function escapeHtml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}
