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

/** The headless browser to render with: $CHROMIUM_PATH, else the first candidate on PATH. */
export function findChromium(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.CHROMIUM_PATH) return env.CHROMIUM_PATH;
  for (const directory of (env.PATH ?? '').split(delimiter)) {
    for (const name of CANDIDATES) {
      const candidate = join(directory, name);
      try {
        accessSync(candidate, constants.X_OK);
        return candidate;
      } catch {
        // not here
      }
    }
  }
  return undefined;
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
