import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pgDatabase, pgliteDatabase, type SqlDatabase } from '@concord/sql';
import { waitFor } from '@concord/test-infra';
import { describeWithPostgres } from '@concord/test-infra/vitest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadOrCreateDemoKeys, type DemoKeys } from './demo-keys.ts';
import {
  startDemoFeed,
  type DemoFeed,
  type DemoFeedLogger,
  type DemoFeedOptions,
} from './feed/demo-feed.ts';
import type { Workflow } from './feed/workflows.ts';
import {
  startPlatformUnderTest,
  type PlatformUnderTest,
} from './test-support/platform-under-test.ts';

const LONG = 120_000;

function collectingLogger() {
  const lines: { level: string; message: string; details: object }[] = [];
  const logger: DemoFeedLogger = {
    info: (details, message) => lines.push({ level: 'info', message, details }),
    warn: (details, message) => lines.push({ level: 'warn', message, details }),
    error: (details, message) => lines.push({ level: 'error', message, details }),
  };
  return {
    logger,
    errors: () => lines.filter((line) => line.level === 'error'),
    warnings: () => lines.filter((line) => line.level === 'warn'),
  };
}

interface BatchRow {
  id: string;
  agreement_id: string;
  status: string;
  disposition_decision: string | null;
  blockers: { kind: string; reference: string | null }[];
}

async function batches(db: SqlDatabase): Promise<BatchRow[]> {
  const { rows } = await db.query<BatchRow>(
    'select id, agreement_id, status, disposition_decision, blockers from rm_batches',
  );
  return rows;
}

/** How many `scheduled` events each batch stream holds (exactly one each, or ids collided). */
async function scheduledPerBatch(platform: PlatformUnderTest): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  let after = 0n;
  for (;;) {
    const page = await platform.store.readAll({ after, maxCount: 5_000 });
    if (page.length === 0) return counts;
    for (const event of page)
      if (event.type === 'concord.batch.scheduled.v1')
        counts.set(event.streamId, (counts.get(event.streamId) ?? 0) + 1);
    after = page.at(-1)!.globalPosition;
  }
}

