import type { SqlDatabase, SqlExecutor } from '@concord/sql';
import { readModelTables } from './sql-rows.ts';

type Table = keyof typeof readModelTables;

/** The suffix of the tables a rebuild fills beside the live ones. */
const NEXT = '__next';

/** The name of a read-model table's copy that a rebuild fills. */
export const nextTableOf = (table: Table): string => `${table}${NEXT}`;

const tables = Object.keys(readModelTables) as Table[];

/**
 * Index builds at once. On 2 cores, two: the copies' indexes (a 50,000-event rebuild's) took
 * 180 ms one after the other.
 */
const INDEX_BUILDERS = 2;

/** An index (not a constraint's) of a live table, to be built on its copy once it is full. */
interface SecondaryIndex {
  name: string;
  definition: string;
}

/**
 * The read model's next version: a copy of every read-model table, built beside the live one
 * while the live one serves, then switched in at once (blue/green). Everything about the copies
 * comes from the catalog of the live tables (columns, defaults, keys, indexes, row-level security,
 * policies, grants), so a migration that changes the live tables changes the copies with it.
 *
 * Filling a copy is cheaper than filling a live table: only its keys are kept while it fills (what
 * the projection's upserts need); the indexes the API reads by are built once at the end.
 */
export const nextReadModel = {
  /** Drops what an earlier rebuild left (one that crashed), then creates empty copies with keys. */
  async create(sql: SqlExecutor): Promise<void> {
    await this.drop(sql);
    for (const table of tables) {
      await sql.query(
        `create table ${nextTableOf(table)} (like ${table} including all excluding indexes)`,
      );
      const { rows: keys } = await sql.query<{ name: string; definition: string }>(
        `select conname as name, pg_get_constraintdef(oid) as definition from pg_constraint
         where conrelid = $1::regclass and contype in ('p', 'u') order by conname`,
        [table],
      );
      for (const key of keys)
        await sql.query(
          `alter table ${nextTableOf(table)} add constraint ${key.name}${NEXT} ${key.definition}`,
        );
    }
  },

  /**
   * Builds the live tables' other indexes on the copies (once they hold most of their rows), a few
   * at a time on the pool's connections, the largest tables' first: PostgreSQL builds each in a
   * process of its own, so the timeline's indexes no longer wait behind every small table's.
   */
  async index(db: SqlDatabase): Promise<void> {
    const { rows: bySize } = await db.query<{ name: Table }>(
      `select t.name from unnest($1::text[]) as t(name)
       order by pg_relation_size(t.name || '${NEXT}') desc, t.name`,
      [tables],
    );
    const pending: string[] = [];
    for (const { name: table } of bySize)
      for (const index of await secondaryIndexes(db, table))
        pending.push(
          index.definition.replace(
            /^(CREATE (?:UNIQUE )?INDEX) (\S+) ON (ONLY )?(?:\S+\.)?(\S+) /,
            (_, create: string, name: string, only: string | undefined) =>
              `${create} ${name}${NEXT} ON ${only ?? ''}${nextTableOf(table)} `,
          ),
        );
    const build = () =>
      db.transaction(async (tx) => {
        try {
          for (let definition = pending.shift(); definition; definition = pending.shift())
            await tx.query(definition);
        } catch (error) {
          pending.length = 0; // the other builders stop after their current index
          throw error;
        }
      });
    await Promise.all(Array.from({ length: INDEX_BUILDERS }, build));
  },

  /**
   * In the caller's transaction: drops the live tables and renames the copies (with their keys and
   * indexes) to the live names, then gives them the live tables' row-level security, policies and
   * grants. Readers wait for the commit and then read the new tables; nobody sees a half-switched
   * read model.
   */
  async switchIn(tx: SqlExecutor): Promise<void> {
    const access: string[] = [];
    for (const table of tables) access.push(...(await accessRules(tx, table)));
    await tx.query(`drop table ${tables.join(', ')}`);
    for (const table of tables) {
      const next = nextTableOf(table);
      await tx.query(`alter table ${next} rename to ${table}`);
      const { rows: constraints } = await tx.query<{ name: string }>(
        `select conname as name from pg_constraint where conrelid = $1::regclass`,
        [table],
      );
      for (const { name } of constraints)
        if (name.endsWith(NEXT))
          await tx.query(
            `alter table ${table} rename constraint ${name} to ${name.slice(0, -NEXT.length)}`,
          );
      for (const { name } of await secondaryIndexes(tx, table))
        if (name.endsWith(NEXT))
          await tx.query(`alter index ${name} rename to ${name.slice(0, -NEXT.length)}`);
    }
    // Policies last: one table's may name another (an organization is visible to its partners
    // through the agreements), and the names must now find the new tables.
    for (const statement of access) await tx.query(statement);
    // The batch counts follow the new batches from now on (migration 0006).
    await tx.query('select rm_recount_batches()');
  },

  /** Drops the copies (a rebuild that failed leaves the live read model as it was). */
  async drop(sql: SqlExecutor): Promise<void> {
    await sql.query(`drop table if exists ${tables.map(nextTableOf).join(', ')}`);
  },
};

async function secondaryIndexes(sql: SqlExecutor, table: string): Promise<SecondaryIndex[]> {
  const { rows } = await sql.query<SecondaryIndex>(
    `select i.relname as name, pg_get_indexdef(x.indexrelid) as definition
     from pg_index x join pg_class i on i.oid = x.indexrelid
     where x.indrelid = $1::regclass
       and not exists (select 1 from pg_constraint c where c.conindid = x.indexrelid)
     order by i.relname`,
    [table],
  );
  return rows;
}

/** The statements that give a table's copy the table's row-level security, policies and grants. */
async function accessRules(sql: SqlExecutor, table: string): Promise<string[]> {
  const statements: string[] = [];
  const { rows: security } = await sql.query<{ enabled: boolean; forced: boolean }>(
    `select relrowsecurity as enabled, relforcerowsecurity as forced from pg_class
     where oid = $1::regclass`,
    [table],
  );
  if (security[0]?.enabled) statements.push(`alter table ${table} enable row level security`);
  if (security[0]?.forced) statements.push(`alter table ${table} force row level security`);
  const { rows: policies } = await sql.query<{
    name: string;
    permissive: string;
    command: string;
    roles: string;
    using: string | null;
    check: string | null;
  }>(
    `select quote_ident(policyname) as name, permissive, cmd as command,
       (select string_agg(case when r = 'public' then 'public' else quote_ident(r) end, ', ')
        from unnest(roles) r) as roles,
       qual as using, with_check as check
     from pg_policies where schemaname = current_schema() and tablename = $1
     order by policyname`,
    [table],
  );
  for (const policy of policies)
    statements.push(
      `create policy ${policy.name} on ${table} as ${policy.permissive} for ${policy.command}
       to ${policy.roles}${policy.using ? ` using (${policy.using})` : ''}${
         policy.check ? ` with check (${policy.check})` : ''
       }`,
    );
  const { rows: grants } = await sql.query<{ grantee: string; privileges: string }>(
    `select case when a.grantee = 0 then 'public' else quote_ident(r.rolname) end as grantee,
       string_agg(a.privilege_type, ', ' order by a.privilege_type) as privileges
     from pg_class c cross join aclexplode(c.relacl) a left join pg_roles r on r.oid = a.grantee
     where c.oid = $1::regclass and a.grantee <> c.relowner
     group by 1 order by 1`,
    [table],
  );
  for (const grant of grants)
    statements.push(`grant ${grant.privileges} on ${table} to ${grant.grantee}`);
  return statements;
}
