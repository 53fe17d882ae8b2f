import type { SqlExecutor } from '@concord/sql';
import type { ChunkWrites, RowLoader } from './projections/project-chunk.ts';

/** Read-model tables in the order a rebuild empties them, with their conflict targets. */
export const readModelTables = {
  rm_organizations: ['id'],
  rm_people: ['organization_id', 'person_id'],
  rm_agreements: ['id'],
  rm_batches: ['id'],
  rm_qc_results: ['batch_id', 'result_id'],
  rm_deviations: ['id'],
  rm_deviation_batches: ['deviation_id', 'batch_id'],
  rm_timeline: ['position'],
} as const;

export type ReadModelTable = keyof typeof readModelTables;
type Table = ReadModelTable;

/** Which tables to read and write: the live ones, or the copies a rebuild fills. */
export type TableNames = (table: Table) => string;
const live: TableNames = (table) => table;

/** One read of a table, waiting to be sent with the others asked for at the same moment. */
interface Asked {
  table: Table;
  where: string;
  params: unknown[];
  resolve: (rows: unknown[]) => void;
  reject: (error: unknown) => void;
}

/**
 * Loads rows as JSON (`to_jsonb`), the shape the projection works on and writes back. The reads
 * asked for at the same moment (a chunk's prefetch asks for every table at once) go to the
 * database as one statement (`union all`, each part tagged with its place): one round trip where
 * there were as many as tables, inside the projector's transaction.
 */
export function sqlRowLoader(sql: SqlExecutor, names: TableNames = live): RowLoader {
  let gathering: Asked[] | undefined;
  const send = async (asked: Asked[]) => {
    const params: unknown[] = [];
    const parts = asked.map(({ table, where, params: own }, place) => {
      // Each part's own $1, $2… numbered after the parts before it.
      const offset = params.push(...own) - own.length;
      const renumbered = where.replace(/\$(\d+)/g, (_, n: string) => `$${offset + Number(n)}`);
      return `select ${place} as place, to_jsonb(t) as row from ${names(table)} t where ${renumbered}`;
    });
    try {
      const { rows } = await sql.query<{ place: number; row: unknown }>(
        parts.join('\nunion all\n'),
        params,
      );
      const byPlace = asked.map(() => [] as unknown[]);
      for (const { place, row } of rows) byPlace[place]!.push(row);
      asked.forEach(({ resolve }, place) => resolve(byPlace[place]!));
    } catch (error) {
      for (const { reject } of asked) reject(error);
    }
  };
  const rows = <Row>(table: Table, where: string, params: unknown[]): Promise<Row[]> =>
    new Promise((resolve, reject) => {
      if (!gathering) {
        const asked: Asked[] = (gathering = []);
        queueMicrotask(() => {
          gathering = undefined;
          void send(asked);
        });
      }
      gathering.push({ table, where, params, resolve: resolve as Asked['resolve'], reject });
    });
  return {
    organizations: (ids) => rows('rm_organizations', 'id = any($1::text[])', [ids]),
    people: (ids) => rows('rm_people', 'organization_id = any($1::text[])', [ids]),
    agreements: (ids) => rows('rm_agreements', 'id = any($1::text[])', [ids]),
    batches: (ids) => rows('rm_batches', 'id = any($1::text[])', [ids]),
    qcResults: (ids) => rows('rm_qc_results', 'batch_id = any($1::text[])', [ids]),
    deviations: (ids) => rows('rm_deviations', 'id = any($1::text[])', [ids]),
    deviationBatches: ({ deviationIds, batchIds }) =>
      rows('rm_deviation_batches', 'deviation_id = any($1::text[]) or batch_id = any($2::text[])', [
        deviationIds,
        batchIds,
      ]),
    timeline: (ids) => rows('rm_timeline', 'event_id = any($1::text[])', [ids]),
  };
}

/**
 * Writes a chunk's rows in one statement: an upsert per table (`json_populate_record` of each
 * element: PostgreSQL turns a large `jsonb` array into records several times slower), each
 * a data-modifying `WITH` of the one statement (the read-model tables hold no foreign keys, so
 * the order between them does not matter). One round trip per chunk whatever it touches: what
 * lets a rebuild run at tens of thousands of events per second where per-row ORM calls would not,
 * and keeps the live projector's transaction short.
 */
export async function writeChunk(
  sql: SqlExecutor,
  writes: ChunkWrites,
  names: TableNames = live,
): Promise<void> {
  const byTable: [Table, object[]][] = [
    ['rm_organizations', writes.organizations],
    ['rm_people', writes.people],
    ['rm_agreements', writes.agreements],
    ['rm_batches', writes.batches],
    ['rm_qc_results', writes.qcResults],
    ['rm_deviations', writes.deviations],
    ['rm_deviation_batches', writes.deviationBatches],
    ['rm_timeline', writes.timeline],
  ];
  const upserts: string[] = [];
  const params: string[] = [];
  for (const [table, rows] of byTable) {
    const [first] = rows;
    if (!first) continue;
    const target = readModelTables[table] as readonly string[];
    const columns = Object.keys(first).filter((column) => !target.includes(column));
    params.push(JSON.stringify(rows));
    upserts.push(
      `${table}_written as (insert into ${names(table)}
         select r.* from json_array_elements($${params.length}::json) e,
           json_populate_record(null::${names(table)}, e) r
         on conflict (${target.join(', ')}) do update set
         ${columns.map((column) => `${column} = excluded.${column}`).join(', ')})`,
    );
  }
  if (upserts.length === 0) return;
  await sql.query(`with ${upserts.join(',\n')} select 1`, params);
}
