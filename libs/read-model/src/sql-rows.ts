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

type Table = keyof typeof readModelTables;

/** Loads rows as JSON (`to_jsonb`), the shape the projection works on and writes back. */
export function sqlRowLoader(sql: SqlExecutor): RowLoader {
  const rows = async <Row>(table: Table, where: string, params: unknown[]): Promise<Row[]> => {
    const result = await sql.query<{ row: Row }>(
      `select to_jsonb(t) as row from ${table} t where ${where}`,
      params,
    );
    return result.rows.map(({ row }) => row);
  };
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
 * Writes a chunk's rows with one statement per table (`jsonb_populate_recordset` upserts), which
 * is what lets a rebuild run at tens of thousands of events per second where per-row ORM calls
 * would not.
 */
export async function writeChunk(sql: SqlExecutor, writes: ChunkWrites): Promise<void> {
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
  for (const [table, rows] of byTable) {
    const [first] = rows;
    if (!first) continue;
    const target = readModelTables[table] as readonly string[];
    const columns = Object.keys(first).filter((column) => !target.includes(column));
    await sql.query(
      `insert into ${table} select * from jsonb_populate_recordset(null::${table}, $1::jsonb)
       on conflict (${target.join(', ')}) do update set
       ${columns.map((column) => `${column} = excluded.${column}`).join(', ')}`,
      [JSON.stringify(rows)],
    );
  }
}

/** Empties every read-model table (a rebuild starts from nothing). */
export async function truncateReadModel(sql: SqlExecutor): Promise<void> {
  await sql.query(`truncate ${Object.keys(readModelTables).join(', ')}`);
}
