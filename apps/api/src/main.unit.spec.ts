import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generatePlatformKey } from '@concord/evidence';
import { describe, expect, it } from 'vitest';

const MAIN = fileURLToPath(new URL('./main.ts', import.meta.url));

/** The API process with `env` (over a database nobody listens on), to its exit. */
function runApi(env: Record<string, string | undefined>) {
  const {
    CONCORD_PLATFORM_KEY_FILE: _key,
    CONCORD_EVENT_STORE_URL: _store,
    ...inherited
  } = process.env;
  return spawnSync(process.execPath, ['--experimental-strip-types', '--no-warnings', MAIN], {
    env: { ...inherited, DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none', ...env },
    encoding: 'utf8',
    timeout: 30_000,
  });
}

// A misconfigured server says which setting is wrong and stops, before it touches a database.
describe('the API process, misconfigured', () => {
  it('refuses an event store URL that is not KurrentDB, naming CONCORD_EVENT_STORE_URL', () => {
    const run = runApi({ CONCORD_EVENT_STORE_URL: 'mysql://somewhere/events' });
    expect(run.status).toBe(2);
    expect(run.stdout + run.stderr).toMatch(/CONCORD_EVENT_STORE_URL must be a KurrentDB/);
  });

  it('refuses to start without the platform key, naming CONCORD_PLATFORM_KEY_FILE', () => {
    const issuerKey = join(mkdtempSync(join(tmpdir(), 'concord-api-main-')), 'dev-issuer.json');
    const run = runApi({ CONCORD_DEV_ISSUER_KEY: issuerKey });
    expect(run.status).toBe(2);
    expect(run.stdout + run.stderr).toMatch(/CONCORD_PLATFORM_KEY_FILE is not set/);
  });

  it('takes a KurrentDB URL and goes on to the next check', () => {
    const keyFile = join(mkdtempSync(join(tmpdir(), 'concord-api-main-')), 'key.json');
    writeFileSync(keyFile, JSON.stringify(generatePlatformKey(new Date().toISOString())));
    // No identity configured: the next refusal, after the store URL was accepted.
    const run = runApi({
      CONCORD_EVENT_STORE_URL: 'kurrentdb://127.0.0.1:1?tls=false',
      CONCORD_PLATFORM_KEY_FILE: keyFile,
    });
    expect(run.status).toBe(2);
    expect(run.stdout + run.stderr).toMatch(/set CONCORD_JWKS_URL/);
  });
});
