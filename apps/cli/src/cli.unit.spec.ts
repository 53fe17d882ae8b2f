import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  validateEventData,
  verifyEventSignature,
  type OrganizationSigningKeyRegisteredV1,
} from '@concord/contract';
import { CDMO, example } from '@concord/ingest/test-support';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { run } from './cli.ts';
import { contentId, type PublishSummary } from './publish.ts';
import { captureIo } from './test-support/capture.ts';
import { CDMO_TOKEN, ingestServer, serve, type TestServer } from './test-support/ingest-server.ts';

/** The published example as a partner's system would export it: no id, no signature. */
function line(path: string, overrides: Record<string, unknown> = {}): string {
  const { id: _id, signature: _s, signaturekeyid: _k, ...event } = example(path);
  return JSON.stringify({ ...event, ...overrides });
}

/** The same, about another batch. */
function ofBatch(path: string, batchId: string): string {
  return line(path, { subject: batchId, data: { ...example(path).data, batchId } });
}

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'concord-cli-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function generateKey(): Promise<{
  keyId: string;
  publicKey: string;
  privateKeyFile: string;
  registration: OrganizationSigningKeyRegisteredV1;
}> {
  const { io, stdout } = captureIo();
  const code = await run(
    [
      'keys',
      'generate',
      '--org',
      CDMO,
      '--out',
      dir,
      '--valid-from',
      '2026-01-01T00:00:00Z',
      '--json',
    ],
    io,
  );
  expect(code).toBe(0);
  return JSON.parse(stdout.text);
}

describe('concord keys generate', () => {
  it('writes the private key for its owner only and prints the registration', async () => {
    const { io, stdout } = captureIo();
    io.clock = () => new Date('2026-11-25T10:11:12.345Z');
    expect(await run(['keys', 'generate', '--org', CDMO, '--out', dir], io)).toBe(0);
    const file = join(dir, `${CDMO}:2026-11.private.pem`);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(await readFile(file, 'utf8')).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    const json = /\{[\s\S]*\}/.exec(stdout.text)![0];
    const registration = JSON.parse(json) as OrganizationSigningKeyRegisteredV1;
    expect(registration).toMatchObject({
      organizationId: CDMO,
      keyId: `${CDMO}:2026-11`,
      algorithm: 'Ed25519',
      validFrom: '2026-11-25T10:11:12Z',
    });
    expect(stdout.text).toContain(
      `Public key (Ed25519, raw 32 bytes, base64): ${registration.publicKey}`,
    );
    expect(
      validateEventData('concord.organization.signing-key-registered.v1', registration).ok,
    ).toBe(true);
  });

  it('never overwrites a key unless told to, and refuses ids the platform would refuse', async () => {
    const args = ['keys', 'generate', '--org', CDMO, '--key-id', 'k1', '--out', dir];
    expect(await run(args, captureIo().io)).toBe(0);
    const again = captureIo();
    expect(await run(args, again.io)).toBe(2);
    expect(again.stderr.text).toMatch(/exists; pass --force/);
    expect(await run([...args, '--force'], captureIo().io)).toBe(0);
    const bad = captureIo();
    expect(await run(['keys', 'generate', '--org', 'no spaces', '--out', dir], bad.io)).toBe(2);
    expect(bad.stderr.text).toMatch(/organizationId/);
  });
});

