import { execFile } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Debian's package installs /usr/bin/chromium; other systems name it otherwise. */
const CANDIDATES = ['chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable'];

const executable = (path: string) => {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
};

/**
 * The headless browser to render with: $CHROMIUM_PATH, else the first candidate on PATH. An
 * explicit choice that cannot run is reported as such, never silently replaced.
 */
export function findChromium(
  env: NodeJS.ProcessEnv = process.env,
): { available: true; path: string } | { available: false; reason: string } {
  if (env.CHROMIUM_PATH) {
    return executable(env.CHROMIUM_PATH)
      ? { available: true, path: env.CHROMIUM_PATH }
      : { available: false, reason: `CHROMIUM_PATH=${env.CHROMIUM_PATH} is not an executable` };
  }
  for (const directory of (env.PATH ?? '').split(delimiter)) {
    for (const name of CANDIDATES) {
      const candidate = join(directory, name);
      if (executable(candidate)) return { available: true, path: candidate };
    }
  }
  return {
    available: false,
    reason: `none of ${CANDIDATES.join(', ')} on PATH and no CHROMIUM_PATH (apt-get install chromium)`,
  };
}

// As root and without a network: no sandbox, and nothing that phones home at start.
const HEADLESS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--hide-scrollbars',
];

async function headless(chromium: string, args: string[]): Promise<void> {
  const profile = await mkdtemp(join(tmpdir(), 'concord-chromium-'));
  try {
    await run(chromium, [...HEADLESS, `--user-data-dir=${profile}`, ...args], {
      timeout: 90_000,
    });
  } finally {
    await rm(profile, { recursive: true, force: true });
  }
}

/** A PNG of the page at `htmlFile`, as a browser window of the given size shows it. */
export async function screenshot(
  chromium: string,
  htmlFile: string,
  pngFile: string,
  size: { width: number; height: number },
): Promise<void> {
  await headless(chromium, [
    `--window-size=${size.width},${size.height}`,
    `--screenshot=${pngFile}`,
    pathToFileURL(htmlFile).href,
  ]);
}

/** The page printed to PDF, as an inspector would print it. */
export async function printToPdf(
  chromium: string,
  htmlFile: string,
  pdfFile: string,
): Promise<void> {
  await headless(chromium, [
    '--no-pdf-header-footer',
    `--print-to-pdf=${pdfFile}`,
    pathToFileURL(htmlFile).href,
  ]);
}
