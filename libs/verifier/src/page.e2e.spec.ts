// The verifier page in a real browser: built into one HTML file, opened from disk (file://) with
// no server and no network, given the exported bundles by drop and by the file chooser. Chromium
// comes from Debian (never downloaded); without it the suite is skipped loudly, except under
// CI=true, where it fails as a missing service does.
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildPage } from '../scripts/build-page.ts';

const NAME = 'the verifier page, opened from disk in Chromium';
const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];
const executablePath = process.env.CHROMIUM_PATH ?? CANDIDATES.find((path) => existsSync(path));
const fixture = (name: string) =>
  fileURLToPath(new URL(`./test-support/fixture/${name}`, import.meta.url));

if (!executablePath && process.env.CI !== 'true') {
  console.warn(
    `\n⚠ SKIPPED "${NAME}": no Chromium (apt-get install chromium, or CHROMIUM_PATH)\n`,
  );
  describe(NAME, () => it.skip('SKIPPED: Chromium unavailable', () => undefined));
} else {
  describe(NAME, { timeout: 30_000 }, () => {
    let browser: Browser;
    let page: Page;
    const requests: string[] = [];

    beforeAll(async () => {
      if (!executablePath)
        throw new Error(
          'CI=true requires Chromium for the verifier page test (apt-get install chromium)',
        );
      const file = await buildPage();
      browser = await chromium.launch({ executablePath, args: ['--no-sandbox'] });
      page = await browser.newPage();
      page.on('request', (request) => {
        if (!request.url().startsWith('file:') && !request.url().startsWith('blob:'))
          requests.push(request.url());
      });
      await page.goto(pathToFileURL(file).href);
    }, 60_000);
    afterAll(async () => browser?.close());

    const outcome = async () => {
      await page.waitForSelector('#outcome');
      return {
        ok: await page.getAttribute('#outcome', 'data-ok'),
        banner: await page.textContent('#outcome'),
      };
    };

    it('verifies a bundle dropped on it, with the published keys and a kept checkpoint', async () => {
      await page.setInputFiles('#keyring', fixture('keyring.json'));
      await page.setInputFiles('#checkpoints', fixture('kept-checkpoint.json'));
      const bundle = await import('node:fs/promises').then((fs) =>
        fs.readFile(fixture('bundle.json'), 'utf8'),
      );
      const dataTransfer = await page.evaluateHandle((text) => {
        const transfer = new DataTransfer();
        transfer.items.add(new File([text], 'bundle.json', { type: 'application/json' }));
        return transfer;
      }, bundle);
      await page.dispatchEvent('#drop', 'drop', { dataTransfer });
      await page.waitForFunction(() => document.querySelector('#checked li') !== null);
      expect(await outcome()).toEqual({
        ok: 'true',
        banner: expect.stringMatching(/^VERIFIED: batch /),
      });
      const checked = await page.locator('#checked li').allTextContents();
      expect(checked.join('\n')).toMatch(/events proven in the signed log \(RFC 9162 inclusion\)/);
      expect(checked.join('\n')).toMatch(/the log extends the kept checkpoint of \d+ events/);
      expect(requests).toEqual([]);
    });

    it('names the first broken link of the record the insider rewrote', async () => {
      await page.setInputFiles('#bundle', fixture('tampered/deleted-renumbered-rechained.json'));
      await page.waitForFunction(() => document.querySelector('#first-problem') !== null);
      expect(await outcome()).toEqual({
        ok: 'false',
        banner: expect.stringMatching(/^NOT VERIFIED: batch /),
      });
      expect(await page.textContent('#first-problem')).toMatch(/^\(kept-checkpoint\) /);
    });

    it('says when what it was given is not a bundle', async () => {
      await page.setInputFiles('#bundle', fixture('keyring.json'));
      await page.waitForFunction(() =>
        document.querySelector('#first-problem')?.textContent?.includes('not an evidence bundle'),
      );
      expect(await outcome()).toEqual({ ok: 'false', banner: 'NOT VERIFIED: keyring.json' });
    });
  });
}
