import { waitFor } from '@concord/test-infra';
import { describeWithPostgres } from '@concord/test-infra/vitest';
import { afterEach, describe, expect, it } from 'vitest';
import type { SqlDatabase } from './database.ts';
import {
  soleLeader,
  sqlLeaderElections,
  type Leadership,
  type LeadershipEvent,
} from './leadership.ts';
import { pgDatabase } from './pg-database.ts';
import { pgliteDatabase } from './pglite-database.ts';

/** A process taking part in the election: its own pool, its work counted while it runs. */
function candidate(url: string, name: string, running: Set<string>, events: LeadershipEvent[]) {
  const db = pgDatabase({ connectionString: url, applicationName: name, maxConnections: 2 });
  const elect = sqlLeaderElections(db, {
    retryMs: 100,
    heartbeatMs: 100,
    onEvent: (event) => events.push(event),
  });
  const leadership = elect('projector', () => {
    running.add(name);
    return {
      stop: async () => {
        running.delete(name);
      },
    };
  });
  return { db, name, leadership };
}

describeWithPostgres('leader election on PostgreSQL', (database) => {
  const opened: { db: SqlDatabase; leadership: Leadership }[] = [];
  afterEach(async () => {
    for (const { leadership, db } of opened.splice(0)) {
      await leadership.stop();
      await db.close();
    }
  });

  const candidates = (count: number, running: Set<string>, events: LeadershipEvent[] = []) => {
    const all = Array.from({ length: count }, (_, i) =>
      candidate(database().url, `concord-candidate-${i}`, running, events),
    );
    opened.push(...all);
    return all;
  };

  it('runs the work in exactly one of three processes, never two at once', async () => {
    const running = new Set<string>();
    const all = candidates(3, running);
    let most = 0;
    const sampler = setInterval(() => (most = Math.max(most, running.size)), 5);
    try {
      await waitFor(() => running.size === 1, { description: 'a leader elected' });
      // A negative claim (no second leader appears) needs a window: six retry intervals of 100 ms,
      // sampled every 5 ms meanwhile.
      await new Promise((resolve) => setTimeout(resolve, 600));
      expect(running.size).toBe(1);
      expect(all.filter((c) => c.leadership.leading)).toHaveLength(1);
    } finally {
      clearInterval(sampler);
    }
    expect(most).toBe(1);
  });

  it('hands over within the retry interval when the leader stops', async () => {
    const running = new Set<string>();
    const all = candidates(2, running);
    await waitFor(() => running.size === 1, { description: 'a leader elected' });
    const leader = all.find((c) => c.leadership.leading)!;
    const follower = all.find((c) => c !== leader)!;
    const stoppedAt = Date.now();
    await leader.leadership.stop();
    await waitFor(() => follower.leadership.leading, { description: 'the follower took over' });
    expect(running).toEqual(new Set([follower.name]));
    // Asked every 100 ms; generous for a loaded 2-core machine, far below a session timeout.
    expect(Date.now() - stoppedAt).toBeLessThan(5_000);
  });

  it('deposes a leader whose connection is cut, and another takes over', async () => {
    const running = new Set<string>();
    const events: LeadershipEvent[] = [];
    const all = candidates(2, running, events);
    await waitFor(() => running.size === 1, { description: 'a leader elected' });
    const leader = all.find((c) => c.leadership.leading)!;
    const follower = all.find((c) => c !== leader)!;
    const admin = pgDatabase({ connectionString: database().url, maxConnections: 1 });
    try {
      // The leader's lock session, as an operator (or a network cut) would end it.
      const { rows } = await admin.query<{ terminated: boolean }>(
        `select pg_terminate_backend(pid) as terminated from pg_locks l
           join pg_stat_activity a using (pid)
          where l.locktype = 'advisory' and l.granted and a.application_name = $1`,
        [leader.name],
      );
      expect(rows).toEqual([{ terminated: true }]);
    } finally {
      await admin.close();
    }
    await waitFor(() => follower.leadership.leading, { description: 'the follower took over' });
    await waitFor(() => !leader.leadership.leading, { description: 'the old leader stepped down' });
    expect(running).toEqual(new Set([follower.name]));
    expect(events).toContainEqual(expect.objectContaining({ kind: 'deposed', role: 'projector' }));
    // The deposed process campaigns again and stays a follower while the new leader holds on: a
    // negative claim, watched over four retry intervals.
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(running).toEqual(new Set([follower.name]));
  });

  it('elects per role: different roles may lead in different processes', async () => {
    const db = pgDatabase({ connectionString: database().url, maxConnections: 1 });
    const other = pgDatabase({ connectionString: database().url, maxConnections: 1 });
    const work = () => ({ stop: async () => undefined });
    const a = sqlLeaderElections(db, { retryMs: 100 })('projector', work);
    const b = sqlLeaderElections(other, { retryMs: 100 })('outbound-publisher', work);
    opened.push({ db, leadership: a }, { db: other, leadership: b });
    await waitFor(() => a.leading && b.leading, { description: 'both roles led' });
  });
});

describe('leader election where one process holds the database (PGlite)', () => {
  it('always leads: nobody else can open the database', async () => {
    const db = await pgliteDatabase();
    try {
      expect(sqlLeaderElections(db)).toBe(soleLeader);
      let runs = 0;
      const leadership = soleLeader('projector', () => {
        runs++;
        return { stop: async () => void runs-- };
      });
      expect(leadership.leading).toBe(true);
      expect(runs).toBe(1);
      await leadership.stop();
      expect([leadership.leading, runs]).toEqual([false, 0]);
    } finally {
      await db.close();
    }
  });
});
