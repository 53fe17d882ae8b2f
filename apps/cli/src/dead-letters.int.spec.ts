// `concord dead-letters` against PostgreSQL: an event the projector could not project is listed
// with why, and shown beside the event as the store recorded it.
import { PostgresEventStore } from '@concord/event-store-postgres';
import { CDMO, PAIR_A, partnerExchange } from '@concord/ingest/test-support';
import { migrateReadModel, Projector } from '@concord/read-model';
import { pgDatabase } from '@concord/sql';
import { describeWithPostgres } from '@concord/test-infra/vitest';
import { beforeAll, expect, it } from 'vitest';
import { run } from './cli.ts';
import { captureIo } from './test-support/capture.ts';

describeWithPostgres('concord dead-letters', (database) => {
  let orphanPosition: bigint;

  const cli = async (...args: string[]) => {
    const { io, stdout, stderr } = captureIo({ env: { DATABASE_URL: database().url } });
    const code = await run(['dead-letters', ...args], io);
    return { code, stdout: stdout.text, stderr: stderr.text };
  };

  beforeAll(async () => {
    const db = pgDatabase({ connectionString: database().url });
    const store = await PostgresEventStore.open(db);
    await migrateReadModel(db);
    const exchange = await partnerExchange(store);
    await exchange.publish(
      exchange.feed.released(PAIR_A, `${CDMO}:b-nb-hlv201-26-0981`, '2026-04-10'),
    );
    // A deviation under an agreement the read model has never heard of: unprojectable.
    const recorded = await store.append('deviation-dev-orphan', [
      {
        id: 'ev-orphan-deviation',
        type: 'concord.deviation.reported.v1',
        data: {
          deviationId: 'dev-orphan',
          title: 'Orphan',
          description: 'No agreement',
          category: 'other',
          severity: 'minor',
          productId: 'p',
          agreementId: 'no-such-agreement',
          linkedBatchIds: [],
          detectedAt: '2026-04-11T08:00:00Z',
        },
        metadata: { actorid: 'x', actororg: CDMO, time: '2026-04-11T08:00:00Z' },
      },
    ]);
    orphanPosition = recorded.positions[0]!;
    await new Projector({ store, db }).catchUp();
    await store.close();
  });

  it('refuses to guess the database', async () => {
    const { io, stdout, stderr } = captureIo({ env: {} });
    expect(await run(['dead-letters', 'list'], io)).toBe(2);
    expect(stdout.text).toBe('');
    expect(stderr.text).toContain('--database-url');
  });

  it('lists each dead letter with its position, type, stream and why', async () => {
    const text = await cli('list');
    expect(text.code).toBe(0);
    expect(text.stdout).toContain(`${orphanPosition}\t`);
    expect(text.stdout).toContain('concord.deviation.reported.v1\tdeviation-dev-orphan');
    expect(text.stdout).toContain('no-such-agreement');
    expect(text.stdout).toContain('1 dead letter(s)');

    const json = await cli('list', '--json');
    const lines = json.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({
      position: String(orphanPosition),
      eventId: 'ev-orphan-deviation',
      streamId: 'deviation-dev-orphan',
      type: 'concord.deviation.reported.v1',
      error: expect.stringContaining('no-such-agreement'),
      failedAt: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/),
    });
  });

  it('shows one beside the event as the store recorded it', async () => {
    const shown = await cli('show', String(orphanPosition));
    expect(shown.code).toBe(0);
    const { deadLetter, event } = JSON.parse(shown.stdout) as {
      deadLetter: { eventId: string };
      event: { id: string; streamId: string; data: { agreementId: string } };
    };
    expect(deadLetter.eventId).toBe('ev-orphan-deviation');
    expect(event).toMatchObject({
      id: 'ev-orphan-deviation',
      streamId: 'deviation-dev-orphan',
      data: { agreementId: 'no-such-agreement' },
    });
  });

  it('says which position holds no dead letter, and refuses one that is not a position', async () => {
    const none = await cli('show', String(orphanPosition - 1n));
    expect(none.code).toBe(1);
    expect(none.stderr).toContain(`no dead letter at position ${orphanPosition - 1n}`);
    const bad = await cli('show', 'latest');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('latest is not a position in the store');
  });

  it('retries one (still failing: it says why) and skips it with a reason, recording who and why', async () => {
    const position = String(orphanPosition);
    expect(await cli('skip', position)).toMatchObject({ code: 2 });
    const retried = await cli(
      'retry',
      position,
      '--reason',
      'Agreement fixed',
      '--operator',
      'ops-ola',
    );
    expect(retried).toMatchObject({
      code: 1,
      stderr: expect.stringContaining('no-such-agreement'),
    });
    const skipped = await cli('skip', position, '--reason', 'Test data', '--operator', 'ops-ola');
    expect(skipped).toMatchObject({
      code: 0,
      stdout: expect.stringContaining('ev-orphan-deviation'),
    });
    expect((await cli('list')).stdout).toContain('no dead letters');
    expect((await cli('skip', position, '--reason', 'again')).code).toBe(1);
    const db = pgDatabase({ connectionString: database().url });
    const store = await PostgresEventStore.open(db);
    try {
      const resolutions = await new Projector({ store, db }).deadLetterResolutions();
      expect(resolutions.map((r) => [r.action, r.actor, r.reason])).toEqual([
        ['skipped', 'ops-ola', 'Test data'],
        ['retry-failed', 'ops-ola', 'Agreement fixed'],
      ]);
    } finally {
      await store.close();
    }
  });
});
