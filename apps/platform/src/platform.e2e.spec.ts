import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sha256Hex } from '@concord/auth';
import { waitFor } from '@concord/test-infra';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPlatform, type Platform } from './platform.ts';

// The README's start command, as a new user gets it: the embedded platform on a fresh data
// folder with the demo feed (at test pace), then the same folder again after a restart.
describe('the embedded platform with its demo feed', () => {
  let dataDir: string;
  let platform: Platform | undefined;
  const logger = pino({ level: 'warn' });

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'concord-platform-'));
  });
  afterAll(async () => {
    await platform?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  async function graphql(token: string, query: string) {
    const response = await fetch(platform!.graphqlUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query }),
    });
    return (await response.json()) as { data?: Record<string, never>; errors?: unknown[] };
  }

  const tokenOf = (index: number) => {
    const persona = platform!.personas[index]!;
    return platform!.mintToken({
      personId: persona.personId,
      organizationId: persona.organizationId,
      roles: persona.roles,
    });
  };

  it('starts, and a demo token sees its batches moving', async () => {
    platform = await startPlatform({ dataDir, port: 0, logger, demo: { pace: 'fast' } });
    expect(platform.personas.map((p) => p.organizationId)).toEqual(
      expect.arrayContaining(['helvion-tx', 'aurora-bio']),
    );
    const sponsor = platform.personas.findIndex((p) => p.organizationId === 'helvion-tx');
    const token = await tokenOf(sponsor);
    const batches = await waitFor(
      async () => {
        const { data } = await graphql(
          token,
          '{ batches(first: 50) { totalCount edges { node { sponsorId status } } } }',
        );
        const found = data?.batches as unknown as {
          totalCount: number;
          edges: { node: { sponsorId: string; status: string } }[];
        };
        return found && found.edges.some((edge) => edge.node.status !== 'SCHEDULED')
          ? found
          : undefined;
      },
      { timeoutMs: 60_000, description: 'demo batches past scheduling' },
    );
    expect(batches.edges.every((edge) => edge.node.sponsorId === 'helvion-tx')).toBe(true);
    expect(platform.demoFeed!.stats().rejected).toBe(0);
  });

  it('shows a live change on a subscription (SSE)', async () => {
    const token = await tokenOf(0);
    const controller = new AbortController();
    const response = await fetch(platform!.graphqlUrl, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'text/event-stream',
        authorization: `Bearer ${token}`,
      },
      body: JSON.stringify({ query: 'subscription { batchChanged { batchId status } }' }),
      signal: controller.signal,
    });
    const reader = response.body!.getReader();
    let text = '';
    try {
      await waitFor(
        async () => {
          const { value } = await reader.read();
          text += new TextDecoder().decode(value);
          return text.includes('"batchChanged"') ? true : undefined;
        },
        { timeoutMs: 60_000, description: 'a batchChanged event' },
      );
    } finally {
      controller.abort();
    }
    expect(text).toMatch(/"status":"[A-Z_]+"/);
  });

  it('keeps its data across a restart and carries on without rejections', async () => {
    const token = await tokenOf(0);
    const before = (await graphql(token, '{ batches { totalCount } }')).data!
      .batches as unknown as {
      totalCount: number;
    };
    await platform!.close();
    platform = await startPlatform({ dataDir, port: 0, logger, demo: { pace: 'fast' } });
    const after = await graphql(await tokenOf(0), '{ batches { totalCount } }');
    expect(
      (after.data!.batches as unknown as { totalCount: number }).totalCount,
    ).toBeGreaterThanOrEqual(before.totalCount);
    await waitFor(async () => (platform!.demoFeed!.stats().accepted > 20 ? true : undefined), {
      timeoutMs: 60_000,
      description: 'the feed to go on after the restart',
    });
    expect(platform!.demoFeed!.stats().rejected).toBe(0);
  });

  it('signs what it records with the key in its data folder, the same one after the restart', async () => {
    const key = JSON.parse(await readFile(join(dataDir, 'platform-key.json'), 'utf8')) as {
      keyId: string;
    };
    expect((await stat(join(dataDir, 'platform-key.json'))).mode & 0o777).toBe(0o600);
    const keyring = JSON.parse(await readFile(join(dataDir, 'platform-keyring.json'), 'utf8'));
    expect(keyring.keys.map((k: { keyId: string }) => k.keyId)).toEqual([key.keyId]);
    // Every event without a partner's signature (the demo's organizations, agreements, derived
    // events) carries the platform's, and the batches verify with it.
    const recorded = await platform!.store.readAll({ maxCount: 500 });
    const platformSigned = recorded.filter((event) =>
      String(event.metadata.signaturekeyid).startsWith('concord:'),
    );
    expect(platformSigned.length).toBeGreaterThan(10);
    expect(new Set(platformSigned.map((event) => event.metadata.signaturekeyid))).toEqual(
      new Set([key.keyId]),
    );
    expect(recorded.filter((event) => typeof event.metadata.signature !== 'string')).toEqual([]);
    const answer = await graphql(
      await tokenOf(0),
      '{ batches(first: 3) { edges { node { verification { ok platformEvents } } } } }',
    );
    const nodes = (
      answer.data!.batches as unknown as {
        edges: { node: { verification: { ok: boolean; platformEvents: number } } }[];
      }
    ).edges.map((edge) => edge.node);
    expect(nodes.length).toBeGreaterThan(0);
    for (const node of nodes) expect(node.verification).toMatchObject({ ok: true });
  });
});