describe('concord publish --http against the ingest endpoint', () => {
  let server: Awaited<ReturnType<typeof ingestServer>>;
  beforeAll(async () => {
    server = await ingestServer();
  });
  afterAll(async () => {
    await server.close();
  });

  it('signs with a key from keys generate, sends, reports rejections; a re-run is recognized', async () => {
    const key = await generateKey();
    await server.registerKey(key.registration);
    const file = join(dir, 'events.ndjson');
    const lines = [
      ofBatch('batch/scheduled.v1', 'northbridge-bio:b-cli-1'),
      ofBatch('batch/manufacturing-started.v1', 'northbridge-bio:b-cli-1'),
      ofBatch('batch/shipped.v1', 'northbridge-bio:b-cli-1'),
      ofBatch('batch/manufacturing-started.v1', 'northbridge-bio:b-nowhere'),
    ];
    await writeFile(file, `${lines.join('\n')}\n`);
    const args = [
      'publish',
      file,
      '--org',
      CDMO,
      '--key',
      key.privateKeyFile,
      '--key-id',
      key.keyId,
      '--http',
      server.url,
      '--token',
      CDMO_TOKEN,
    ];

    const first = captureIo();
    expect(await run(args, first.io)).toBe(1);
    expect(first.stdout.text).toContain('lines: 4 read, 0 invalid, 4 sent');
    expect(first.stdout.text).toContain('accepted: 2 (0 already recorded)');
    expect(first.stdout.text).toContain('rejected: 2');
    expect(first.stdout.text).toMatch(/^ {4}line 3: batch\.out-of-order: /m);
    expect(first.stdout.text).toMatch(/^ {4}line 4: subject\.unknown: /m);
    expect(first.stderr.text).toMatch(/^line 3: rejected: batch\.out-of-order/m);

    const again = captureIo();
    expect(await run([...args, '--json'], again.io)).toBe(1);
    const summary = JSON.parse(again.stdout.text) as PublishSummary;
    expect(summary).toMatchObject({ lines: 4, sent: 4, accepted: 2, duplicates: 2, rejected: 2 });
    expect(summary.rejectionsByCode).toEqual({
      'batch.out-of-order': 1,
      'subject.unknown': 1,
    });
    expect(summary.rejections[0]).toMatchObject({
      line: 3,
      id: contentId(`urn:concord:${CDMO}:mes`, JSON.parse(lines[2]!)),
    });
  });

  it('names the line of a malformed or invalid event, sends the rest, exits 1', async () => {
    const key = server.world.keys[CDMO]!;
    const keyFile = join(dir, 'cdmo.pem');
    await writeFile(keyFile, key.privateKeyPem, { mode: 0o600 });
    const file = join(dir, 'events.ndjson');
    await writeFile(
      file,
      [
        ofBatch('batch/scheduled.v1', 'northbridge-bio:b-cli-2'),
        '{"type": "concord.batch.scheduled.v1", "subject": ',
        '',
        line('batch/scheduled.v1', { actororg: 'helvion-tx' }),
      ].join('\r\n'),
    );
    const { io, stdout, stderr } = captureIo({ env: { CONCORD_TOKEN: CDMO_TOKEN } });
    const code = await run(
      [
        'publish',
        file,
        '--org',
        CDMO,
        '--key',
        keyFile,
        '--key-id',
        key.keyId,
        '--http',
        server.url,
      ],
      io,
    );
    expect(code).toBe(1);
    expect(stderr.text).toMatch(/^line 2: not valid JSON/m);
    expect(stderr.text).toMatch(/^line 4: invalid: The field \/actororg must be northbridge-bio/m);
    expect(stdout.text).toContain('lines: 3 read, 2 invalid, 1 sent');
    expect(stdout.text).toContain('accepted: 1');
  });

  it('a re-run of a line without time sends the same event (stamped with the file’s time)', async () => {
    const key = server.world.keys[CDMO]!;
    const keyFile = join(dir, 'cdmo.pem');
    await writeFile(keyFile, key.privateKeyPem, { mode: 0o600 });
    const file = join(dir, 'events.ndjson');
    const { time: _time, ...timeless } = JSON.parse(
      ofBatch('batch/scheduled.v1', 'northbridge-bio:b-cli-3'),
    );
    await writeFile(file, `${JSON.stringify(timeless)}\n`);
    const args = ['publish', file, '--org', CDMO, '--key', keyFile, '--key-id', key.keyId];
    const at = (time: string) => {
      const captured = captureIo({ env: { CONCORD_TOKEN: CDMO_TOKEN } });
      captured.io.clock = () => new Date(time);
      return captured;
    };
    const first = at('2026-03-02T08:00:00Z');
    expect(await run([...args, '--http', server.url, '--json'], first.io)).toBe(0);
    const second = at('2026-03-02T09:00:00Z');
    expect(await run([...args, '--http', server.url, '--json'], second.io)).toBe(0);
    expect(JSON.parse(second.stdout.text)).toMatchObject({ accepted: 1, duplicates: 1 });
    const [recorded] = await server.store.readStream('batch-northbridge-bio:b-cli-3');
    const envelope = recorded!.metadata.envelope as { time: string };
    expect(envelope.time).toBe((await stat(file)).mtime.toISOString());
  });

  it('exits 2 on a bad command line and 3 when the token is refused', async () => {
    const key = server.world.keys[CDMO]!;
    const keyFile = join(dir, 'cdmo.pem');
    await writeFile(keyFile, key.privateKeyPem, { mode: 0o600 });
    const file = join(dir, 'events.ndjson');
    await writeFile(file, `${line('batch/scheduled.v1')}\n`);
    const base = ['publish', file, '--org', CDMO, '--key', keyFile, '--key-id', key.keyId];

    for (const args of [
      base.slice(0, 2),
      base,
      [...base, '--http', server.url],
      [...base, '--http', server.url, '--kafka', '127.0.0.1:9092', '--token', 't'],
      ['publish', join(dir, 'missing.ndjson'), ...base.slice(2), '--dry-run'],
      [...base.slice(0, 5), join(dir, 'missing.pem'), ...base.slice(6), '--dry-run'],
      [...base, '--dry-run', '--source', 'urn:concord:helvion-tx:mes'],
    ]) {
      const { io, stderr } = captureIo();
      expect(await run(args, io), args.join(' ')).toBe(2);
      expect(stderr.text, args.join(' ')).toMatch(/error|concord:/);
    }

    const refused = captureIo();
    expect(await run([...base, '--http', server.url, '--token', 'stolen'], refused.io)).toBe(3);
    expect(refused.stdout.text).toMatch(
      /stopped at line 1: Concord answered 401 \(the token was refused\)/,
    );
  });
});