describeWithPostgres('the demo feed through HTTP ingest on PostgreSQL', (database) => {
  let db: SqlDatabase;
  let platform: PlatformUnderTest;
  let keys: DemoKeys;
  let stateFile: string;
  let first: DemoFeed | undefined;
  let second: DemoFeed | undefined;
  const firstLog = collectingLogger();
  const secondLog = collectingLogger();

  beforeAll(async () => {
    const folder = mkdtempSync(join(tmpdir(), 'demo-feed-'));
    keys = await loadOrCreateDemoKeys(join(folder, 'demo-keys.json'));
    stateFile = join(folder, 'demo-feed-state.json');
    db = pgDatabase({ connectionString: database().url });
    platform = await startPlatformUnderTest(db, keys);
  });

  /** A feed at the fast pace against this suite's platform, with its own keys. */
  const fastFeed = (options: Omit<DemoFeedOptions, 'ingestUrl' | 'keys' | 'pace'>) =>
    startDemoFeed({ ingestUrl: platform.ingestUrl, keys, pace: 'fast', ...options });

  afterAll(async () => {
    await first?.stop();
    await second?.stop();
    await platform?.close();
    await platform?.store.close();
  });

  it(
    'publishes a living exchange in which every event is accepted',
    async () => {
      first = fastFeed({ logger: firstLog.logger, stateFile });
      const feed = first;
      // Batches seen waiting for release (CoA issued) with an open major or critical deviation.
      const seenBlocked = new Set<string>();
      await waitFor(
        async () => {
          const rows = await batches(db);
          for (const row of rows)
            if (
              row.status === 'coa-issued' &&
              row.blockers.some((blocker) => blocker.kind === 'open-deviation')
            )
              seenBlocked.add(row.id);
          const stats = feed.stats();
          const releasedAfterBlock = rows.some(
            (row) => seenBlocked.has(row.id) && row.disposition_decision === 'released',
          );
          return (
            releasedAfterBlock &&
            stats.batchesShipped >= 4 &&
            stats.batchesRejected >= 2 &&
            stats.lateDeviations >= 1 &&
            stats.oosResults >= 2 &&
            stats.deviationsClosed >= 3
          );
        },
        { timeoutMs: 90_000, intervalMs: 50, description: 'a lively exchange' },
      );
      await feed.stop();
      await platform.caughtUp();

      const stats = feed.stats();
      expect(stats.rejected, JSON.stringify(stats.lastRejection)).toBe(0);
      expect(firstLog.errors()).toEqual([]);
      expect(stats.failedRequests).toBe(0);
      expect(stats.published).toBe(stats.accepted + stats.deferredReleases);
      expect(stats.published).toBeGreaterThan(100);
      expect(platform.errors).toEqual([]);

      // Certified by whoever the agreement names, then shipped.
      const { rows: certified } = await db.query<{
        agreement_id: string;
        status: string;
        signer: string;
      }>(
        `select agreement_id, status, certification_signature->>'signerId' as signer
           from rm_batches where certification_signature is not null`,
      );
      expect(certified.some((row) => row.status === 'shipped')).toBe(true);
      const certifiers = new Map(certified.map((row) => [row.agreement_id, row.signer]));
      expect(certifiers.get('qa-htx-nb-2026') ?? 'nb-p-0409').toBe('nb-p-0409');
      expect(certifiers.get('qa-aur-cal-2026') ?? 'aur-p-0007').toBe('aur-p-0007');
      expect(certifiers.get('qa-htx-cal-2026') ?? 'htx-p-0034').toBe('htx-p-0034');

      // A major deviation held a batch's release until it was closed.
      const { rows: heldUntilClosed } = await db.query<{ batch_id: string }>(
        `select b.id as batch_id
           from rm_batches b
           join rm_deviation_batches l on l.batch_id = b.id
           join rm_deviations d on d.id = l.deviation_id
          where d.severity = 'major' and d.status = 'closed'
            and b.disposition_decision = 'released' and b.dispositioned_at > d.closed_at`,
      );
      expect(heldUntilClosed.some((row) => seenBlocked.has(row.batch_id))).toBe(true);

      // At least one deviation reached the sponsor after the agreement's deadline.
      const { rows: late } = await db.query<{ severity: string; late_by_minutes: number }>(
        'select severity, late_by_minutes from rm_deviations where notified_late',
      );
      expect(late.length).toBeGreaterThan(0);
      expect(late.every((row) => row.severity === 'major' && row.late_by_minutes > 60)).toBe(true);

      // Deviations of every severity; OOS results; rejections after a critical deviation or OOS.
      const { rows: severities } = await db.query<{ severity: string }>(
        'select distinct severity from rm_deviations order by severity',
      );
      expect(severities.map((row) => row.severity)).toEqual(['critical', 'major', 'minor']);
      const { rows: oos } = await db.query<{ count: string }>(
        'select count(*) as count from rm_qc_results where not within_specification',
      );
      expect(Number(oos[0]!.count)).toBeGreaterThanOrEqual(2);
      expect((await batches(db)).some((row) => row.disposition_decision === 'rejected')).toBe(true);

      expect(await platform.store.verify('all')).toMatchObject({ ok: true });
    },
    LONG,
  );

  it(
    'carries on after a restart: batches in flight are finished, new ones never collide',
    async () => {
      const saved = JSON.parse(readFileSync(stateFile, 'utf8')) as { workflows: Workflow[] };
      const carried = saved.workflows
        .filter((workflow) => workflow.kind === 'batch')
        .map((workflow) => workflow.batchId);
      expect(carried.length).toBeGreaterThan(0);
      const before = await scheduledPerBatch(platform);

      second = fastFeed({ logger: secondLog.logger, stateFile });
      const feed = second;
      await waitFor(
        async () => {
          const rows = new Map((await batches(db)).map((row) => [row.id, row]));
          const finished = carried.every((id) => {
            const row = rows.get(id);
            return row?.status === 'shipped' || row?.disposition_decision === 'rejected';
          });
          return finished && feed.stats().batchesShipped >= 3;
        },
        { timeoutMs: 90_000, intervalMs: 100, description: 'the carried batches finished' },
      );
      await feed.stop();
      await platform.caughtUp();

      const stats = feed.stats();
      expect(stats.resumed).toBeGreaterThanOrEqual(carried.length);
      expect(stats.rejected, JSON.stringify(stats.lastRejection)).toBe(0);
      expect(secondLog.errors()).toEqual([]);
      expect(platform.errors).toEqual([]);

      const after = await scheduledPerBatch(platform);
      expect([...after.values()].every((count) => count === 1)).toBe(true);
      const added = [...after.keys()].filter((stream) => !before.has(stream));
      expect(added.length).toBeGreaterThanOrEqual(3);
      expect(await platform.store.verify('all')).toMatchObject({ ok: true });
    },
    LONG,
  );

  it(
    'drops, with a warning, saved work the database does not know (a state file that outlived it)',
    async () => {
      const strayFile = join(mkdtempSync(join(tmpdir(), 'demo-stray-')), 'state.json');
      const stray: Workflow = {
        kind: 'batch',
        agreementId: 'qa-htx-nb-2026',
        batchId: 'northbridge-bio:b-nb-hlv201-26-zzzzzz',
        batchNumber: 'HLV201-26-ZZZZZZ',
        scenario: 'clean',
        step: 3,
        dueAt: 0,
      };
      writeFileSync(
        strayFile,
        JSON.stringify({ version: 1, numbers: {}, rotation: {}, workflows: [stray] }),
      );
      const log = collectingLogger();
      const feed = fastFeed({ logger: log.logger, stateFile: strayFile });
      try {
        await waitFor(() => log.warnings().some((line) => line.message.includes('does not know')));
      } finally {
        await feed.stop();
      }
      expect(feed.stats().resumed).toBe(1);
      expect(feed.stats().rejected).toBe(0);
      expect(log.errors()).toEqual([]);
    },
    LONG,
  );

  it(
    'numbers a batch again when a run started at once without its state finds its number used',
    async () => {
      // Two runs within one tenth of a second: the second, knowing nothing of the first, hands
      // out the first's batch number; its first event has the same id with other content.
      const tenth = Math.floor(Date.now() / 100) * 100;
      const earlierLog = collectingLogger();
      const earlier = fastFeed({ logger: earlierLog.logger, clock: () => new Date(tenth) });
      try {
        await waitFor(() => earlier.stats().batchesScheduled >= 1, {
          description: 'the first run scheduled a batch',
        });
      } finally {
        await earlier.stop();
      }
      const log = collectingLogger();
      const again = fastFeed({ logger: log.logger, clock: () => new Date(tenth + 1) });
      try {
        await waitFor(() => again.stats().batchesScheduled >= 1 || again.stats().rejected > 0, {
          description: 'the second run scheduled a batch',
        });
      } finally {
        await again.stop();
      }
      expect(again.stats().rejected, JSON.stringify(again.stats().lastRejection)).toBe(0);
      expect(
        log.warnings().some((line) => line.message.includes('the batch is numbered again')),
      ).toBe(true);
      expect(log.errors()).toEqual([]);
      expect(earlierLog.errors()).toEqual([]);
    },
    LONG,
  );
});

