import { fileURLToPath } from 'node:url';
import type { EventStore } from '@concord/event-store';
import { migrate, type SqlDatabase } from '@concord/sql';
import {
  checkpointCommitsTo,
  fromBase64,
  MerkleFrontier,
  toBase64,
  verifyCheckpointSignature,
  type SignedCheckpoint,
} from '@concord/verifier';
import { eventLeaf, signCheckpoint } from './log-tree.ts';
import { platformKeyValidAt, type PlatformKey, type PlatformKeyring } from './platform-key.ts';

const MIGRATIONS = fileURLToPath(new URL('../migrations', import.meta.url));

/** The platform cannot sign the next checkpoint: what it would build on does not hold. */
export class CheckpointLogError extends Error {
  override readonly name = 'CheckpointLogError';
}

interface CheckpointRow {
  checkpoint: SignedCheckpoint;
  last_position: string;
  frontier: { size: number; subtrees: string[] };
}

/**
 * The checkpoints the platform signed, in the platform's database (PostgreSQL or PGlite): what
 * GraphQL and HTTP hand to partners and what an audit holds the store to. A copy only: what
 * proves anything is each checkpoint's signature, and the copies partners keep.
 */
export class CheckpointLog {
  readonly #db: SqlDatabase;

  private constructor(db: SqlDatabase) {
    this.#db = db;
  }

  /** Opens the log in `db`, applying its migration. */
  static async open(db: SqlDatabase): Promise<CheckpointLog> {
    await migrate(db, { directory: MIGRATIONS, table: 'evidence_migrations' });
    return new CheckpointLog(db);
  }

  async latest(): Promise<SignedCheckpoint | undefined> {
    return (await this.#latestRow())?.checkpoint;
  }

  /** Checkpoints by size, from the smallest above `afterTreeSize`. */
  async list(
    options: { afterTreeSize?: number; limit?: number } = {},
  ): Promise<SignedCheckpoint[]> {
    const { rows } = await this.#db.query<{ checkpoint: SignedCheckpoint }>(
      `select checkpoint from log_checkpoints where tree_size > $1 order by tree_size limit $2`,
      [options.afterTreeSize ?? 0, Math.min(options.limit ?? 100, 1_000)],
    );
    return rows.map((row) => row.checkpoint);
  }

  async #latestRow(): Promise<CheckpointRow | undefined> {
    const { rows } = await this.#db.query<CheckpointRow>(
      `select checkpoint, last_position::text as last_position, frontier
       from log_checkpoints order by tree_size desc limit 1`,
    );
    return rows[0];
  }

  /**
   * Signs a checkpoint of the whole log if it grew since the last one, hashing only what was
   * appended since (from the last checkpoint's frontier, once that frontier is proven to be the
   * tree the platform signed). Returns the new checkpoint, or undefined when nothing was appended.
   * Two signers racing sign the same prefix; the second's row is dropped.
   */
  async signNext(
    store: EventStore,
    key: PlatformKey,
    keyring: PlatformKeyring,
    now: () => Date = () => new Date(),
  ): Promise<SignedCheckpoint | undefined> {
    const previous = await this.#latestRow();
    const frontier = previous ? await trustedFrontier(previous, keyring) : new MerkleFrontier();
    let after = previous ? BigInt(previous.last_position) : 0n;
    for (;;) {
      const page = await store.readAll({ after, maxCount: 1_000 });
      if (page.length === 0) break;
      for (const event of page) frontier.append(eventLeaf(event));
      after = page.at(-1)!.globalPosition;
    }
    if (previous && frontier.size === previous.checkpoint.treeSize) return undefined;
    if (frontier.size === 0) return undefined;
    const checkpoint = signCheckpoint(
      { treeSize: frontier.size, root: frontier.root() },
      key,
      now().toISOString(),
    );
    const saved = frontier.toJSON();
    await this.#db.query(
      `insert into log_checkpoints (tree_size, checkpoint, last_position, frontier)
       values ($1, $2::jsonb, $3::bigint, $4::jsonb) on conflict (tree_size) do nothing`,
      [
        checkpoint.treeSize,
        JSON.stringify(checkpoint),
        String(after),
        JSON.stringify({ size: saved.size, subtrees: saved.subtrees.map(toBase64) }),
      ],
    );
    return checkpoint;
  }
}

/** The last checkpoint's frontier, once its signature and its root prove it is the signed tree. */
async function trustedFrontier(
  row: CheckpointRow,
  keyring: PlatformKeyring,
): Promise<MerkleFrontier> {
  const { checkpoint } = row;
  const key = platformKeyValidAt(keyring, checkpoint.keyId, checkpoint.timestamp);
  if (!key || !(await verifyCheckpointSignature(checkpoint, key.publicKey)))
    throw new CheckpointLogError(
      `the last checkpoint (${checkpoint.treeSize} events at ${checkpoint.timestamp}) is not signed by a platform key: the checkpoint table was altered`,
    );
  const frontier = MerkleFrontier.from({
    size: row.frontier.size,
    subtrees: row.frontier.subtrees.map(fromBase64),
  });
  if (frontier.size !== checkpoint.treeSize || !checkpointCommitsTo(checkpoint, frontier.root()))
    throw new CheckpointLogError(
      `the stored frontier of the last checkpoint (${checkpoint.treeSize} events) is not the tree the platform signed: the checkpoint table was altered`,
    );
  return frontier;
}

/**
 * Signs a checkpoint every `intervalMs` when the log grew, never two at once; `onCheckpoint` hears
 * each new one (to publish it), `onError` each failure (the next tick tries again).
 */
export function startCheckpointing(options: {
  store: EventStore;
  log: CheckpointLog;
  key: PlatformKey;
  keyring: PlatformKeyring;
  intervalMs: number;
  onCheckpoint?: (checkpoint: SignedCheckpoint) => Promise<void> | void;
  onError: (error: unknown) => void;
  clock?: () => Date;
}): { runNow: () => Promise<SignedCheckpoint | undefined>; stop: () => Promise<void> } {
  let running: Promise<SignedCheckpoint | undefined> | undefined;
  const run = () => {
    running ??= (async () => {
      try {
        const checkpoint = await options.log.signNext(
          options.store,
          options.key,
          options.keyring,
          options.clock,
        );
        if (checkpoint) await options.onCheckpoint?.(checkpoint);
        return checkpoint;
      } catch (error) {
        options.onError(error);
        return undefined;
      } finally {
        running = undefined;
      }
    })();
    return running;
  };
  const timer = setInterval(() => void run(), options.intervalMs);
  timer.unref();
  return {
    runNow: run,
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