describe('concord publish on a large file', () => {
  let fake: TestServer;
  const batches: number[] = [];
  beforeAll(async () => {
    fake = await serve(async (request) => {
      const events = (await request.json()) as unknown[];
      batches.push(events.length);
      return Response.json({
        outcomes: events.map(() => ({ status: 'accepted', duplicate: false })),
      });
    });
  });
  afterAll(async () => {
    await fake.close();
  });

  it('streams it in batches of 500 and shows a progress bar on a terminal', async () => {
    const keyFile = join(dir, 'k.pem');
    const key = await generateKey();
    await writeFile(keyFile, await readFile(key.privateKeyFile));
    const file = join(dir, 'big.ndjson');
    const base = example('batch/qc-result-recorded.v1');
    const lines = Array.from({ length: 2001 }, (_, i) =>
      line('batch/qc-result-recorded.v1', {
        data: { ...base.data, resultId: `qc-${i}` },
      }),
    );
    await writeFile(file, `${lines.join('\n')}\n`);
    const { io, stdout, stderr } = captureIo({ ttyStderr: true });
    const code = await run(
      [
        'publish',
        file,
        '--org',
        CDMO,
        '--key',
        keyFile,
        '--key-id',
        key.keyId,
        '--http',
        fake.url,
        '--token',
        't',
        '--json',
      ],
      io,
    );
    expect(stderr.text).toContain('publishing |');
    expect(stderr.text).toContain('2001 lines');
    expect(code).toBe(0);
    expect(batches).toEqual([500, 500, 500, 500, 1]);
    expect(JSON.parse(stdout.text)).toMatchObject({ lines: 2001, sent: 2001, accepted: 2001 });
  });
});

describe('contentId', () => {
  it('is a stable UUID-shaped id of the source and content', () => {
    const value = { type: 't', data: { b: 1, a: 2 } };
    const id = contentId('urn:concord:x:y', value);
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(contentId('urn:concord:x:y', { data: { a: 2, b: 1 }, type: 't' })).toBe(id);
    expect(contentId('urn:concord:x:z', value)).not.toBe(id);
  });
});

// The signed events verify with the printed public key (what the platform will check).
describe('signatures made by publish', () => {
  it('verify with the public key keys generate printed', async () => {
    const key = await generateKey();
    const file = join(dir, 'one.ndjson');
    await writeFile(file, `${line('batch/scheduled.v1')}\n`);
    const received: Record<string, unknown>[] = [];
    const capture = await serve(async (request) => {
      const events = (await request.json()) as Record<string, unknown>[];
      received.push(...events);
      return Response.json({
        outcomes: events.map(() => ({ status: 'accepted', duplicate: false })),
      });
    });
    try {
      const { io } = captureIo();
      const args = [
        'publish',
        file,
        '--org',
        CDMO,
        '--key',
        key.privateKeyFile,
        '--key-id',
        key.keyId,
      ];
      expect(
        await run([...args, '--http', capture.url, '--token', 't', '--actor', 'nb-p-9999'], io),
      ).toBe(0);
    } finally {
      await capture.close();
    }
    expect(received).toHaveLength(1);
    expect(received[0]).toMatchObject({ signaturekeyid: key.keyId, actorid: 'nb-p-0212' });
    expect(verifyEventSignature(received[0]!, key.publicKey)).toBe(true);
  });
});
