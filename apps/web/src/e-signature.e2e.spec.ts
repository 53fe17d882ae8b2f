// Human acts in a real browser: the sponsor's QA approves a CAPA with an e-signature (printed
// name, meaning, reason, re-entered password → step-up token → mutation). Refusals are shown as
// the server words them; the signed act appears on the deviation's timeline. Runs against the
// API server with the development routes and the built dashboard over a fixed exchange, so the
// deviation waits for the sponsor (the live demo feed approves its own CAPAs).
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
  A_DEVIATIONS,
  openWebWorld,
  SPONSOR_A,
  type WebWorld,
} from './test-support/web-world.ts';

describeWithBrowser('e-signatures in the dashboard (browser)', (executablePath) => {
  let world: WebWorld;
  let browser: Browser;
  let page: Page;
  let pageErrors: string[];

  beforeAll(async () => {
    world = await openWebWorld({ webRoot: ensureDashboardBuilt() });
    browser = await launchBrowser(executablePath);
    page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    // The wrong password's refusal is a 401 from /dev/step-up, which Chromium logs.
    pageErrors = watchForPageErrors(page, /status of 401/);
    const { name } = worldOrganization(SPONSOR_A);
    await signInAs(page, world.url, worldPerson(SPONSOR_A, 'qa').printedName, name);
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await world?.close();
  });

  const openDialog = async () => {
    await page.goto(`${world.url}/#/deviations/${A_DEVIATIONS.capa}`);
    await page.getByRole('button', { name: 'Approve CAPA…' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.waitFor();
    return dialog;
  };

  it('shows every view over an exchange with batches at every stage', async () => {
    for (const [view, ready, name] of [
      ['board', '.batch-card', 'world-01-batch-board'],
      ['readiness', '.blockers', 'world-02-release-readiness'],
      [`batches/${A.blocked}`, '.timeline-item', 'world-03-batch-blocked'],
      [`batches/${A.shipped}`, '.timeline-item', 'world-04-batch-shipped'],
      ['deviations?show=all', 'table', 'world-05-deviations'],
      ['trends', '.recharts-surface', 'world-06-trends'],
    ] as const) {
      await page.goto(`${world.url}/#/${view}`);
      await page.locator(ready).first().waitFor();
      await page.waitForTimeout(700);
      await screenshot(page, name);
    }
  });

  it('refuses a wrong password and a printed name that is not the signer’s, saying why', async () => {
    let dialog = await openDialog();
    await dialog.getByLabel('Reason').fill('CAPA reviewed: adequate to prevent recurrence.');
    await dialog.getByLabel('Re-enter your password').fill('not-the-password');
    await dialog.getByRole('button', { name: 'Sign and approve' }).click();
    await expect
      .poll(() => dialog.getByRole('alert').innerText())
      .toContain('The password is not correct');

    await dialog.getByLabel('Printed name').fill('Somebody Else');
    await dialog.getByLabel('Re-enter your password').fill('concord-demo');
    await dialog.getByRole('button', { name: 'Sign and approve' }).click();
    await expect
      .poll(() => dialog.getByRole('alert').innerText())
      .toContain('registered name, Dr. Lena Vogel');
    await screenshot(page, '11-e-signature-refused');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'hidden' });
    dialog = page.getByRole('dialog');
    expect(await dialog.count()).toBe(0);
  });

  it('signs the CAPA approval and shows the signature on the deviation and its timeline', async () => {
    const dialog = await openDialog();
    await expect.poll(() => dialog.getByLabel('Printed name').inputValue()).toBe('Dr. Lena Vogel');
    await dialog.getByLabel('Meaning of this signature').selectOption('APPROVAL');
    await dialog.getByLabel('Reason').fill('CAPA reviewed: adequate to prevent recurrence.');
    await dialog.getByLabel('Re-enter your password').fill('concord-demo');
    await screenshot(page, '12-e-signature-dialog');
    await dialog.getByRole('button', { name: 'Sign and approve' }).click();
    await page.getByText('CAPA approval signed and recorded.').waitFor();
    await expect.poll(() => page.locator('h1').innerText()).toContain('CAPA approved');
    const signed = page.locator('.signed-act', { hasText: 'CAPA approved by the sponsor' });
    await expect.poll(() => signed.innerText()).toContain('Dr. Lena Vogel');
    await expect
      .poll(() => signed.innerText())
      .toContain('CAPA reviewed: adequate to prevent recurrence.');
    await expect
      .poll(() => page.locator('.timeline-item').last().innerText())
      .toMatch(/CAPA[\s\S]*approv[\s\S]*Dr\. Lena Vogel/i);
    await screenshot(page, '13-deviation-signed');
  });

  it('shows corrections as old → new and an out-of-specification result against its limits', async () => {
    await page.goto(`${world.url}/#/batches/${A.shipped}`);
    const correction = page.locator('.timeline-item.is-correction');
    await correction.waitFor();
    expect(await correction.innerText()).toMatch(/23412[\s\S]*23421/);
    expect(await page.locator('.timeline-item.is-corrected').innerText()).toContain(
      'Changed since first entry',
    );
    // A hash route: the previous batch's chart stays on screen until the new page renders, so
    // wait for this batch's chart rather than for any chart.
    await page.goto(`${world.url}/#/batches/${A.oos}`);
    await expect
      .poll(() => page.locator('.qc-chart').first().innerText(), { timeout: 15_000 })
      .toContain('OUT OF SPECIFICATION');
    await page.locator('.recharts-surface').first().waitFor();
    await screenshot(page, '14-batch-oos');
  });

  it('reported no script errors in the page', () => {
    expect(pageErrors).toEqual([]);
  });
});
