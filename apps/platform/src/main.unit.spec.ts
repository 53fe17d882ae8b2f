// The start command's entry, as `npm start` runs it (tools/start-embedded.sh, with the embedded
// process's Node settings): the command itself, loaded with Node's compile cache on, so that a
// restart reuses the code compiled (and the types stripped) by the run before.
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';

const START_EMBEDDED = fileURLToPath(new URL('../../../tools/start-embedded.sh', import.meta.url));
const folders: string[] = [];

/** The start script's `--help` with the system's temporary folder at a new folder: output, cached files. */
async function help(environment: Record<string, string> = {}) {
  const temporary = await mkdtemp(join(tmpdir(), 'concord-main-'));
  folders.push(temporary);
  const {
    NODE_COMPILE_CACHE: _cache,
    NODE_DISABLE_COMPILE_CACHE: _off,
    ...inherited
  } = process.env;
  const { stdout } = await promisify(execFile)('bash', [START_EMBEDDED, '--help'], {
    env: {
      ...inherited,
      // This Node, as the start command finds it once set up.
      PATH: `${dirname(process.execPath)}${delimiter}${inherited.PATH ?? ''}`,
      TMPDIR: temporary,
      ...environment,
    },
  });
  const cached = await readdir(join(temporary, 'node-compile-cache'), { recursive: true }).catch(
    () => [],
  );
  return { stdout, cached };
}

afterEach(async () => {
  await Promise.all(
    folders.splice(0).map((folder) => rm(folder, { recursive: true, force: true })),
  );
});

describe('the start command', () => {
  it('runs the platform command with the compile cache kept for the next start', async () => {
    const { stdout, cached } = await help();
    expect(stdout).toMatch(/^Usage: concord-platform \[options\]/);
    expect(stdout).toContain('--data <dir>');
    // The command's own modules and its dependencies, not just the entry.
    expect(cached.length).toBeGreaterThan(100);
  });

  it('keeps no cache where Node is told not to', async () => {
    const { stdout, cached } = await help({ NODE_DISABLE_COMPILE_CACHE: '1' });
    expect(stdout).toMatch(/^Usage: concord-platform/);
    expect(cached).toEqual([]);
  });
});
