// Deadline alerts in a real browser: pair A's agreement sets deviation due days, and the CAPA of
// its major deviation is overdue, so the deadline process has warned both parties. The sponsor's
// QA and the CDMO's see the alerts panel and the navigation's badge, the deviation's due dates
// with the warning given; pair B, with no due dates, sees no alert; when the CAPA is approved the
// alert goes away live.
import { worldOrganization, worldPerson } from '@concord/contract/world';
import { PAIR_A } from '@concord/ingest/test-support';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  describeWithBrowser,
  ensureDashboardBuilt,
  launchBrowser,
  screenshot,
  signInAs,
  watchForPageErrors,
} from './test-support/browser.ts';
import {
  A_DEVIATIONS,
  CDMO_A,
  openWebWorld,
  SPONSOR_A,
  SPONSOR_B,
  type WebWorld,
} from './test-support/web-world.ts';

describeWithBrowser('deadline alerts in the dashboard (browser)', (executablePath) => {
  let world: WebWorld;
  let browser: Browser;
  let page: Page;
  let pageErrors: string[];

  beforeAll(async () => {
    world = await openWebWorld({ webRoot: ensureDashboardBuilt() });
    browser = await launchBrowser(executablePath);
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await world?.close();
  });

  async function signIn(organizationId: string, role: 'qa') {
    await page?.close();
    page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    pageErrors = watchForPageErrors(page);
    await signInAs(
      page,
      world.url,
      worldPerson(organizationId, role).printedName,
      worldOrganization(organizationId).name,
    );
  }
  const alerts = () => page.getByRole('region', { name: 'Deadline alerts' });

  it('shows the sponsor the overdue CAPA in the alerts panel, the badge and the due dates', async () => {
    await signIn(SPONSOR_A, 'qa');
    await expect.poll(() => page.getByLabel('1 deadline alerts').count()).toBe(1);
    await page.goto(`${world.url}/#/deviations`);
    const alert = alerts().locator(`li[data-deviation-id="${A_DEVIATIONS.capa}"]`);
    await alert.waitFor();
    expect(await alert.innerText()).toContain('CAPA overdue');
    expect(await alerts().innerText()).toMatch(/1 overdue, 0 due soon/);
    await screenshot(page, 'deadlines-01-alerts');

    await alert.getByRole('link', { name: A_DEVIATIONS.capa }).click();
    const dueDates = page.getByRole('table', { name: 'Due dates' });
    await dueDates.waitFor();
    const rows = await dueDates.locator('tbody tr').allInnerTexts();
    expect(rows.map((row) => row.split('\t')[0])).toEqual(['Investigation', 'CAPA', 'Closure']);
    expect(rows[0]).toContain('Met');
    expect(rows[1]).toContain('Overdue');
    expect(rows[2]).toContain('Open');
    await screenshot(page, 'deadlines-02-due-dates');
    expect(pageErrors).toEqual([]);
  });

  it('shows the CDMO the same alert, and the other partnership none', async () => {
    await signIn(CDMO_A, 'qa');
    await page.goto(`${world.url}/#/deviations`);
    await alerts().locator(`li[data-deviation-id="${A_DEVIATIONS.capa}"]`).waitFor();

    await signIn(SPONSOR_B, 'qa');
    await page.goto(`${world.url}/#/deviations?show=all`);
    await page.locator('table').first().waitFor();
    expect(await alerts().count()).toBe(0);
    expect(await page.getByLabel(/deadline alerts/).count()).toBe(0);
    expect(pageErrors).toEqual([]);
  });

  it('takes the alert away live once the sponsor approves the CAPA', async () => {
    await signIn(SPONSOR_A, 'qa');
    await page.goto(`${world.url}/#/deviations`);
    await alerts().waitFor();
    const { deviation } = world.exchange.feed;
    const capa = deviation(PAIR_A, A_DEVIATIONS.capa);
    await world.publish([capa.capaApproved(new Date().toISOString())]);
    await expect.poll(() => alerts().count(), { timeout: 15_000 }).toBe(0);
    await expect.poll(() => page.getByLabel(/deadline alerts/).count()).toBe(0);
    expect(pageErrors).toEqual([]);
  });
});
