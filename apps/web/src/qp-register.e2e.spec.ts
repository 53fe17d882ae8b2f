// The QP register in a real browser over an exchange with certified batches in both pairs: the
// sponsor of the first pair sees its pair's certification only, narrows by Qualified Person and
// product, opens the batch from its entry and downloads the register as CSV; the other pair's
// sponsor sees its own certification and none of the first pair's.
import { readFile } from 'node:fs/promises';
import { worldOrganization, worldPerson } from '@concord/contract/world';
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
  A,
  B,
  CDMO_A,
  openWebWorld,
  SPONSOR_A,
  SPONSOR_B,
  type WebWorld,
} from './test-support/web-world.ts';

describeWithBrowser('the QP register in the dashboard (browser)', (executablePath) => {
  let world: WebWorld;
  let browser: Browser;
  let page: Page;
  let pageErrors: string[];

  beforeAll(async () => {
    world = await openWebWorld({ webRoot: ensureDashboardBuilt() });
    browser = await launchBrowser(executablePath);
    page = await browser.newPage({ viewport: { width: 1440, height: 900 }, acceptDownloads: true });
    pageErrors = watchForPageErrors(page);
    await signInAs(
      page,
      world.url,
      worldPerson(SPONSOR_A, 'qa').printedName,
      worldOrganization(SPONSOR_A).name,
    );
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await world?.close();
  });

  const rowIds = () =>
    page.$$eval('table.qp-register tbody tr', (rows) =>
      rows.map((row) => row.getAttribute('data-batch-id')),
    );

  it('lists the pair’s certifications with their Qualified Person, and narrows by QP and product', async () => {
    await page.goto(`${world.url}/#/register`);
    await page.locator('table.qp-register tbody tr').first().waitFor();
    expect(await rowIds()).toEqual([A.shipped]);
    const row = page.locator(`tr[data-batch-id="${A.shipped}"]`);
    const qp = worldPerson(CDMO_A, 'qp');
    expect(await row.innerText()).toContain(qp.printedName);
    expect(await row.innerText()).toMatch(/QPR-/);
    await screenshot(page, 'register-01-qp-register');

    await page.getByLabel('Qualified Person').selectOption(qp.personId);
    await expect.poll(() => page.url()).toContain(`qp=${encodeURIComponent(qp.personId)}`);
    expect(await rowIds()).toEqual([A.shipped]);
    await page.getByLabel('Product').selectOption({ index: 1 });
    await page.locator('table.qp-register tbody tr').first().waitFor();
    expect(await rowIds()).toEqual([A.shipped]);

    await row.getByRole('link').click();
    await expect.poll(() => page.url()).toContain(`#/batches/${encodeURIComponent(A.shipped)}`);
  });

  it('downloads the register as CSV, the selection as shown', async () => {
    await page.goto(`${world.url}/#/register`);
    await page.locator('table.qp-register tbody tr').first().waitFor();
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Download CSV' }).click(),
    ]);
    expect(download.suggestedFilename()).toBe('qp-register.csv');
    const lines = (await readFile((await download.path())!, 'utf8')).trim().split('\n');
    expect(lines[0]).toMatch(/^register_entry_id,certified_at,qualified_person_id,/);
    expect(lines).toHaveLength(2);
    expect(lines[1]).toContain(A.shipped);
    await page.getByText('Downloaded qp-register.csv.').waitFor();
    expect(pageErrors).toEqual([]);
  });

  it('shows the other pair’s sponsor its own certification and none of the first pair’s', async () => {
    const other = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    try {
      await signInAs(
        other,
        world.url,
        worldPerson(SPONSOR_B, 'qa').printedName,
        worldOrganization(SPONSOR_B).name,
      );
      await other.goto(`${world.url}/#/register`);
      await other.locator('table.qp-register tbody tr').first().waitFor();
      expect(
        await other.$$eval('table.qp-register tbody tr', (rows) =>
          rows.map((row) => row.getAttribute('data-batch-id')),
        ),
      ).toEqual([B.certified]);
      expect(await other.locator('body').innerText()).not.toContain(
        A.shipped.split(':')[1]!.slice(2).toUpperCase(),
      );
    } finally {
      await other.close();
    }
  });
});
