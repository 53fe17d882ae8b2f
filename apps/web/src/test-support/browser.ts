// What the browser tests share: the machine's Chromium (never a downloaded browser), the built
// dashboard (rebuilt when its sources are newer), screenshots under artifacts/screenshots.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { describe, it } from 'vitest';

export const WEB_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const DIST = join(WEB_ROOT, 'dist');
export const SCREENSHOTS = join(WEB_ROOT, 'artifacts', 'screenshots');

const CANDIDATES = [
  '/usr/bin/chromium',
  '/usr/bin/chromium-browser',
  '/usr/bin/google-chrome',
  '/usr/bin/google-chrome-stable',
];

/** CHROMIUM_PATH, else Debian's chromium (tools/system.sh installs it), else undefined. */
export function findChromium(): string | undefined {
  const configured = process.env.CHROMIUM_PATH;
  if (configured) return existsSync(configured) ? configured : undefined;
  return CANDIDATES.find((path) => existsSync(path));
}

/**
 * A suite that needs a browser. Without Chromium it is skipped loudly outside CI, with the
 * reason in the skipped test's name, and fails under CI=true (as a missing service does).
 */
export function describeWithBrowser(name: string, body: (executablePath: string) => void): void {
  const executablePath = findChromium();
  if (executablePath) {
    describe(name, () => body(executablePath));
    return;
  }
  const reason =
    'no Chromium found (apt-get install chromium, or set CHROMIUM_PATH); browsers are never downloaded';
  if (process.env.CI === 'true') {
    describe(name, () => {
      it(`Chromium is required under CI=true: ${reason}`, () => {
        throw new Error(`CI=true requires Chromium for the browser tests: ${reason}`);
      });
    });
    return;
  }
  console.warn(`\n⚠ SKIPPED "${name}": ${reason}\n`);
  describe(name, () => {
    it.skip(`SKIPPED: Chromium unavailable: ${reason}`, () => undefined);
  });
}

function newestMtime(path: string): number {
  const stats = statSync(path);
  if (!stats.isDirectory()) return stats.mtimeMs;
  let newest = stats.mtimeMs;
  for (const entry of readdirSync(path)) {
    if (entry.endsWith('.spec.ts') || entry === 'test-support') continue;
    newest = Math.max(newest, newestMtime(join(path, entry)));
  }
  return newest;
}

/** Builds apps/web/dist with `vite build` unless it is newer than every source file. */
export function ensureDashboardBuilt(): string {
  const index = join(DIST, 'index.html');
  const sources = Math.max(
    newestMtime(join(WEB_ROOT, 'src')),
    newestMtime(join(WEB_ROOT, 'index.html')),
    newestMtime(join(WEB_ROOT, 'vite.config.ts')),
  );
  if (!existsSync(index) || statSync(index).mtimeMs < sources) {
    const vite = join(WEB_ROOT, 'node_modules', 'vite', 'bin', 'vite.js');
    // vitest sets NODE_ENV=test, which would make Vite bundle React's development build.
    execFileSync(process.execPath, [vite, 'build', '--logLevel', 'warn'], {
      cwd: WEB_ROOT,
      stdio: 'inherit',
      env: { ...process.env, NODE_ENV: 'production' },
    });
  }
  return DIST;
}

export async function launchBrowser(executablePath: string): Promise<Browser> {
  return chromium.launch({
    executablePath,
    headless: true,
    // Root in containers has no user namespaces for Chromium's sandbox.
    args: ['--no-sandbox', '--disable-dev-shm-usage'],
  });
}

/** A full-page screenshot of the view, after the pointer is moved out of the way. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const path = join(SCREENSHOTS, `${name}.png`);
  await page.mouse.move(0, 0);
  // From the top: a full-page capture of a scrolled page draws the sticky bars mid-page.
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path, fullPage: true });
  return path;
}

/**
 * Collects what the page reports as broken (uncaught errors, console errors), but for console
 * messages matching `expected` (e.g. the 401 of a refused step-up the test provokes).
 */
export function watchForPageErrors(page: Page, expected?: RegExp): string[] {
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(`pageerror: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() !== 'error' || expected?.test(message.text())) return;
    errors.push(`console: ${message.text()}`);
  });
  return errors;
}

/** Signs in through the sign-in page as the named person of the named organization. */
export async function signInAs(
  page: Page,
  baseUrl: string,
  printedName: string,
  organization: string,
) {
  await page.goto(`${baseUrl}/`);
  const org = page.locator('section.persona-org', {
    has: page.getByRole('heading', { name: organization }),
  });
  await org
    .getByRole('button', { name: new RegExp(`^Sign in as ${escapeRegExp(printedName)},`) })
    .click();
  await page.locator('.sidebar').waitFor();
}

export function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
