import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { writePlatformKeyFile } from './test-support/ingest-process.ts';

const MAIN = fileURLToPath(new URL('./main.ts', import.meta.url));

// A server never makes up a platform key: without the one the operator provides, it says which
// setting is missing and stops, before it touches the database or the broker.
describe('the ingest process without a platform key', () => {
  it('refuses to start, naming CONCORD_PLATFORM_KEY_FILE', () => {
    const { CONCORD_PLATFORM_KEY_FILE: _unset, ...env } = process.env;
    const run = spawnSync(process.execPath, ['--experimental-strip-types', '--no-warnings', MAIN], {
      env: {
        ...env,
        DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none',
        KAFKA_BROKERS: '127.0.0.1:1',
      },
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(run.status).toBe(2);
    expect(run.stdout + run.stderr).toMatch(/CONCORD_PLATFORM_KEY_FILE is not set/);
  });
});

describe('the ingest process with an event store URL that is not KurrentDB', () => {
  it('refuses to start, naming CONCORD_EVENT_STORE_URL', () => {
    const run = spawnSync(process.execPath, ['--experimental-strip-types', '--no-warnings', MAIN], {
      env: {
        ...process.env,
        DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none',
        KAFKA_BROKERS: '127.0.0.1:1',
        CONCORD_PLATFORM_KEY_FILE: writePlatformKeyFile(),
        CONCORD_EVENT_STORE_URL: 'postgres://somewhere-else/events',
      },
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(run.status).toBe(2);
    expect(run.stdout + run.stderr).toMatch(/CONCORD_EVENT_STORE_URL must be a KurrentDB/);
  });
});
