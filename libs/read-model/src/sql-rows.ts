import {
  dollarQuoted,
  textArrayLiteral,
  type SqlDatabase,
  type SqlExecutor,
  type SqlTransaction,
} from '@concord/sql';
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

/** A chunk's rows by the table they go to. */
const rowsByTable = (writes: ChunkWrites): [Table, object[]][] => [
  ['rm_organizations', writes.organizations],
  ['rm_people', writes.people],
  ['rm_agreements', writes.agreements],
  ['rm_batches', writes.batches],
  ['rm_qc_results', writes.qcResults],
  ['rm_deviations', writes.deviations],
  ['rm_deviation_batches', writes.deviationBatches],
  ['rm_timeline', writes.timeline],
];

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
  const params: string[] = [];
  const statement = chunkUpsert(writes, names, (json) => `$${params.push(json)}`);
  if (statement) await sql.query(statement, params);
}

/**
 * Leaves `writeChunk`'s statement to go with the transaction's COMMIT (its values as literals):
 * the live projector's chunk writes its rows, saves its checkpoint and commits in one message.
 */
export function writeChunkOnCommit(
  tx: SqlTransaction,
  writes: ChunkWrites,
  names: TableNames = live,
): void {
  const statement = chunkUpsert(writes, names, dollarQuoted);
  if (statement) tx.commitWith(statement);
}

/** The upserts of a chunk's rows, each table's rows one JSON array (`value` puts it in the SQL). */
function chunkUpsert(
  writes: ChunkWrites,
  names: TableNames,
  value: (json: string) => string,
): string | undefined {
  const upserts: string[] = [];
  for (const [table, rows] of rowsByTable(writes)) {
    const [first] = rows;
    if (!first) continue;
    const target = readModelTables[table] as readonly string[];
    const columns = Object.keys(first).filter((column) => !target.includes(column));
    upserts.push(
      `${table}_written as (insert into ${names(table)}
         select r.* from json_array_elements(${value(JSON.stringify(rows))}::json) e,
           json_populate_record(null::${names(table)}, e) r
         on conflict (${target.join(', ')}) do update set
         ${columns.map((column) => `${column} = excluded.${column}`).join(', ')})`,
    );
  }
  return upserts.length === 0 ? undefined : `with ${upserts.join(',\n')} select 1`;
}

/** How one column's value becomes COPY text, by the column's type. */
type ColumnText = (value: unknown) => string | null;

const columnText = (type: string): ColumnText => {
  if (type.endsWith('[]'))
    return (value) =>
      value == null
        ? null
        : textArrayLiteral((value as unknown[]).map((v) => (v == null ? null : String(v))));
  if (type === 'jsonb' || type === 'json')
    return (value) => (value === null || value === undefined ? null : JSON.stringify(value));
  return (value) =>
    value === null || value === undefined
      ? null
      : value instanceof Date
        ? value.toISOString()
        : String(value);
};

/**
 * Loads new rows with COPY (`SqlDatabase.copyRows`): what a rebuild does with the rows it writes
 * for the first time, the bulk of them (a timeline entry per event). Each value is turned into its
 * column's text form by the column's type, read once per table from the catalog. Rows the
 * database holds already go through `writeChunk`'s upserts instead: COPY cannot replace a row.
 */
export class RowCopier {
  readonly #db: SqlDatabase;
  readonly #names: TableNames;
  readonly #columns = new Map<string, Promise<Map<string, ColumnText>>>();

  constructor(db: SqlDatabase, names: TableNames = live) {
    this.#db = db;
    this.#names = names;
  }

  /** Inserts a chunk's rows, none of which the tables hold yet, table after table. */
  async copyChunk(writes: ChunkWrites): Promise<void> {
    for (const [table, rows] of rowsByTable(writes)) await this.#copy(this.#names(table), rows);
  }

  async #copy(table: string, rows: readonly object[]): Promise<void> {
    const [first] = rows;
    if (!first) return;
    const types = await this.#columnsOf(table);
    const columns = Object.keys(first).filter((column) => types.has(column));
    const texts = columns.map((column) => types.get(column)!);
    await this.#db.copyRows(
      table,
      columns,
      rows.map((row) => {
        const values = row as Record<string, unknown>;
        return columns.map((column, i) => texts[i]!(values[column]));
      }),
    );
  }

  #columnsOf(table: string): Promise<Map<string, ColumnText>> {
    let columns = this.#columns.get(table);
    if (!columns) {
      columns = this.#db
        .query<{ name: string; type: string }>(
          `select attname as name, format_type(atttypid, atttypmod) as type from pg_attribute
           where attrelid = $1::regclass and attnum > 0 and not attisdropped`,
          [table],
        )
        .then(({ rows }) => new Map(rows.map((row) => [row.name, columnText(row.type)])));
      this.#columns.set(table, columns);
    }
    return columns;
  }
}
