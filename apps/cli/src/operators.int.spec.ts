import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Authenticator, DEV_AUDIENCE, DEV_ISSUER, DevIssuer } from '@concord/auth';
import { PostgresEventStore } from '@concord/event-store-postgres';
import { PAIR_A, partnerExchange } from '@concord/ingest/test-support';
import { migrateReadModel, Projector } from '@concord/read-model';
import { pgDatabase } from '@concord/sql';
import { describeWithPostgres } from '@concord/test-infra/vitest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from './cli.ts';
import { captureIo } from './test-support/capture.ts';

describeWithPostgres('concord projections rebuild', (database) => {
  const db = () => pgDatabase({ connectionString: database().url });
  const batchIds = [
    'northbridge-bio:b-nb-hlv201-26-0801',
    'northbridge-bio:b-nb-hlv201-26-0802',
    'northbridge-bio:b-nb-hlv201-26-0803',
  ];

  beforeAll(async () => {
    const sql = db();
    const store = await PostgresEventStore.open(sql);
    await migrateReadModel(sql);
    const exchange = await partnerExchange(store, {
      clock: () => new Date('2026-05-01T12:00:00Z'),
    });
    for (const batchId of batchIds) {
      const batch = exchange.feed.batch(PAIR_A, batchId);
      await exchange.publish([
        batch.scheduled('2026-04-10T08:00:00Z'),
        batch.started('2026-04-11T08:00:00Z'),
      ]);
    }
    await new Projector({ store, db: sql }).catchUp();
    await store.close();
  });

  const batches = async () => {
    const sql = db();
    const { rows } = await sql.query<{ id: string; status: string }>(
      'select id, status from rm_batches order by id',
    );
    await sql.close();
    return rows;
  };

  it('rebuilds the read model from position 0 to the same rows, with a summary', async () => {
    const before = await batches();
    expect(before).toHaveLength(3);
    const { io, stdout } = captureIo({ env: { DATABASE_URL: database().url } });
    expect(await run(['projections', 'rebuild', '--json', '--batch-size', '5'], io)).toBe(0);
    const summary = JSON.parse(stdout.text) as { projected: number; eventsPerSecond: number };
    expect(summary.projected).toBeGreaterThan(6);
    expect(await batches()).toEqual(before);
  });

  it('shows a progress bar with the rate on a terminal', async () => {
    const { io, stderr } = captureIo({ env: { DATABASE_URL: database().url }, ttyStderr: true });
    expect(await run(['projections', 'rebuild'], io)).toBe(0);
    expect(stderr.text).toMatch(/rebuilding \|.*\| 100% \|.* events\/s/);
  });

  it('says which database is missing', async () => {
    const { io, stderr } = captureIo();
    expect(await run(['projections', 'rebuild'], io)).toBe(2);
    expect(stderr.text).toMatch(/--database-url/);
  });
});

describe('concord tokens mint', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'concord-tokens-'));
  });
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  it('mints tokens the API accepts, with the key the API created', async () => {
    const keyFile = join(dir, 'dev-issuer.json');
    const issuer = await DevIssuer.open(keyFile); // what the API does at start
    const authenticator = new Authenticator({
      issuer: DEV_ISSUER,
      audience: DEV_AUDIENCE,
      keys: issuer.jwks(),
    });
    const { io, stdout } = captureIo({ env: { CONCORD_DEV_ISSUER_KEY: keyFile } });
    expect(
      await run(
        ['tokens', 'mint', '--org', 'helvion-tx', '--person', 'htx-p-0301', '--role', 'qa', 'qp'],
        io,
      ),
    ).toBe(0);
    expect(await authenticator.authenticate(`Bearer ${stdout.text.trim()}`)).toMatchObject({
      personId: 'htx-p-0301',
      organizationId: 'helvion-tx',
      roles: ['qa', 'qp'],
    });
    const stepUp = captureIo({ env: { CONCORD_DEV_ISSUER_KEY: keyFile } });
    await run(
      ['tokens', 'mint', '--org', 'helvion-tx', '--person', 'htx-p-0301', '--step-up'],
      stepUp.io,
    );
    await expect(
      authenticator.verifyStepUp(stepUp.stdout.text.trim(), 'htx-p-0301'),
    ).resolves.toMatchObject({ personId: 'htx-p-0301' });
  });

  it('refuses to invent a key the API does not know', async () => {
    const { io, stderr } = captureIo();
    expect(
      await run(
        ['tokens', 'mint', '--org', 'x', '--person', 'y', '--key-file', join(dir, 'none.json')],
        io,
      ),
    ).toBe(2);
    expect(stderr.text).toMatch(/does not exist/);
  });
});
