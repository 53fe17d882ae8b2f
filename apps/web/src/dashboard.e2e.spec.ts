// The dashboard in a real browser (the machine's Chromium) against the embedded platform with
// its live demo feed: a sponsor sees its own batches only, watches one change state as the feed
// publishes, opens a batch timeline; the other sponsor finds none of the first one's data.
import { mkdtemp, rm } from 'node:fs/promises';
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

const personaOf = (organizationId: string) => {
  const found = demoPersonas().find((org) => org.organizationId === organizationId)!;
  return { ...found.primary, organizationName: found.organizationName };
};

describeWithBrowser('dashboard on the embedded platform (browser)', (executablePath) => {
  let dataDir: string;
  let platform: Platform;
  let browser: Browser;
  let page: Page;
  let pageErrors: string[];
  const sponsor = personaOf(HELVION);
  const other = personaOf(AURORA);

  /** What an organization may see, asked of the API with that organization's token. */
  const idsVisibleTo = async (persona: typeof sponsor) => {
    const token = await platform.mintToken(persona);
    const response = await fetch(platform.graphqlUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({
        query:
          '{ batches(first: 100) { edges { node { batchId batchNumber } } } deviations(first: 100) { edges { node { deviationId } } } }',
      }),
    });
    const body = (await response.json()) as {
      data: {
        batches: { edges: { node: { batchId: string; batchNumber: string } }[] };
        deviations: { edges: { node: { deviationId: string } }[] };
      };
    };
    return {
      batchIds: body.data.batches.edges.map((edge) => edge.node.batchId),
      batchNumbers: body.data.batches.edges.map((edge) => edge.node.batchNumber),
      deviationIds: body.data.deviations.edges.map((edge) => edge.node.deviationId),
    };
  };

  const cardStatuses = (target: Page) =>
    target.$$eval('.batch-card', (cards) =>
      Object.fromEntries(
        cards.map((card) => [card.getAttribute('data-batch-id'), card.getAttribute('data-status')]),
      ),
    );

  beforeAll(async () => {
    const webRoot = ensureDashboardBuilt();
    dataDir = await mkdtemp(join(tmpdir(), 'concord-web-e2e-'));
    platform = await startPlatform({
      dataDir,
      port: 0,
      logger: pino({ level: 'silent' }),
      demo: { pace: 'demo' },
      webRoot,
    });
    browser = await launchBrowser(executablePath);
    page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    pageErrors = watchForPageErrors(page);
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await platform?.close();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('serves the dashboard at / and signs a sponsor in from the demo organizations', async () => {
    await page.goto(`${platform.url}/`);
    await page.locator('.persona').first().waitFor();
    expect(await page.locator('section.persona-org h2').allInnerTexts()).toEqual(
      expect.arrayContaining([expect.stringContaining(sponsor.organizationName)]),
    );
    await screenshot(page, '01-sign-in');
    await signInAs(page, platform.url, sponsor.printedName, sponsor.organizationName);
    await expect.poll(() => page.locator('.org-name').innerText()).toBe(sponsor.organizationName);
  });

  it('shows the sponsor its own batches only, and one changing state live as the feed publishes', async () => {
    await page.goto(`${platform.url}/#/board`);
    await page.locator('.batch-card').first().waitFor({ timeout: 90_000 });
    const before = await cardStatuses(page);
    // Live: no reload from here on; the board moves only through the subscription.
    await waitFor(
      async () => {
        const now = await cardStatuses(page);
        return Object.entries(now).some(([id, status]) => before[id] !== status);
      },
      {
        timeoutMs: 90_000,
        intervalMs: 250,
        description: 'a batch card to change state on the board',
      },
    );
    await page.locator('.recent-changes li').first().waitFor();
    await page.waitForTimeout(600);
    await screenshot(page, '02-batch-board');

    const mine = await idsVisibleTo(sponsor);
    const theirs = await idsVisibleTo(other);
    const shown = Object.keys(await cardStatuses(page));
    expect(shown.length).toBeGreaterThan(0);
    for (const id of shown) {
      expect(mine.batchIds).toContain(id);
      expect(theirs.batchIds).not.toContain(id);
    }
  }, 200_000);

  it('shows release readiness with each blocker linking to its cause', async () => {
    await page.goto(`${platform.url}/#/readiness`);
    await page.locator('.metrics').waitFor();
    await page.waitForTimeout(500);
    await screenshot(page, '03-release-readiness');
    const link = page.locator('.blockers a').first();
    if ((await link.count()) > 0) {
      const target = await link.getAttribute('href');
      expect(target).toMatch(/^#\/(deviations|batches)\//);
      await link.click();
      await page.locator('.breadcrumb').waitFor();
    }
  });

  it('opens a batch timeline: who, what, when and why, with signatures', async () => {
    await page.goto(`${platform.url}/#/board`);
    // The furthest batch has the longest history.
    await page.locator('.batch-card').first().waitFor({ timeout: 60_000 });
    let card = page.locator('.batch-card').first();
    for (const column of ['shipped', 'certified', 'release', 'review']) {
      const candidate = page.locator(`.board-column[data-column="${column}"] .batch-card`).first();
      if ((await candidate.count()) > 0) {
        card = candidate;
        break;
      }
    }
    const batchNumber = await card.locator('.batch-number').innerText();
    await card.click();
    await page.locator('.timeline-item').first().waitFor();
    expect(await page.locator('h1').innerText()).toContain(batchNumber);
    const first = page.locator('.timeline-item').first();
    expect(await first.innerText()).toMatch(/Who[\s\S]*When/);
    await page.waitForTimeout(500);
    await screenshot(page, '04-batch-detail');
  });

  it('lists deviations by severity and age, and draws the trends', async () => {
    await page.goto(`${platform.url}/#/deviations?show=all`);
    await page.locator('.metrics').waitFor();
    await page.waitForTimeout(500);
    await screenshot(page, '05-deviations');
    const deviationLink = page.locator('table a.strong-link').first();
    if ((await deviationLink.count()) > 0) {
      await deviationLink.click();
      await page.locator('.timeline-item').first().waitFor();
      await page.waitForTimeout(400);
      await screenshot(page, '06-deviation-detail');
    }
    await page.goto(`${platform.url}/#/trends`);
    await page.locator('.chart-panel').first().waitFor();
    await page.locator('.recharts-surface').first().waitFor();
    await page.waitForTimeout(800);
    await screenshot(page, '07-trends');
    await page.goto(`${platform.url}/#/audit`);
    await page.locator('.audit-batch-list li').first().waitFor();
    await screenshot(page, '08-audit');
  });

  it('shows the other sponsor none of the first sponsor’s data, anywhere', async () => {
    const mine = await idsVisibleTo(sponsor);
    expect(mine.batchIds.length).toBeGreaterThan(0);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await signInAs(page, platform.url, other.printedName, other.organizationName);
    const forbidden = [...mine.batchIds, ...mine.batchNumbers, ...mine.deviationIds];
    for (const view of ['board', 'readiness', 'deviations?show=all', 'trends', 'audit']) {
      await page.goto(`${platform.url}/#/${view}`);
      await page.locator('main .page').waitFor();
      await page.waitForTimeout(1_500);
      const text = await page.locator('body').innerText();
      const html = await page.content();
      for (const id of forbidden) {
        expect(text, `${id} on ${view}`).not.toContain(id);
        expect(html, `${id} in the markup of ${view}`).not.toContain(id);
      }
      expect(text).not.toContain(sponsor.organizationName);
    }
    await page.goto(`${platform.url}/#/board`);
    await page.locator('.board').waitFor();
    await screenshot(page, '09-other-sponsor-board');
    // Even by its id, the first sponsor's batch does not exist for the other one.
    await page.goto(`${platform.url}/#/batches/${encodeURIComponent(mine.batchIds[0]!)}`);
    await page.getByText('No such batch').waitFor();
    await screenshot(page, '10-other-sponsor-no-such-batch');
  });

  it('reported no script errors in the page', () => {
    expect(pageErrors).toEqual([]);
  });
});