describe('the demo feed through HTTP ingest on PGlite', () => {
  let platform: PlatformUnderTest;
  let keys: DemoKeys;
  let feed: DemoFeed | undefined;
  const log = collectingLogger();

  beforeAll(async () => {
    keys = await loadOrCreateDemoKeys(join(mkdtempSync(join(tmpdir(), 'demo-')), 'keys.json'));
    platform = await startPlatformUnderTest(await pgliteDatabase(), keys, { pglite: true });
  });

  afterAll(async () => {
    await feed?.stop();
    await platform?.close();
    await platform?.store.close();
  });

  it(
    'ships batches, and a restart without saved state starts new batches that never collide',
    async () => {
      for (const run of [1, 2]) {
        // PGlite shares this process's one thread with everything else: a gentler pace.
        const current = startDemoFeed({
          ingestUrl: platform.ingestUrl,
          keys,
          pace: { stepMs: 60, newBatchEverySteps: 40, settleMs: 1_500 },
          logger: log.logger,
        });
        feed = current;
        await waitFor(() => current.stats().batchesShipped >= 2, {
          timeoutMs: 60_000,
          description: `run ${run} shipping batches`,
        });
        await current.stop();
        expect(current.stats().rejected, JSON.stringify(current.stats().lastRejection)).toBe(0);
      }
      await platform.caughtUp();
      expect(log.errors()).toEqual([]);
      expect(platform.errors).toEqual([]);
      const counts = await scheduledPerBatch(platform);
      expect([...counts.values()].every((count) => count === 1)).toBe(true);
      const { rows } = await platform.db.query<{ count: number }>(
        `select count(*)::int as count from rm_batches where status = 'shipped'`,
      );
      expect(rows[0]!.count).toBeGreaterThanOrEqual(2);
    },
    LONG,
  );
});
