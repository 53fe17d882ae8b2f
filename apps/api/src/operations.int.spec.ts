import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Authenticator, DEV_AUDIENCE, DEV_ISSUER, DevIssuer } from '@concord/auth';
import { PostgresEventStore } from '@concord/event-store-postgres';
import { PAIR_A, partnerExchange, personIn, SPONSOR } from '@concord/ingest/test-support';
import { readModelPrisma, type ReadModelPrisma } from '@concord/read-model';
import { pgDatabase, type SqlDatabase } from '@concord/sql';
import { parsePrometheusText, type Family } from '@concord/test-infra';
import { describeWithPostgres } from '@concord/test-infra/vitest';
import pino from 'pino';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startApiServer, type ApiServer } from './api-server.ts';

const A1 = 'northbridge-bio:b-nb-hlv201-26-0901';

describeWithPostgres('the API for operators: /health, /ready, /metrics', (database) => {
  let db: SqlDatabase;
  let store: PostgresEventStore;
  let prisma: ReadModelPrisma;
  let server: ApiServer;
  let webRoot: string;
  let token: string;

  beforeAll(async () => {
    webRoot = await mkdtemp(join(tmpdir(), 'concord-web-root-'));
    await mkdir(join(webRoot, 'assets'));
    await writeFile(join(webRoot, 'index.html'), '<!doctype html><title>Concord</title>');
    await writeFile(join(webRoot, 'assets', 'app-1234.js'), 'console.log(1);');
    db = pgDatabase({ connectionString: database().url });
    store = await PostgresEventStore.open(db);
    prisma = readModelPrisma({ connectionString: database().url });
    const issuer = await DevIssuer.open();
    const authenticator = new Authenticator({
      issuer: DEV_ISSUER,
      audience: DEV_AUDIENCE,
      keys: issuer.jwks(),
    });
    server = await startApiServer({
      store,
      db,
      prisma,
      authenticator,
      logger: pino({ level: 'silent' }),
      port: 0,
      webRoot,
      maxProjectorLagEvents: 1_000,
    });
    const exchange = await partnerExchange(store);
    const batch = exchange.feed.batch(PAIR_A, A1);
    await exchange.publish([batch.scheduled('2026-04-10T08:00:00Z')]);
    await server.projector.catchUp();
    const qa = personIn(SPONSOR, 'qa');
    token = await issuer.mint({
      personId: qa.personId,
      organizationId: SPONSOR,
      roles: ['qa'],
      name: qa.printedName,
    });
  });

  afterAll(async () => {
    await server?.close();
    await prisma?.$disconnect();
    await store?.close();
    await rm(webRoot, { recursive: true, force: true });
  });

  const get = (path: string, init?: RequestInit) => fetch(`${server.url}${path}`, init);
  const graphql = (query: string, operationName?: string) =>
    fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query, ...(operationName ? { operationName } : {}) }),
    });
  const metrics = async () => {
    const response = await get('/metrics');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    return parsePrometheusText(await response.text());
  };
  const family = (families: Map<string, Family>, name: string): Family => {
    const found = families.get(name);
    if (!found) throw new Error(`no metric ${name} in /metrics`);
    return found;
  };

  it('answers 404 for a path it does not serve, never the dashboard page', async () => {
    for (const path of ['/readyz', '/ready/now', '/metrics.txt', '/batches/b-1', '/nope.html'])
      expect({ path, status: (await get(path)).status }).toEqual({ path, status: 404 });
    expect((await get('/', { method: 'POST' })).status).toBe(404);
    // What it does serve: the dashboard at /, its files, GraphQL.
    const page = await get('/');
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<title>Concord</title>');
    expect((await get('/assets/app-1234.js')).status).toBe(200);
    expect((await graphql('{ __typename }')).status).toBe(200);
  });

  it('is live at /health and ready at /ready with its checks', async () => {
    expect((await get('/health')).status).toBe(200);
    const ready = await get('/ready');
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({
      ready: true,
      checks: {
        database: { ok: true },
        migrations: { ok: true },
        projector: { ok: true, lagEvents: 0, maxLagEvents: 1_000 },
      },
    });
  });

  it('serves Prometheus text: projector lag, subscribers, operations by name, pool', async () => {
    expect((await graphql('query BoardCards { batches(first: 5) { totalCount } }')).status).toBe(
      200,
    );
    await graphql('query Broken { noSuchField }');
    // Hostile operation names do not each become a series.
    for (let n = 0; n < 3; n += 1) await graphql(`query Name${'x'.repeat(70)}${n} { __typename }`);
    const families = await metrics();
    const value = (name: string) => family(families, name).samples[0]!.value;
    expect(value('concord_projector_lag_events')).toBe(0);
    expect(value('concord_projector_lag_seconds')).toBe(0);
    expect(value('concord_projector_position')).toBe(Number(await store.headPosition()));
    expect(value('concord_store_head_position')).toBe(Number(await store.headPosition()));
    expect(value('concord_graphql_subscribers')).toBe(0);
    expect(value('concord_projector_dead_letters')).toBe(0);
    // Alone on its database, this server leads the projector and the process manager.
    expect(
      family(families, 'concord_leader').samples.map(({ labels, value }) => [labels.role, value]),
    ).toEqual(
      expect.arrayContaining([
        ['read-model', 1],
        ['process-manager-deviation-batch', 1],
      ]),
    );
    const durations = family(families, 'concord_graphql_operation_duration_seconds');
    expect(durations.type).toBe('histogram');
    const counts = durations.samples.filter((sample) => sample.name.endsWith('_count'));
    const series = counts.map((sample) => sample.labels);
    expect(series).toContainEqual({ operation: 'BoardCards', type: 'query', outcome: 'ok' });
    expect(series.some((labels) => labels.operation === 'Broken')).toBe(false); // never executed
    const errors = family(families, 'concord_graphql_errors_total').samples;
    expect(errors.find((s) => s.labels.code === 'GRAPHQL_VALIDATION_FAILED')?.value).toBe(1);
    expect(series).toContainEqual({ operation: 'other', type: 'query', outcome: 'ok' });
    expect(counts.find((sample) => sample.labels.operation === 'BoardCards')!.value).toBe(1);
    expect(counts.find((sample) => sample.labels.operation === 'other')!.value).toBe(3);
    const pool = family(families, 'concord_db_pool_connections').samples;
    expect(pool.map((sample) => sample.labels.state).sort()).toEqual(['idle', 'total', 'waiting']);
    expect(pool.find((sample) => sample.labels.state === 'total')!.value).toBeGreaterThan(0);
    expect(family(families, 'concord_api_process_resident_memory_bytes').type).toBe('gauge');
  });

  it('reports the lag of events stored and not yet projected', async () => {
    // Events appended straight to the store, the projector told nothing yet: it is behind.
    const projecting = server.projector;
    const before = await projecting.checkpoint();
    const exchange = await partnerExchange(store);
    const batch = exchange.feed.batch(PAIR_A, 'northbridge-bio:b-nb-hlv201-26-0902');
    await exchange.publish([batch.scheduled('2026-04-11T08:00:00Z')]);
    const head = await store.headPosition();
    const families = await metrics();
    const lag = family(families, 'concord_projector_lag_events').samples[0]!.value;
    // The live projector may already have taken some of them; never more than were appended.
    expect(lag).toBeLessThanOrEqual(Number(head - before));
    await projecting.catchUp();
    const after = await metrics();
    expect(family(after, 'concord_projector_lag_events').samples[0]!.value).toBe(0);
  });

  it('times each event its projector commits, from its recording to the read model', async () => {
    const visibility = async () => {
      const histogram = family(await metrics(), 'concord_projector_visibility_seconds');
      expect(histogram.type).toBe('histogram');
      const value = (name: string) => histogram.samples.find((s) => s.name === name)!.value;
      const infinite = histogram.samples.find((s) => s.labels.le === '+Inf')!.value;
      const count = value('concord_projector_visibility_seconds_count');
      expect(infinite).toBe(count);
      return { count, sum: value('concord_projector_visibility_seconds_sum') };
    };
    const before = await visibility();
    const from = await server.projector.checkpoint();
    const exchange = await partnerExchange(store);
    const batch = exchange.feed.batch(PAIR_A, 'northbridge-bio:b-nb-hlv201-26-0903');
    await exchange.publish([
      batch.scheduled('2026-04-12T08:00:00Z'),
      batch.started('2026-04-13T06:00:00Z'),
    ]);
    await server.projector.catchUp();
    const projected = await store.readAll({ after: from, maxCount: 1_000 });
    expect(projected.length).toBeGreaterThanOrEqual(2);
    const after = await visibility();
    // Each event once, whether the live projector or this catch-up committed it.
    expect(after.count - before.count).toBe(projected.length);
    expect(after.sum).toBeGreaterThanOrEqual(before.sum);
  });

  it('is not ready when its database is gone', async () => {
    const url = new URL(database().url);
    const name = url.pathname.slice(1);
    url.pathname = '/postgres';
    const admin = pgDatabase({ connectionString: url.toString() });
    try {
      // Every connection of the test database refused from now on, the open ones ended.
      await admin.query(`alter database "${name}" with allow_connections false`);
      await admin.query(
        'select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()',
        [name],
      );
      const ready = await get('/ready');
      expect(ready.status).toBe(503);
      const body = (await ready.json()) as {
        ready: boolean;
        checks: { database: { ok: boolean } };
      };
      expect(body.ready).toBe(false);
      expect(body.checks.database.ok).toBe(false);
      // Liveness is another question: the process still answers.
      expect((await get('/health')).status).toBe(200);
      await admin.query(`alter database "${name}" with allow_connections true`);
      await expect.poll(async () => (await get('/ready')).status, { timeout: 10_000 }).toBe(200);
    } finally {
      await admin.close();
    }
  });
});