// Development sign-in hands a token for any demo person to anyone who reaches the port: only
// the embedded demo mounts it, and it can be switched off.
describe('the development sign-in', () => {
  const logger = pino({ level: 'warn' });
  const dirs: string[] = [];
  afterAll(async () => {
    await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
  });
  const start = async (options: Partial<Parameters<typeof startPlatform>[0]>) => {
    const dataDir = await mkdtemp(join(tmpdir(), 'concord-dev-sign-in-'));
    dirs.push(dataDir);
    return startPlatform({ dataDir, port: 0, logger, webRoot: false, ...options });
  };
  const routes = async (platform: Platform) => {
    const personas = await fetch(`${platform.url}/dev/personas`);
    const token = await fetch(`${platform.url}/dev/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ personId: 'htx-p-0021', password: 'concord-demo' }),
    });
    const stepUp = await fetch(`${platform.url}/dev/step-up`, { method: 'POST' });
    return [personas.status, token.status, stepUp.status];
  };

  it('is mounted for the embedded demo by default, and switched off on request', async () => {
    const on = await start({ demo: { pace: 'fast' } });
    try {
      expect(on.devSignIn).toBe(true);
      expect((await routes(on))[0]).toBe(200);
    } finally {
      await on.close();
    }
    const off = await start({ demo: { pace: 'fast' }, devSignIn: false });
    try {
      expect(off.devSignIn).toBe(false);
      expect(await routes(off)).toEqual([404, 404, 404]);
    } finally {
      await off.close();
    }
  });

  it('is never mounted without the demo, and refused when asked for', async () => {
    const bare = await start({ demo: false });
    try {
      expect(bare.devSignIn).toBe(false);
      expect(await routes(bare)).toEqual([404, 404, 404]);
    } finally {
      await bare.close();
    }
    await expect(start({ demo: false, devSignIn: true })).rejects.toThrow(/only for the demo/);
    await expect(
      start({ databaseUrl: 'postgres://nobody@127.0.0.1:1/none', devSignIn: true }),
    ).rejects.toThrow(/not with --database-url/);
  });
});

// Each credential for its purpose: partner systems send events with their API keys; a person's
// sign-in token reads and a step-up token signs one act, and neither sends events.
describe('HTTP ingest credentials', () => {
  const logger = pino({ level: 'warn' });
  let dataDir: string;
  let platform: Platform | undefined;
  const KEY = 'nb-mes-test-key-0001';
  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'concord-ingest-credentials-'));
    platform = await startPlatform({
      dataDir,
      port: 0,
      logger,
      webRoot: false,
      demo: false,
      apiKeys: [{ sha256: sha256Hex(KEY), organizationId: 'northbridge-bio', systemId: 'mes' }],
    });
  });
  afterAll(async () => {
    await platform?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  const send = (authorization: string) =>
    fetch(platform!.ingestUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/cloudevents-batch+json', authorization },
      // Unsigned, so refused, but answered: the credential is what this is about.
      body: JSON.stringify([
        { specversion: '1.0', id: 'e-1', source: 'urn:concord:northbridge-bio:mes', type: 'x' },
      ]),
    });

  it("takes a partner system's API key, and refuses a person's sign-in token", async () => {
    const person = { personId: 'nb-p-0212', organizationId: 'northbridge-bio', roles: ['qa'] };
    const answered = await send(`ApiKey ${KEY}`);
    expect(answered.status).toBe(200);
    expect(((await answered.json()) as { outcomes: unknown[] }).outcomes).toHaveLength(1);
    const refused = await send(`Bearer ${await platform!.mintToken(person)}`);
    expect(refused.status).toBe(401);
    expect(await refused.json()).toEqual({
      error: "a partner system's credential is required (Authorization: ApiKey <key>)",
    });
    expect((await send('ApiKey not-a-key')).status).toBe(401);
  });
});
