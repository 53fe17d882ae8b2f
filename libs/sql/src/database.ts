/** A place to run SQL: a database or one of its open transactions. */
export interface SqlExecutor {
  /** One statement with `$1`-style parameters. */
  query<Row = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<{ rows: Row[] }>;
  /**
   * Several statements without parameters, sent in one message (one round trip to a server).
   * Resolves to the rows of the last one.
   */
  exec<Row = Record<string, unknown>>(sql: string): Promise<{ rows: Row[] }>;
}

/** An open transaction: its statements, and those it leaves to be sent with its COMMIT. */
export interface SqlTransaction extends SqlExecutor {
  /**
   * Sends `sql` (statements without parameters) with the COMMIT, in one message: a transaction's
   * last writes cost no round trip of their own. Statements left this way run in the order left,
   * after everything else, and only if the work resolves; if one fails, the transaction is rolled
   * back and the work's caller gets the error.
   */
  commitWith(sql: string): void;
}

/**
 * PostgreSQL, whether a server reached through `pg` or PGlite in this process: the same SQL runs
 * on both, so the embedded mode and the server mode share every query.
 */
export interface SqlDatabase extends SqlExecutor {
  readonly kind: 'postgres' | 'pglite';
  /**
   * Runs `work` in one transaction: committed if it resolves, rolled back if it throws. On a
   * server, BEGIN goes with the transaction's first statement where that one is an `exec`.
   */
  transaction<T>(work: (tx: SqlTransaction) => Promise<T>): Promise<T>;
  /**
   * Calls `onNotify` for every NOTIFY on `channel` (delivered after the notifying transaction
   * commits). Resolves to a function that stops listening.
   */
  listen(channel: string, onNotify: (payload: string) => void): Promise<() => Promise<void>>;
  /**
   * A connection of its own, outside the pool, for state a session keeps (a session advisory
   * lock: leadership). Absent where the database has one connection in one process (PGlite):
   * there, no other process can share the database, so nobody competes.
   */
  session?(): Promise<SqlSession>;
  /**
   * Loads rows into `table` with `COPY … FROM STDIN` (text format), the way PostgreSQL takes
   * rows fastest: no statement per row, no JSON to take apart, no conflict to look for. Each value
   * is its column's text form (a JSON text for jsonb, an array literal for an array) or null. A
   * row that breaks a constraint fails the whole load. Resolves to the number of rows loaded.
   */
  copyRows(
    table: string,
    columns: readonly string[],
    rows: Iterable<readonly (string | null)[]>,
  ): Promise<number>;
  /** The pool's connections right now (a server's pool; absent where there is no pool). */
  poolStats?(): { total: number; idle: number; waiting: number };
  close(): Promise<void>;
}

/** A dedicated connection: its session-level state lasts until it is closed or lost. */
export interface SqlSession extends SqlExecutor {
  /** Resolves (never rejects) with the error once the connection is lost or closed. */
  readonly lost: Promise<unknown>;
  close(): Promise<void>;
}

/** A PostgreSQL error's SQLSTATE and constraint, when the error carries them. */
export function postgresErrorOf(error: unknown): { code?: string; constraint?: string } {
  if (typeof error !== 'object' || error === null) return {};
  const { code, constraint } = error as { code?: unknown; constraint?: unknown };
  return {
    code: typeof code === 'string' ? code : undefined,
    constraint: typeof constraint === 'string' ? constraint : undefined,
  };
}

/**
 * Whether the database answers `select 1` within `timeoutMs`: what a readiness probe asks.
 * Never throws; says why when it does not answer.
 */
export async function databaseAnswers(
  db: SqlExecutor,
  timeoutMs: number,
): Promise<{ ok: true } | { ok: false; error: string }> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    await Promise.race([db.query('select 1'), timeout]);
    return { ok: true };
  } catch (error) {
    return { ok: false, error: error instanceof Error ? error.message : String(error) };
  } finally {
    clearTimeout(timer);
  }
}
