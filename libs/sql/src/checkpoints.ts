import pg from 'pg';
import type { SqlDatabase, SqlExecutor, SqlTransaction } from './database.ts';

/**
 * Durable subscriber checkpoints in a table `(subscriber_id text primary key, position bigint,
 * updated_at timestamptz)`, shared by the event-store adapters that keep checkpoints in SQL.
 */
export interface SqlCheckpoints {
  load(subscriberId: string, sql?: SqlExecutor): Promise<bigint>;
  /** Stores a position, under the subscriber's lock (so never inside another's batch). */
  save(subscriberId: string, position: bigint, sql?: SqlExecutor): Promise<void>;
  /**
   * Takes the subscriber's lock until the end of `tx`: what handleOnce holds while it handles a
   * batch. Taken first by whoever rewrites the subscriber's effects (a rebuild), it waits for the
   * batch in progress and keeps later ones out.
   */
  lock(subscriberId: string, tx: SqlExecutor): Promise<void>;
  /**
   * Hands the events after the stored checkpoint to `handler` in one transaction that then saves
   * the checkpoint, under the subscriber's lock (`lock`): effects the handler writes through `tx`
   * happen exactly once, and a second running instance of the subscriber skips what the first
   * already handled. The lock is an advisory one, not a row lock: until the handler writes, the
   * transaction holds no transaction id, so readers of the event store (who stay below the oldest
   * transaction id running on the server) are not held back while it works (a Kafka send, a
   * projection's reads). `readAfter` is the position the caller read the events after: when the
   * stored checkpoint is behind it (someone reset it, e.g. a rebuild from 0), nothing is handled,
   * because the events in between would be skipped; the caller reads again from the returned,
   * stored checkpoint. Resolves to the checkpoint now stored.
   */
  handleOnce<E extends { globalPosition: bigint }>(
    subscriberId: string,
    events: readonly E[],
    handler: (fresh: E[], tx: SqlTransaction) => Promise<void>,
    readAfter?: bigint,
  ): Promise<bigint>;
}

export interface SqlCheckpointsOptions {
  /**
   * For a subscriber whose effects can be built again from the store (a projection): `handleOnce`
   * commits without waiting for the transaction's WAL to reach disk (PostgreSQL's asynchronous
   * commit, for that transaction only). A server crash can then lose the last few batches' effects,
   * but always together with their checkpoint and in order, so they are handled again; nothing is
   * half-applied or skipped. A subscriber whose effects leave the database (a Kafka send, a
   * receipt) must keep the default. @default false
   */
  asynchronousCommit?: boolean;
}

export function sqlCheckpoints(
  db: SqlDatabase,
  table: string,
  options: SqlCheckpointsOptions = {},
): SqlCheckpoints {
  if (!/^[a-z_][a-z0-9_]*$/.test(table)) throw new Error(`bad checkpoint table name ${table}`);
  // One lock per table and subscriber (the two-key form: apart from every one-key lock).
  const lockOn = (key: string) => `pg_advisory_xact_lock(hashtext('${table}'), hashtext(${key}))`;
  const LOCK = lockOn('$1');
  // Set with the lock, in the same round trip; transaction-local like the lock.
  const lockForBatchOn = (key: string) =>
    options.asynchronousCommit
      ? `select ${lockOn(key)}, set_config('synchronous_commit', 'off', true)`
      : `select ${lockOn(key)}`;
  // One statement: outside a transaction the lock lasts exactly as long as the write.
  const saveOn = (id: string, position: string) =>
    `with locked as (select ${lockOn(id)})
     insert into ${table} (subscriber_id, position) select ${id}, ${position}::bigint from locked
     on conflict (subscriber_id) do update set position = excluded.position, updated_at = now()`;
  const save = async (subscriberId: string, position: bigint, sql: SqlExecutor = db) => {
    await sql.query(saveOn('$1', '$2'), [subscriberId, position.toString()]);
  };
  // A batch's statements sent with its BEGIN and with its COMMIT, in the same message as each:
  // without parameters, the values as literals.
  const lockForBatch = (subscriberId: string) => {
    const id = pg.escapeLiteral(subscriberId);
    return `${lockForBatchOn(id)};
     select position::text as position from ${table} where subscriber_id = ${id}`;
  };
  const saveOnCommit = (subscriberId: string, position: bigint) =>
    saveOn(pg.escapeLiteral(subscriberId), position.toString());
  const lock = async (subscriberId: string, tx: SqlExecutor) => {
    await tx.query(`select ${LOCK}`, [subscriberId]);
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
    lock,
    handleOnce(subscriberId, events, handler, readAfter) {
      return db.transaction(async (tx) => {
        // One round trip with BEGIN: the lock, then the checkpoint in a statement of its own
        // (its snapshot taken once the lock is held, so it sees the batch that held it before).
        const { rows } = await tx.exec<{ position: string }>(lockForBatch(subscriberId));
        const stored = BigInt(rows[0]?.position ?? 0);
        if (readAfter !== undefined && stored < readAfter) return stored;
        const fresh = events.filter((event) => event.globalPosition > stored);
        const last = events.at(-1)?.globalPosition ?? stored;
        if (fresh.length === 0) return stored > last ? stored : last;
        await handler(fresh, tx);
        // Last, with the COMMIT: until the handler writes, the transaction holds no transaction
        // id, and readers of the store are not held back by it.
        tx.commitWith(saveOnCommit(subscriberId, last));
        return last;
      });
    },
  };
}
