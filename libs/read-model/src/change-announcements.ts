import type { SqlDatabase, SqlExecutor } from '@concord/sql';
import type { ReadModelChange } from './projections/project-chunk.ts';

/** The channel a projector rings when it committed changes: "read the change log again". */
export const READ_MODEL_CHANNEL = 'concord_read_model';

/**
 * How long the change log keeps a chunk. A replica cut off from the database for longer misses
 * what it did not read (its subscribers read the latest rows on their next change).
 */
const RETENTION = '15 minutes';
/** Chunks announced between two prunings of the log, by one process. */
const PRUNE_EVERY = 500;
/** Chunks a listener reads per query. */
const READ_PAGE = 500;

const KINDS = { b: 'batch', d: 'deviation', r: 'readiness', w: 'deadline' } as const;
type Code = keyof typeof KINDS;
const CODES = Object.fromEntries(Object.entries(KINDS).map(([code, kind]) => [kind, code])) as {
  [Kind in ReadModelChange['kind']]: Code;
};

/** One change as it is kept: kind code, id, sponsor, CDMO, position[, traceparent]. */
type Wire = [Code, string, string, string, string, string?];

let announced = 0;

/**
 * Records a chunk's changes in the change log inside the transaction that commits them, and
 * rings every listening process (every API replica, whichever projected the chunk). Both happen
 * when, and only if, the transaction commits. The log, not the notification, carries the
 * changes: a replica whose connection dropped reads what it missed when it is back.
 */
export async function announceChanges(
  tx: SqlExecutor,
  changes: readonly ReadModelChange[],
  channel = READ_MODEL_CHANNEL,
): Promise<void> {
  if (changes.length === 0) return;
  const wire = changes.map((change): Wire => {
    const kept: Wire = [
      CODES[change.kind],
      change.id,
      change.sponsorId,
      change.cdmoId,
      String(change.position),
    ];
    if (change.traceparent) kept.push(change.traceparent);
    return kept;
  });

  // One round trip on the projector's path. Writers take turns until they commit (the lock is
  // taken before the row gets its id), so ids grow in commit order: a listener that read up to id
  // n never finds a smaller id committed after. (A projector already holds its own lock; this one
  // only matters between projectors of different names.)
  await tx.query(
    `with kept as (
       insert into rm_change_log (changes)
       select $1 from (select pg_advisory_xact_lock(hashtext('rm_change_log'))) as turn
       returning id)
     select pg_notify($2, '') from kept`,
    [JSON.stringify(wire), channel],
  );
  if ((announced = (announced + 1) % PRUNE_EVERY) === 0)
    await tx.query(`delete from rm_change_log where recorded_at < now() - interval '${RETENTION}'`);
}

/**
 * Hears every chunk of changes committed to the change log from now on, by any process, whole and
 * in commit order: on each notification (and when its LISTEN connection is back after a loss) it
 * reads the chunks after the last one it read. A chunk that cannot be read is reported to
 * `onError` and skipped; a failed read is tried again a second later. Resolves to a function
 * that stops it.
 */
export async function listenToChanges(
  db: SqlDatabase,
  onChanges: (changes: ReadModelChange[]) => void,
  options: { channel?: string; onError?: (error: unknown) => void; retryMs?: number } = {},
): Promise<() => Promise<void>> {
  const { onError = () => undefined, retryMs = 1_000 } = options;
  const { rows: newest } = await db.query<{ id: string }>(
    'select coalesce(max(id), 0)::text as id from rm_change_log',
  );
  let last = BigInt(newest[0]?.id ?? 0);
  let stopped = false;
  let reading: Promise<void> | undefined;
  let again = false;
  let retry: NodeJS.Timeout | undefined;

  const readNew = async (): Promise<boolean> => {
    const { rows } = await db.query<{ id: string; changes: string }>(
      // Ordered by the column, not by its text alias (where '10' < '9').
      `select id::text as id, changes from rm_change_log
        where id > $1::bigint order by rm_change_log.id limit $2`,
      [String(last), READ_PAGE],
    );
    for (const row of rows) {
      last = BigInt(row.id);
      try {
        onChanges(
          (JSON.parse(row.changes) as Wire[]).map(
            ([code, id, sponsorId, cdmoId, position, traceparent]) => ({
              kind: KINDS[code],
              id,
              sponsorId,
              cdmoId,
              position: BigInt(position),
              ...(traceparent ? { traceparent } : {}),
            }),
          ),
        );
      } catch (error) {
        onError(error);
      }
    }
    return rows.length === READ_PAGE;
  };

  const wake = () => {
    if (stopped) return;
    if (reading) {
      again = true;
      return;
    }
    reading = (async () => {
      do {
        again = false;
        try {
          again = (await readNew()) || again;
        } catch (error) {
          onError(error);
          clearTimeout(retry);
          retry = setTimeout(wake, retryMs);
          return;
        }
      } while (again && !stopped);
    })().finally(() => {
      reading = undefined;
    });
  };

  const unlisten = await db.listen(options.channel ?? READ_MODEL_CHANNEL, wake);
  wake(); // what committed between reading the newest id and listening
  return async () => {
    stopped = true;
    clearTimeout(retry);
    await unlisten();
    await reading;
  };
}
