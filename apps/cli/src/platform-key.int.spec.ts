import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  backUpStore,
  recordSignedStory,
  rewriteAgreementTerms,
  swapGlobalNeighbours,
  type BatchStory,
} from '@concord/audit/test-support';
import type { PostgresEventStore } from '@concord/event-store-postgres';
import { loadPlatformKey } from '@concord/evidence';
import { pgDatabase, type SqlDatabase } from '@concord/sql';
import { describeWithPostgres } from '@concord/test-infra/vitest';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { run } from './cli.ts';
import { captureIo } from './test-support/capture.ts';

// The operator makes the platform's key and keyring; the platform signs with the key; the auditor
// verifies with the keyring, and so catches what the hash chain alone cannot.
describeWithPostgres('the platform key, from the operator to the auditor', (database) => {
  let db: SqlDatabase;
  let raw: PostgresEventStore;
  let story: BatchStory;
  let restore: () => Promise<void>;
  let dir: string;
  const file = (name: string) => join(dir, name);
  const env = () => ({ DATABASE_URL: database().url });

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'concord-platform-key-'));
    const made = captureIo({ env: {} });
    const generate = [
      'keys',
      'platform',
      'generate',
      '--out',
      file('key-2026.json'),
      '--keyring',
      file('keyring.json'),
      '--valid-from',
      '2026-01-01T00:00:00Z',
    ];
    expect(await run(generate, made.io)).toBe(0);
    expect(made.stdout.text).toContain(`CONCORD_PLATFORM_KEY_FILE=${file('key-2026.json')}`);
    const { key } = await loadPlatformKey({ CONCORD_PLATFORM_KEY_FILE: file('key-2026.json') });
    db = pgDatabase({ connectionString: database().url });
    ({ raw, story } = await recordSignedStory(db, key));
    restore = await backUpStore(db);
  });
  afterEach(async () => restore());
  afterAll(async () => {
    await raw?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('writes the key for its owner only, and rotates it keeping the older public key', async () => {
    expect((await stat(file('key-2026.json'))).mode & 0o777).toBe(0o600);
    const again = captureIo({ env: {} });
    const refused = ['keys', 'platform', 'generate', '--out', file('key-2026.json')];
    expect(await run([...refused, '--keyring', file('keyring.json')], again.io)).toBe(2);
    expect(again.stderr.text).toMatch(/exists; pass --force/);

    // Rotation: the 2026 key ends where the new one starts, and stays in the keyring.
    const keyring = JSON.parse(await readFile(file('keyring.json'), 'utf8'));
    const rotation = captureIo({ env: {} });
    const rotate = [
      ...['keys', 'platform', 'generate', '--out', file('key-2027.json')],
      ...['--keyring', file('keyring.json'), '--valid-from', '2027-01-01T00:00:00Z'],
    ];
    expect(await run(rotate, rotation.io)).toBe(0);
    const rotated = JSON.parse(await readFile(file('keyring.json'), 'utf8'));
    expect(rotated.keys).toHaveLength(2);
    expect(rotated.keys[0]).toEqual({ ...keyring.keys[0], validUntil: '2027-01-01T00:00:00Z' });
    expect(rotation.stdout.text).toMatch(
      /takes over at 2027-01-01T00:00:00Z from concord:2026-01-01-/,
    );
  });

  it('verifies the record with the keyring, and says when it was not given one', async () => {
    const checked = captureIo({ env: env() });
    const verify = ['audit', 'verify', '--batch', story.batchId];
    expect(await run([...verify, '--platform-keyring', file('keyring.json')], checked.io)).toBe(0);
    expect(checked.stdout.text).toMatch(/^VERIFIED batch/);
    expect(checked.stdout.text).toMatch(/platform signatures checked against \d platform key/);
    const unchecked = captureIo({ env: env() });
    expect(await run(verify, unchecked.io)).toBe(0);
    expect(unchecked.stdout.text).toContain('platform signatures NOT checked');
  });

  it('fails an agreement rewritten with its hash chain, with the keyring from the environment', async () => {
    const { streamId } = await rewriteAgreementTerms(db, raw);
    const verify = ['audit', 'verify', '--batch', story.batchId];
    expect(await run(verify, captureIo({ env: env() }).io)).toBe(0);
    const { io, stdout } = captureIo({
      env: { ...env(), CONCORD_PLATFORM_KEYRING_FILE: file('keyring.json') },
    });
    expect(await run(verify, io)).toBe(1);
    expect(stdout.text).toContain(`first broken link: stream ${streamId}, version 1`);
    expect(stdout.text).toMatch(/signature \(invalid\): .*changed after it was signed/);
  });

  it('signs a checkpoint an auditor keeps, and the store is later held to it', async () => {
    const signing = captureIo({ env: env() });
    signing.io.clock = () => new Date('2026-06-01T00:00:00Z');
    const checkpoint = [
      ...['audit', 'checkpoint', '--platform-key', file('key-2026.json')],
      ...['--out', file('checkpoint.json')],
    ];
    expect(await run(checkpoint, signing.io)).toBe(0);
    const kept = JSON.parse(await readFile(file('checkpoint.json'), 'utf8'));
    expect(kept).toMatchObject({
      treeSize: expect.any(Number),
      keyId: expect.stringMatching(/^concord:/),
    });

    const verify = [
      ...['audit', 'verify', '--all', '--platform-keyring', file('keyring.json')],
      ...['--checkpoint', file('checkpoint.json')],
    ];
    const held = captureIo({ env: env() });
    expect(await run(verify, held.io)).toBe(0);
    expect(held.stdout.text).toContain(
      `CHECKPOINT held (you kept, 2026-06-01T00:00:00.000Z): the first ${kept.treeSize} events`,
    );

    // The insider swaps two neighbours of different streams: each chain still holds.
    await swapGlobalNeighbours(db, raw);
    const caught = captureIo({ env: env() });
    expect(await run(verify, caught.io)).toBe(1);
    expect(caught.stdout.text).toMatch(/^VERIFIED the whole store/);
    expect(caught.stdout.text).toContain('CHECKPOINT FAILED (rewritten; you kept');

    const without = captureIo({ env: env() });
    expect(
      await run(['audit', 'verify', '--all', '--checkpoint', file('checkpoint.json')], without.io),
    ).toBe(2);
    expect(without.stderr.text).toContain('--checkpoint needs the platform keyring');
  });

  it('exports a batch’s evidence bundle that concord-verify checks offline, before and after an insider', async () => {
    const signing = captureIo({ env: env() });
    signing.io.clock = () => new Date('2026-06-01T00:00:00Z');
    const checkpoint = ['audit', 'checkpoint', '--platform-key', file('key-2026.json')];
    expect(await run([...checkpoint, '--out', file('kept.json')], signing.io)).toBe(0);
    const kept = JSON.parse(await readFile(file('kept.json'), 'utf8')) as { treeSize: number };

    const exportBundle = async (out: string) => {
      const exporting = captureIo({ env: env() });
      exporting.io.clock = () => new Date('2026-06-02T00:00:00Z');
      const args = [
        ...['audit', 'export', '--batch', story.batchId, '--out', out],
        ...['--platform-key', file('key-2026.json'), '--platform-keyring', file('keyring.json')],
        ...['--since', String(kept.treeSize)],
      ];
      expect(await run(args, exporting.io)).toBe(0);
      expect(exporting.stderr.text).toContain(
        `evidence bundle of batch ${story.batchId}: 5 streams`,
      );
    };
    const verifyOffline = (bundle: string, ...more: string[]) =>
      concordVerify([
        bundle,
        ...['--platform-keys', file('keyring.json'), '--checkpoint', file('kept.json')],
        ...more,
      ]);

    await exportBundle(file('bundle.json'));
    const written = JSON.parse(await readFile(file('bundle.json'), 'utf8')) as {
      report: { pdfBase64: string };
    };
    expect(Buffer.from(written.report.pdfBase64, 'base64').subarray(0, 5).toString()).toBe('%PDF-');
    const intact = await verifyOffline(file('bundle.json'));
    expect(intact.code).toBe(0);
    expect(intact.stdout).toMatch(new RegExp(`^VERIFIED: batch ${story.batchId}\n`));
    expect(intact.stdout).toContain(
      `the log extends the kept checkpoint of ${kept.treeSize} events`,
    );

    // The insider swaps two neighbours of the global order: each stream's chain still holds.
    await swapGlobalNeighbours(db, raw);
    await exportBundle(file('bundle-after.json'));
    // The audit on the database holds the store to the latest checkpoint the platform recorded.
    const audited = captureIo({ env: env() });
    const verifyBatch = ['audit', 'verify', '--batch', story.batchId];
    expect(
      await run([...verifyBatch, '--platform-keyring', file('keyring.json')], audited.io),
    ).toBe(1);
    expect(audited.stdout.text).toContain('CHECKPOINT FAILED (rewritten; latest recorded');
    const caught = await verifyOffline(file('bundle-after.json'), '--json');
    expect(caught.code).toBe(1);
    const verdict = JSON.parse(caught.stdout) as { ok: boolean; firstProblem: { check: string } };
    expect(verdict).toMatchObject({ ok: false, firstProblem: { check: 'kept-checkpoint' } });

    const unusable = await concordVerify([file('missing.json')]);
    expect(unusable.code).toBe(2);
    expect(unusable.stderr).toMatch(/missing\.json: cannot read the evidence bundle/);
  });
});

/** Runs the standalone verifier's command as an inspector would: another process, no database. */
async function concordVerify(
  args: string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  const bin = createRequire(import.meta.url).resolve('@concord/verifier/bin/concord-verify.ts');
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, ...args], { env: {} }, (error, stdout, stderr) =>
      resolve({ code: error ? Number(error.code) : 0, stdout, stderr }),
    );
  });
}
