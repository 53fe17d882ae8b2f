// Onboarding in the dashboard, in a real browser, on an empty platform: the platform operator
// registers a sponsor, appoints its administrator and gives them a role; the administrator signs
// in, registers the sponsor's ERP as a partner system and issues it an API key, which is shown
// once and works, then revokes it, after which Concord refuses it.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startApiServer, type ApiServer } from '@concord/api';
import { Authenticator, DEV_AUDIENCE, DEV_ISSUER, DevIssuer } from '@concord/auth';
import { generateSigningKey } from '@concord/contract';
import { PostgresEventStore } from '@concord/event-store-postgres';
import { readModelPrisma, type ReadModelPrisma } from '@concord/read-model';
import { pgliteDatabase } from '@concord/sql';
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

describeWithBrowser('onboarding in the dashboard (browser)', (executablePath) => {
  let dataDir: string;
  let store: PostgresEventStore;
  let prisma: ReadModelPrisma;
  let server: ApiServer;
  let url: string;
  let browser: Browser;
  let page: Page;
  let pageErrors: string[];
  let issuer: DevIssuer;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'concord-web-admin-'));
    const db = await pgliteDatabase({ dataDir: join(dataDir, 'pglite') });
    store = await PostgresEventStore.open(db);
    prisma = readModelPrisma({ pglite: db.pglite });
    issuer = await DevIssuer.open();
    server = await startApiServer({
      store,
      db,
      prisma,
      authenticator: new Authenticator({
        issuer: DEV_ISSUER,
        audience: DEV_AUDIENCE,
        keys: issuer.jwks(),
      }),
      logger: pino({ level: 'warn' }),
      port: 0,
      devIssuer: issuer,
      webRoot: ensureDashboardBuilt(),
    });
    url = server.url;
    browser = await launchBrowser(executablePath);
    page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    pageErrors = watchForPageErrors(page);
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await prisma?.$disconnect();
    await store?.close();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  /** Fills and submits one act's form; waits for the server's answer to this submission. */
  async function act(form: string, values: Record<string, string>) {
    const before = Number(
      await page.locator(`form[data-act="${form}"]`).getAttribute('data-answers'),
    );
    await submit(form, values);
    const answered = page.locator(`form[data-act="${form}"][data-answers="${before + 1}"]`);
    const answer = answered.locator('.notice');
    await answer.waitFor();
    return (await answer.textContent()) ?? '';
  }

  async function submit(form: string, values: Record<string, string>) {
    const scope = page.locator(`form[data-act="${form}"]`);
    for (const [name, value] of Object.entries(values)) {
      const field = scope.locator(`[name="${name}"]`);
      if ((await field.evaluate((element) => element.tagName)) === 'SELECT')
        await field.selectOption(value);
      else await field.fill(value);
    }
    await scope.locator('button[type="submit"]').click();
    return scope;
  }

  it('lets the platform operator register an organization and appoint its administrator', async () => {
    await signInAs(page, url, 'Demo Operator', 'Concord platform');
    await page.goto(`${url}/#/admin`);
    expect(
      await act('register-organization', {
        organizationId: 'meridian-rx',
        name: 'Meridian Rx',
        kind: 'SPONSOR',
        reason: 'Platform agreement signed',
      }),
    ).toContain('Meridian Rx registered.');
    await page.locator('section[data-organization-id="meridian-rx"]').waitFor();
    expect(
      await act('appoint-administrator', {
        personId: 'mr-admin',
        printedName: 'Mara Admin',
        reason: 'Named in the onboarding form',
      }),
    ).toContain('Administrator appointed.');
    expect(
      await act('grant-role', {
        personId: 'mr-admin',
        printedName: 'Mara Admin',
        role: 'QA',
        reason: 'Head of QA',
      }),
    ).toContain('Role granted.');
    await page.locator('.admin-administrators li', { hasText: 'Mara Admin' }).waitFor();

    await page.locator('tr[data-person-id="mr-admin"]', { hasText: 'qa' }).waitFor();
    // The same organization again is refused, in the domain's words.
    expect(
      await act('register-organization', {
        organizationId: 'meridian-rx',
        name: 'Meridian Rx',
        kind: 'SPONSOR',
        reason: 'again',
      }),
    ).toContain('organization.already-registered');
    await screenshot(page, 'administration-operator');
    // The CDMO, with its QA, who will sign the agreement for it.
    await page.goto(`${url}/#/admin`);
    await act('register-organization', {
      organizationId: 'foundry-bio',
      name: 'Foundry Bio',
      kind: 'CDMO',
      reason: 'Platform agreement signed',
    });
    await page.locator('section[data-organization-id="foundry-bio"]').waitFor();
    expect(
      await act('grant-role', {
        personId: 'fb-qa',
        printedName: 'Hana Foundry',
        role: 'QA',
        reason: 'Head of QA',
      }),
    ).toContain('Role granted.');
  });

  it('lets the administrator register a partner system and issue its API key, shown once', async () => {
    await page.evaluate(() => sessionStorage.clear());
    await signInAs(page, url, 'Mara Admin', 'Meridian Rx');
    await page.goto(`${url}/#/admin`);
    await page.locator('section[data-organization-id="meridian-rx"]').waitFor();
    // An administrator of an organization appoints nobody: that is the operator's.
    expect(await page.locator('form[data-act="appoint-administrator"]').count()).toBe(0);
    // Its product and its site; a country that is no ISO code is refused, saying why.
    expect(
      await act('register-product', {
        productId: 'prd-mr-77',
        name: 'Meridolimab 100 mg vial',
        reason: 'Portfolio',
      }),
    ).toContain('Product registered.');
    expect(
      await act('register-site', {
        siteId: 'mr-basel',
        name: 'Basel release lab',
        country: 'Switzerland',
        reason: 'QP site',
      }),
    ).toContain('command.invalid');
    const site = await submit('register-site', {
      siteId: 'mr-basel',
      name: 'Basel release lab',
      country: 'CH',
      reason: 'QP site',
    });
    await expect.poll(() => site.locator('.notice').textContent()).toContain('Site registered.');
    await page.locator('[data-product-id="prd-mr-77"]').waitFor();
    await page.locator('[data-site-id="mr-basel"]').waitFor();
    expect(
      await act('register-system', {
        systemId: 'mr-erp',
        name: 'Meridian ERP',
        reason: 'ERP integration go-live',
      }),
    ).toContain('System registered.');
    await page.locator('[data-system-id="mr-erp"]').waitFor();
    expect(await act('issue-key-mr-erp', { reason: 'ERP integration go-live' })).toContain(
      'Key issued.',
    );
    const key = (await page.locator('.admin-issued-key code').textContent())!;
    expect(key).toMatch(/^ck1\./);
    const viewer = await fetch(`${url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `ApiKey ${key}` },
      body: JSON.stringify({ query: '{ viewer { id kind } }' }),
    });
    expect(await viewer.json()).toEqual({ data: { viewer: { id: 'mr-erp', kind: 'system' } } });
    await page.locator('[data-system-id="mr-erp"] tr[data-status="ACTIVE"]').waitFor();
    await screenshot(page, 'administration-organization');

    page.once('dialog', (dialog) => void dialog.accept('Rotated after go-live test'));
    await page.locator('[data-system-id="mr-erp"] tr[data-status="ACTIVE"] button').click();
    await page.locator('[data-system-id="mr-erp"] tr[data-status="REVOKED"]').waitFor();
    const refused = await fetch(`${url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `ApiKey ${key}` },
      body: JSON.stringify({ query: '{ viewer { id } }' }),
    });
    expect(refused.status).toBe(401);
  });

  /** Signs in the open signature dialog, as the demo does: reason, and the password again. */
  async function signInDialog(confirm: string, reason: string) {
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Reason').fill(reason);
    await dialog.getByLabel('Re-enter your password').fill('concord-demo');
    await dialog.getByRole('button', { name: confirm }).click();
    await dialog.waitFor({ state: 'hidden' });
  }

  it('lets the administrator register the first signing key with an e-signature', async () => {
    const { publicKey } = generateSigningKey();
    await submit('register-signing-key', { keyId: 'meridian-rx:2027-a', publicKey });
    await signInDialog('Sign and register', 'Our first signing key');
    await page.getByText('Signing key meridian-rx:2027-a registered.').waitFor();
    await page.locator('.admin-signing-keys li', { hasText: 'meridian-rx:2027-a' }).waitFor();
  });

  it('drafts the agreement in the dashboard and has both parties’ QA sign it, the second signature approving it', async () => {
    // The sponsor's administrator drafts it in the dashboard, with deviation due days.
    await page.goto(`${url}/#/admin`);
    await page.getByText('Draft a new version…').click();
    expect(
      await act('draft-agreement', {
        agreementId: 'qa-mr-fb-1',
        sponsorId: 'meridian-rx',
        cdmoId: 'foundry-bio',
        productId: 'prd-mr-77',
        productName: 'Meridolimab 100 mg vial',
        dueCritical: '3/10/20',
        reason: 'New partnership',
      }),
    ).toContain('Drafted');
    await page.locator('.agreement-draft').waitFor();
    expect(await page.locator('.agreement-draft').innerText()).toContain('3/10/20');
    const signAs = async (confirmText: string) => {
      await page.goto(`${url}/#/admin`);
      await page.getByLabel('Agreement to open').fill('qa-mr-fb-1');
      await page.getByRole('button', { name: 'Open the draft' }).click();
      await page.locator('.agreement-draft').waitFor();
      await page.getByRole('button', { name: 'Sign as QA…' }).click();
      await signInDialog('Sign and approve', 'Approved for my organization');
      await page.getByText(confirmText).waitFor();
    };
    await signAs('the other party’s QA signs next');
    await expect.poll(() => page.locator('.agreement-signed-by').innerText()).toContain('sponsor');
    await page.evaluate(() => sessionStorage.clear());
    await signInAs(page, url, 'Hana Foundry', 'Foundry Bio');
    await signAs('both parties have signed, the version is approved');
    await screenshot(page, 'administration-agreement');
    expect(pageErrors).toEqual([]);
  });
});
