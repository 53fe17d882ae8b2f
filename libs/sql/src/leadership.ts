import type { SqlDatabase, SqlSession } from './database.ts';

/** Work a leader runs while it leads (a supervised subscription, a timer). */
export interface LeaderWork {
  stop(): Promise<void>;
}

export type LeadershipEvent =
  | { kind: 'elected'; role: string }
  | { kind: 'deposed'; role: string; error: unknown }
  | { kind: 'unavailable'; role: string; error: unknown };

export interface LeadershipOptions {
  /** How often a follower asks for the lock: the longest a take-over waits. @default 1000 */
  retryMs?: number;
  /**
   * How often the leader checks its own connection; a check unanswered for two periods deposes
   * it (it stops its work before anyone else can take the lock, once the server drops the
   * session). @default 1000
   */
  heartbeatMs?: number;
  /** Told when this process is elected, deposed, or cannot reach the database (logging). */
  onEvent?: (event: LeadershipEvent) => void;
}

/** `onEvent` for a pino-style logger: an election at info, the rest as warnings. */
export function logLeadership(logger: {
  info(details: object, message: string): void;
  warn(details: object, message: string): void;
}): (event: LeadershipEvent) => void {
  return (event) =>
    event.kind === 'elected'
      ? logger.info({ role: event.role }, 'elected: running this role here')
      : logger.warn({ role: event.role, err: event.error }, `leadership ${event.kind}`);
}

/** One role's election in this process. */
export interface Leadership {
  readonly role: string;
  /** Whether this process leads the role now. */
  readonly leading: boolean;
  /** Stops the work if leading and lets the role go at once for another process to take. */
  stop(): Promise<void>;
}

/** Runs `lead()` in exactly one of the processes that elect for `role`, handing over on failure. */
export type Elector = (role: string, lead: () => LeaderWork) => Leadership;

/** Every process leads every role: where one process is all there is (PGlite, tests). */
export const soleLeader: Elector = (role, lead) => {
  let work: LeaderWork | undefined = lead();
  return {
    role,
    get leading() {
      return work !== undefined;
    },
    async stop() {
      const stopping = work;
      work = undefined;
      await stopping?.stop();
    },
  };
};

/**
 * Leader election with a PostgreSQL session advisory lock per role, held on a connection of its
 * own: whoever holds it runs the role's work; the others ask again every `retryMs`. The lock goes
 * when its session ends (the leader stops, crashes, or its connection is cut; the server probes
 * the connection with keepalives), so a follower takes over within `retryMs` of that.
 *
 * The lock decides who works, not whether work is safe: two leaders can overlap for a moment (a
 * deposed leader finishing a batch while the server has already dropped its session), and the
 * roles' effects are exactly-once anyway, because each batch is handled under the subscriber's
 * transaction lock and checkpoint (`SqlCheckpoints.handleOnce`). Where the database has no
 * separate sessions (PGlite, one process), this process is the only one and always leads.
 */
export function sqlLeaderElections(db: SqlDatabase, options: LeadershipOptions = {}): Elector {
  if (!db.session) return soleLeader;
  const openSession = db.session.bind(db);
  const { retryMs = 1_000, heartbeatMs = 1_000, onEvent = () => undefined } = options;
  return (role, lead) => {
    let stopped = false;
    let work: LeaderWork | undefined;
    let session: SqlSession | undefined;
    let timer: NodeJS.Timeout | undefined;
    let wake: () => void = () => undefined;
    const pause = (ms: number) =>
      new Promise<void>((resolve) => {
        wake = resolve;
        timer = setTimeout(resolve, ms);
      });

    // While leading: a check of the connection every heartbeat; resolves with why it ended.
    const holdWhileHealthy = async (held: SqlSession): Promise<unknown> => {
      for (;;) {
        const outcome = await Promise.race([
          held.lost.then((error) => ({ lost: error })),
          pause(heartbeatMs).then(() => undefined),
        ]);
        if (outcome) return outcome.lost;
        if (stopped) return undefined;
        const answer = await Promise.race([
          held.query('select 1').then(
            () => 'ok' as const,
            (error: unknown) => ({ lost: error }),
          ),
          held.lost.then((error) => ({ lost: error })),
          new Promise<{ lost: unknown }>((resolve) =>
            setTimeout(
              () => resolve({ lost: new Error('the leader connection did not answer') }),
              2 * heartbeatMs,
            ).unref(),
          ),
        ]);
        if (answer !== 'ok') return answer.lost;
      }
    };

    const campaign = (async () => {
      while (!stopped) {
        try {
          session ??= await openSession();
          const { rows } = await session.query<{ won: boolean }>(
            `select pg_try_advisory_lock(hashtext('concord_leader'), hashtext($1)) as won`,
            [role],
          );
          if (stopped) break;
          if (!rows[0]?.won) {
            await pause(retryMs);
            continue;
          }
          work = lead();
          onEvent({ kind: 'elected', role });
          const why = await holdWhileHealthy(session);
          if (stopped) break;
          // The connection is gone or silent: stop before another takes over, then campaign again.
          const deposed = work;
          work = undefined;
          await deposed.stop();
          onEvent({ kind: 'deposed', role, error: why });
          await session.close();
          session = undefined;
          // Others first: a process whose connection just failed is the least likely to hold on.
          await pause(3 * retryMs);
        } catch (error) {
          if (stopped) break;
          onEvent({ kind: 'unavailable', role, error });
          await session?.close();
          session = undefined;
          await pause(retryMs);
        }
      }
    })();

    return {
      role,
      get leading() {
        return work !== undefined;
      },
      async stop() {
        stopped = true;
        clearTimeout(timer);
        wake();
        await campaign;
        const stopping = work;
        work = undefined;
        await stopping?.stop();
        // Closing the session releases the lock: a follower takes over at its next ask.
        await session?.close();
        session = undefined;
      },
    };
  };
}
