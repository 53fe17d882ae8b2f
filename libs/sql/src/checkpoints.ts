import type { SqlDatabase, SqlExecutor } from './database.ts';

/**
 * Durable subscriber checkpoints in a table `(subscriber_id text primary key, position bigint,
 * updated_at timestamptz)`, shared by the event-store adapters that keep checkpoints in SQL.
 */
export interface SqlCheckpoints {
  load(subscriberId: string, sql?: SqlExecutor): Promise<bigint>;
  save(subscriberId: string, position: bigint, sql?: SqlExecutor): Promise<void>;
  /**
   * Hands the events after the stored checkpoint to `handler` in one transaction that then saves
   * the checkpoint, under a row lock on it: effects the handler writes through `tx` happen exactly
   * once, and a second running instance of the subscriber skips what the first already handled.
   * `readAfter` is the position the caller read the events after: when the stored checkpoint is
   * behind it (someone reset it, e.g. a rebuild from 0), nothing is handled, because the events
   * in between would be skipped; the caller reads again from the returned, stored checkpoint.
   * Resolves to the checkpoint now stored.
   */
  handleOnce<E extends { globalPosition: bigint }>(
    subscriberId: string,
    events: readonly E[],
    handler: (fresh: E[], tx: SqlExecutor) => Promise<void>,
    readAfter?: bigint,
  ): Promise<bigint>;
}

export function sqlCheckpoints(db: SqlDatabase, table: string): SqlCheckpoints {
  if (!/^[a-z_][a-z0-9_]*$/.test(table)) throw new Error(`bad checkpoint table name ${table}`);
  const save = async (subscriberId: string, position: bigint, sql: SqlExecutor = db) => {
    await sql.query(
      `insert into ${table} (subscriber_id, position) values ($1, $2::bigint)
       on conflict (subscriber_id) do update set position = excluded.position, updated_at = now()`,
      [subscriberId, position.toString()],
    );
  };
  return {
    async load(subscriberId, sql = db) {
      const { rows } = await sql.query<{ position: string }>(
        `select position::text as position from ${table} where subscriber_id = $1`,
        [subscriberId],
      );
      return BigInt(rows[0]?.position ?? 0);
    },
    save,
    handleOnce(subscriberId, events, handler, readAfter) {
      return db.transaction(async (tx) => {
        await tx.query(
          `insert into ${table} (subscriber_id, position) values ($1, 0) on conflict do nothing`,
          [subscriberId],
        );
        const { rows } = await tx.query<{ position: string }>(
          `select position::text as position from ${table} where subscriber_id = $1 for update`,
          [subscriberId],
        );
        const stored = BigInt(rows[0]!.position);
        if (readAfter !== undefined && stored < readAfter) return stored;
        const fresh = events.filter((event) => event.globalPosition > stored);
        const last = events.at(-1)?.globalPosition ?? stored;
        if (fresh.length === 0) return stored > last ? stored : last;
        await handler(fresh, tx);
        await save(subscriberId, last, tx);
        return last;
      });
    },
  };
}
