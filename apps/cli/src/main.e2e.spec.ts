import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CDMO, example } from '@concord/ingest/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CDMO_TOKEN, ingestServer } from './test-support/ingest-server.ts';

const main = fileURLToPath(new URL('./main.ts', import.meta.url));

/** Runs `node src/main.ts ...` as partners do; never throws on a non-zero exit. */
function concord(args: string[], env: Record<string, string> = {}) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(
      process.execPath,
      [main, ...args],
      { env: { ...process.env, ...env }, timeout: 30_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

describe('the concord command, as a process', () => {
  let dir: string;
  let server: Awaited<ReturnType<typeof ingestServer>>;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'concord-cli-e2e-'));
    server = await ingestServer();
  });
  afterAll(async () => {
    await server?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('generates a key, then publishes a file signed with it over HTTP', async () => {
    const keys = await concord([
      'keys',
      'generate',
      '--org',
      CDMO,
      '--key-id',
      `${CDMO}:e2e`,
      '--valid-from',
      '2026-01-01T00:00:00Z',
      '--out',
      dir,
      '--json',
    ]);
    expect(keys.stderr).toBe('');
    expect(keys.code).toBe(0);
    const generated = JSON.parse(keys.stdout);
    expect((await stat(generated.privateKeyFile)).mode & 0o777).toBe(0o600);
    await server.registerKey(generated.registration);

    const {
      id: _id,
      signature: _s,
      signaturekeyid: _k,
      ...scheduled
    } = example('batch/scheduled.v1');
    const file = join(dir, 'events.ndjson');
    await writeFile(file, `${JSON.stringify(scheduled)}\nnot json\n`);
    const publish = await concord(
      [
        'publish',
        file,
        '--org',
        CDMO,
        '--key',
        generated.privateKeyFile,
        '--key-id',
        generated.keyId,
        '--http',
        server.url,
      ],
      { CONCORD_TOKEN: CDMO_TOKEN },
    );
    expect(publish.stderr).toMatch(/^line 2: not valid JSON/m);
    expect(publish.stdout).toContain('lines: 2 read, 1 invalid, 1 sent');
    expect(publish.stdout).toContain('accepted: 1 (0 already recorded)');
    expect(publish.code).toBe(1);

    const usage = await concord(['publish']);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/required option '--org <id>' not specified/);
  });

  it('keeps the code it compiled for the next command (Node compile cache)', async () => {
    const temporary = join(dir, 'tmp');
    await mkdir(temporary);
    const help = await concord(['--help'], { TMPDIR: temporary, NODE_COMPILE_CACHE: '' });
    expect(help.code).toBe(0);
    const cached = await readdir(join(temporary, 'node-compile-cache'), { recursive: true });
    expect(cached.length).toBeGreaterThan(100);
  });
});
