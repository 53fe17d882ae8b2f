// prisma/schema.prisma describes tables that the SQL migrations create (the Prisma migrate engine
// cannot run here), so nothing but this test stops the two from drifting apart: a column renamed
// in one and not the other would only show up as a runtime error in the API. The test parses the
// models, reads the migrated database's catalogue, and names every disagreement.
import { readFileSync } from 'node:fs';
import { pgDatabase, pgliteDatabase, type SqlDatabase, type SqlExecutor } from '@concord/sql';
import { describeWithPostgres } from '@concord/test-infra/vitest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrateReadModel } from './migrate-read-model.ts';

const SCHEMA_TEXT = readFileSync(new URL('../prisma/schema.prisma', import.meta.url), 'utf8');

/** Read-model tables only the projector (and the replicas following its change log) use: not modelled for Prisma. */
const UNMODELLED = new Set([
  'rm_checkpoints',
  'rm_dead_letters',
  'rm_dead_letter_resolutions',
  'rm_migrations',
  'rm_change_log',
]);

// --- the Prisma side -------------------------------------------------------------------------

interface PrismaField {
  name: string;
  column: string;
  type: string;
  optional: boolean;
  list: boolean;
  /** The native type attribute without its arguments (`Timestamptz`), if any. */
  nativeType: string | null;
  id: boolean;
  unique: boolean;
  /** The argument of `@default(...)` as written, or null. */
  defaultValue: string | null;
}

interface PrismaModel {
  name: string;
  table: string;
  fields: PrismaField[];
  /** Primary-key columns in order (from `@id` or `@@id`). */
  primaryKey: string[];
  /** Named indexes with their columns as PostgreSQL prints them (`scheduled_at DESC`). */
  indexes: { name: string; columns: string[] }[];
  /** Column sets that must be unique (`@unique`, `@@unique`). */
  uniques: string[][];
}

interface Attribute {
  name: string;
  /** The text between the parentheses, or null without them. */
  args: string | null;
}

/** Splits on `separator` outside brackets, parentheses and string literals. */
function splitTopLevel(text: string, separator: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quoted = false;
  let current = '';
  for (let i = 0; i < text.length; i++) {
    const char = text[i]!;
    if (quoted) {
      if (char === '\\') current += char + (text[++i] ?? '');
      else {
        if (char === '"') quoted = false;
        current += char;
      }
      continue;
    }
    if (char === '"') quoted = true;
    if ('([{'.includes(char)) depth++;
    if (')]}'.includes(char)) depth--;
    if (depth === 0 && char === separator) {
      parts.push(current.trim());
      current = '';
    } else current += char;
  }
  if (current.trim() !== '') parts.push(current.trim());
  return parts;
}

/** `@map("x") @db.Timestamptz(3)` → attributes with their raw (balanced) argument text. */
function parseAttributes(text: string): Attribute[] {
  const attributes: Attribute[] = [];
  const pattern = /@@?[\w.]+/g;
  let match: RegExpExecArray | null;
  while ((match = pattern.exec(text)) !== null) {
    const name = match[0];
    let end = pattern.lastIndex;
    let args: string | null = null;
    if (text[end] === '(') {
      let depth = 0;
      let quoted = false;
      for (let i = end; i < text.length; i++) {
        const char = text[i]!;
        if (quoted) {
          if (char === '\\') i++;
          else if (char === '"') quoted = false;
          continue;
        }
        if (char === '"') quoted = true;
        else if (char === '(') depth++;
        else if (char === ')' && --depth === 0) {
          args = text.slice(end + 1, i);
          end = i + 1;
          break;
        }
      }
      pattern.lastIndex = end;
    }
    attributes.push({ name, args });
  }
  return attributes;
}

const unquote = (text: string) => text.trim().replace(/^"(.*)"$/s, '$1');

/** `[a, b(sort: Desc)]` → the field names with their sort order. */
function fieldList(text: string): { field: string; descending: boolean }[] {
  const inner = text.trim().replace(/^\[/, '').replace(/\]$/, '');
  return splitTopLevel(inner, ',').map((item) => ({
    field: item.replace(/\(.*\)$/s, '').trim(),
    descending: /sort:\s*Desc/.test(item),
  }));
}

/** The `name: value` argument of a block attribute (`map: "rm_batches_sponsor"`). */
function namedArgument(args: string, name: string): string | undefined {
  for (const part of splitTopLevel(args, ',')) {
    const named = new RegExp(`^${name}\\s*:\\s*(.*)$`, 's').exec(part);
    if (named) return unquote(named[1]!);
  }
  return undefined;
}

/** `model Name { ... }` blocks; braces inside string literals (`@default("{}")`) do not count. */
function modelBlocks(schema: string): { name: string; body: string }[] {
  const blocks: { name: string; body: string }[] = [];
  const header = /^\s*model\s+(\w+)\s*\{/gm;
  let match: RegExpExecArray | null;
  while ((match = header.exec(schema)) !== null) {
    let quoted = false;
    let end = header.lastIndex;
    for (; end < schema.length; end++) {
      const char = schema[end];
      if (quoted) {
        if (char === '\\') end++;
        else if (char === '"') quoted = false;
      } else if (char === '"') quoted = true;
      else if (char === '}') break;
    }
    blocks.push({ name: match[1]!, body: schema.slice(header.lastIndex, end) });
    header.lastIndex = end;
  }
  return blocks;
}

/**
 * The models of a Prisma schema: enough of the grammar for this schema (models, scalar fields,
 * the attributes that shape tables). Relation fields, whose type is another model, have no column
 * and are skipped; a type that is neither a scalar nor a model is kept so the comparison reports it.
 */
function parsePrismaModels(schema: string): PrismaModel[] {
  const blocks = modelBlocks(schema.replace(/\/\/.*$/gm, ''));
  const modelNames = new Set(blocks.map((block) => block.name));
  return blocks.map(({ name, body }) => {
    const fields: PrismaField[] = [];
    const blockAttributes: Attribute[] = [];
    for (const raw of body.split('\n')) {
      const line = raw.trim();
      if (line === '') continue;
      if (line.startsWith('@@')) {
        blockAttributes.push(...parseAttributes(line));
        continue;
      }
      const field = /^(\w+)\s+(\w+)(\[\])?(\?)?\s*(.*)$/.exec(line);
      if (!field) throw new Error(`schema.prisma, model ${name}: cannot read the line "${line}"`);
      const [, fieldName, type, list, optional, rest] = field;
      if (modelNames.has(type!)) continue;
      const attributes = parseAttributes(rest!);
      const attribute = (attributeName: string) => attributes.find((a) => a.name === attributeName);
      fields.push({
        name: fieldName!,
        column: attribute('@map')?.args ? unquote(attribute('@map')!.args!) : fieldName!,
        type: type!,
        optional: optional === '?',
        list: list === '[]',
        nativeType: attributes.find((a) => a.name.startsWith('@db.'))?.name.slice(4) ?? null,
        id: attribute('@id') !== undefined,
        unique: attribute('@unique') !== undefined,
        defaultValue: attribute('@default')?.args ?? null,
      });
    }
    const columnOf = (fieldName: string) =>
      fields.find((field) => field.name === fieldName)?.column ?? `<unknown field ${fieldName}>`;
    const blockAttribute = (attributeName: string) =>
      blockAttributes.filter((a) => a.name === attributeName);
    const idArgs = blockAttribute('@@id')[0]?.args;
    const primaryKey = idArgs
      ? fieldList(splitTopLevel(idArgs, ',')[0]!).map(({ field }) => columnOf(field))
      : fields.filter((field) => field.id).map((field) => field.column);
    const indexes = blockAttribute('@@index').map(({ args }) => {
      const [list = ''] = splitTopLevel(args ?? '', ',');
      const columns = fieldList(list).map(
        ({ field, descending }) => `${columnOf(field)}${descending ? ' DESC' : ''}`,
      );
      // Without `map:` Prisma would name it <table>_<columns>_idx; this schema always names them.
      return { name: namedArgument(args ?? '', 'map') ?? '<unnamed>', columns };
    });
    const uniques = [
      ...fields.filter((field) => field.unique).map((field) => [field.column]),
      ...blockAttribute('@@unique').map(({ args }) =>
        fieldList(splitTopLevel(args ?? '', ',')[0] ?? '').map(({ field }) => columnOf(field)),
      ),
    ];
    const mapped = blockAttribute('@@map')[0]?.args;
    return {
      name,
      table: mapped ? unquote(mapped) : name,
      fields,
      primaryKey,
      indexes,
      uniques,
    };
  });
}

// --- the database side -----------------------------------------------------------------------

interface DatabaseColumn {
  /** `information_schema.columns.data_type`; `ARRAY` for arrays. */
  dataType: string;
  /** The element type of an array (`text` for `text[]`), else null. */
  elementType: string | null;
  nullable: boolean;
  default: string | null;
}

interface DatabaseIndex {
  name: string;
  columns: string[];
  unique: boolean;
  primary: boolean;
}

interface DatabaseTable {
  columns: Map<string, DatabaseColumn>;
  indexes: DatabaseIndex[];
}

type DatabaseSchema = Map<string, DatabaseTable>;

/** The `rm_*` tables of the current schema, their columns and indexes, from the catalogue. */
async function readDatabaseSchema(sql: SqlExecutor): Promise<DatabaseSchema> {
  const schema: DatabaseSchema = new Map();
  const { rows: tables } = await sql.query<{ table_name: string }>(
    `select table_name from information_schema.tables
     where table_schema = current_schema() and table_type = 'BASE TABLE'
       and table_name like 'rm\\_%'`,
  );
  for (const { table_name } of tables) schema.set(table_name, { columns: new Map(), indexes: [] });
  const { rows: columns } = await sql.query<{
    table_name: string;
    column_name: string;
    data_type: string;
    element_type: string | null;
    is_nullable: 'YES' | 'NO';
    column_default: string | null;
  }>(
    `select c.table_name, c.column_name, c.data_type, e.data_type as element_type, c.is_nullable,
       c.column_default
     from information_schema.columns c
     left join information_schema.element_types e
       on e.object_catalog = c.table_catalog and e.object_schema = c.table_schema
      and e.object_name = c.table_name and e.object_type = 'TABLE'
      and e.collection_type_identifier = c.dtd_identifier
     where c.table_schema = current_schema() and c.table_name like 'rm\\_%'`,
  );
  for (const column of columns) {
    schema.get(column.table_name)?.columns.set(column.column_name, {
      dataType: column.data_type,
      elementType: column.element_type,
      nullable: column.is_nullable === 'YES',
      default: column.column_default,
    });
  }
  const { rows: indexes } = await sql.query<{
    table_name: string;
    index_name: string;
    definition: string;
    unique: boolean;
    primary: boolean;
  }>(
    `select t.relname as table_name, i.relname as index_name,
       pg_get_indexdef(x.indexrelid) as definition, x.indisunique as unique,
       x.indisprimary as primary
     from pg_index x
     join pg_class i on i.oid = x.indexrelid
     join pg_class t on t.oid = x.indrelid
     join pg_namespace n on n.oid = t.relnamespace
     where n.nspname = current_schema() and t.relname like 'rm\\_%'`,
  );
  for (const index of indexes) {
    // `CREATE INDEX name ON public.table USING btree (a, b DESC, c)`: the column list as printed
    // (the key columns: an `INCLUDE (…)` after them is the database's own, Prisma has no word for it).
    const list = /USING \w+ \((.*?)\)(?: INCLUDE \(.*\))?$/.exec(index.definition)?.[1] ?? '';
    schema.get(index.table_name)?.indexes.push({
      name: index.index_name,
      columns: splitTopLevel(list, ',').map((column) => column.replace(/"/g, '')),
      unique: index.unique,
      primary: index.primary,
    });
  }
  return schema;
}

// --- the comparison --------------------------------------------------------------------------

/** The column type a Prisma field maps to, as `information_schema` names it. */
function expectedType(field: PrismaField): string | null {
  if (field.type === 'DateTime')
    return field.nativeType === 'Timestamptz'
      ? 'timestamp with time zone'
      : field.nativeType === null || field.nativeType === 'Timestamp'
        ? 'timestamp without time zone'
        : null;
  const byType: Record<string, string> = {
    String: 'text',
    Int: 'integer',
    BigInt: 'bigint',
    Float: 'double precision',
    Boolean: 'boolean',
    Json: 'jsonb',
    Decimal: 'numeric',
    Bytes: 'bytea',
  };
  // Other native types (@db.VarChar, @db.Uuid...) are not used by this schema: report them.
  if (field.nativeType !== null) return null;
  return byType[field.type] ?? null;
}

/** `'none'::text` → `none`, `'{}'::jsonb` → `{}`, `false` → `false`: the value alone. */
function normalizeDatabaseDefault(value: string): string {
  return value.replace(/::[\w\s[\]"]+$/g, '').replace(/^'(.*)'$/s, '$1');
}

/** `"none"` → `none`, `[]` → `{}` (PostgreSQL's empty array), `false` → `false`. */
function normalizePrismaDefault(value: string): string {
  const trimmed = value.trim();
  if (trimmed === '[]') return '{}';
  const string = /^"(.*)"$/s.exec(trimmed);
  return string ? string[1]!.replace(/\\"/g, '"') : trimmed;
}

const sameList = (a: readonly string[], b: readonly string[]) =>
  a.length === b.length && a.every((item, i) => item === b[i]);

/**
 * Every disagreement between the models and the database, one sentence each, naming the table
 * and column: an empty list means Prisma reads exactly the tables the migrations create.
 */
function compareSchema(models: PrismaModel[], database: DatabaseSchema): string[] {
  const differences: string[] = [];
  const modelled = new Set(models.map((model) => model.table));
  for (const table of [...database.keys()].sort())
    if (!modelled.has(table) && !UNMODELLED.has(table))
      differences.push(`${table}: table exists in the database but no model maps to it`);

  for (const model of models) {
    const where = `${model.table} (model ${model.name})`;
    const table = database.get(model.table);
    if (!table) {
      differences.push(`${where}: table does not exist in the database`);
      continue;
    }
    const fieldColumns = new Set(model.fields.map((field) => field.column));
    for (const column of [...table.columns.keys()].sort())
      if (!fieldColumns.has(column))
        differences.push(
          `${model.table}.${column}: column exists in the database but not in the model ${model.name}`,
        );

    for (const field of model.fields) {
      const at = `${model.table}.${field.column} (${model.name}.${field.name})`;
      const column = table.columns.get(field.column);
      if (!column) {
        differences.push(`${at}: column does not exist in the database`);
        continue;
      }
      const expected = expectedType(field);
      const actual = column.dataType === 'ARRAY' ? `${column.elementType}[]` : column.dataType;
      const prismaType = `${field.type}${field.list ? '[]' : ''}${
        field.nativeType ? ` @db.${field.nativeType}` : ''
      }`;
      if (expected === null)
        differences.push(`${at}: type ${prismaType} is not one this test knows how to compare`);
      else if (actual !== (field.list ? `${expected}[]` : expected))
        differences.push(
          `${at}: type ${prismaType} expects ${field.list ? `${expected}[]` : expected}, the database has ${actual}`,
        );
      // A Prisma list is never null in the client's types, so its column must not be either.
      const expectNullable = field.optional && !field.list;
      if (column.nullable !== expectNullable)
        differences.push(
          `${at}: ${expectNullable ? 'optional' : 'required'} in the model, ${
            column.nullable ? 'nullable' : 'not null'
          } in the database`,
        );
      if (field.defaultValue !== null) {
        if (column.default === null)
          differences.push(
            `${at}: @default(${field.defaultValue}) in the model, no default in the database`,
          );
        else if (
          normalizePrismaDefault(field.defaultValue) !== normalizeDatabaseDefault(column.default)
        )
          differences.push(
            `${at}: @default(${field.defaultValue}) in the model, default ${column.default} in the database`,
          );
      }
    }

    const primary = table.indexes.find((index) => index.primary);
    if (!primary) differences.push(`${where}: no primary key in the database`);
    else if (!sameList(primary.columns, model.primaryKey))
      differences.push(
        `${where}: primary key (${model.primaryKey.join(', ')}) in the model, (${primary.columns.join(', ')}) in the database`,
      );

    for (const index of model.indexes) {
      const found = table.indexes.find((candidate) => candidate.name === index.name);
      if (!found) differences.push(`${where}: index ${index.name} does not exist in the database`);
      else if (!sameList(found.columns, index.columns))
        differences.push(
          `${where}: index ${index.name} is on (${index.columns.join(', ')}) in the model, (${found.columns.join(', ')}) in the database`,
        );
    }

    for (const columns of model.uniques)
      if (!table.indexes.some((index) => index.unique && sameList(index.columns, columns)))
        differences.push(
          `${where}: unique (${columns.join(', ')}) in the model, no unique constraint on it in the database`,
        );
  }
  return differences;
}

// --- the tests -------------------------------------------------------------------------------

/** Migrates a fresh database and compares; `more` adds tests that use the same catalogue. */
function agreementSuite(
  open: () => Promise<SqlDatabase>,
  more?: (database: () => DatabaseSchema) => void,
) {
  let db: SqlDatabase;
  let database: DatabaseSchema;

  beforeAll(async () => {
    db = await open();
    await migrateReadModel(db);
    database = await readDatabaseSchema(db);
  });

  afterAll(async () => {
    await db?.close();
  });

  it('models every read-model table exactly as the migrations create it', () => {
    const models = parsePrismaModels(SCHEMA_TEXT);
    expect(
      compareSchema(models, database),
      'prisma/schema.prisma and migrations/*.sql disagree',
    ).toEqual([]);
  });

  it('reads the schema it compares (the parser did not silently drop models or fields)', () => {
    const models = parsePrismaModels(SCHEMA_TEXT);
    const timeline = models.find((model) => model.name === 'TimelineEntry')!;
    expect(models.map((model) => model.table).sort()).toEqual(
      [...database.keys()].filter((table) => !UNMODELLED.has(table)).sort(),
    );
    expect(timeline.fields.find((field) => field.name === 'correctedByEventIds')).toMatchObject({
      column: 'corrected_by_event_ids',
      type: 'String',
      list: true,
      defaultValue: '[]',
    });
    // Relation fields have no column and are not compared.
    expect(timeline.fields.map((field) => field.name)).not.toContain('batch');
    expect(timeline.uniques).toEqual([['event_id']]);
    expect(models.find((model) => model.name === 'Batch')!.indexes).toContainEqual({
      name: 'rm_batches_sponsor',
      columns: ['sponsor_id', 'scheduled_at DESC', 'id'],
    });
  });

  more?.(() => database);
}

describe('schema.prisma column names', () => {
  // The projector's row types (projections/rows.ts) are the Prisma models with their field names
  // in snake_case: that is only the columns' names if every @map says so.
  const snakeCase = (name: string) =>
    name.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);
  const misnamed = (schema: string) =>
    parsePrismaModels(schema).flatMap((model) =>
      model.fields
        .filter((field) => field.column !== snakeCase(field.name))
        .map((field) => `${model.name}.${field.name} → ${field.column}`),
    );

  it("are the fields' names in snake_case, which the projector's row types are derived from", () => {
    expect(misnamed(SCHEMA_TEXT)).toEqual([]);
    expect(misnamed(altered('@map("planned_quantity_value")', '@map("planned_qty")'))).toEqual([
      'Batch.plannedQuantityValue → planned_qty',
    ]);
  });
});

describeWithPostgres('schema.prisma against the migrated read model on PostgreSQL', (database) => {
  agreementSuite(async () => pgDatabase({ connectionString: database().url }));
});

/** The real schema text with one edit; throws when the edit does not apply (a stale test). */
function altered(search: string | RegExp, replacement: string): string {
  const result = SCHEMA_TEXT.replace(search, replacement);
  if (result === SCHEMA_TEXT) throw new Error(`the alteration ${String(search)} matched nothing`);
  return result;
}

describe('schema.prisma against the migrated read model on PGlite', () => {
  agreementSuite(
    () => pgliteDatabase(),
    (database) => {
      describe('the comparison reports what differs', () => {
        // The real catalogue against the real schema with one deliberate edit each: proof that
        // the test above can fail, and that its message says where.
        it.each([
          {
            change: 'a column renamed in the model',
            schema: altered('@map("batch_number")', '@map("batch_no")'),
            reported: [
              'rm_batches.batch_number: column exists in the database but not in the model Batch',
              'rm_batches.batch_no (Batch.batchNumber): column does not exist in the database',
              // ...and the lists' indexes by batch number name it too.
              'rm_batches (model Batch): index rm_batches_sponsor_number is on (sponsor_id, batch_no, id) in the model, (sponsor_id, batch_number, id) in the database',
              'rm_batches (model Batch): index rm_batches_cdmo_number is on (cdmo_id, batch_no, id) in the model, (cdmo_id, batch_number, id) in the database',
            ],
          },
          {
            change: 'a required column made optional',
            schema: altered('  status                 String', '  status                 String?'),
            reported: [
              'rm_batches.status (Batch.status): optional in the model, not null in the database',
            ],
          },
          {
            change: 'an optional column made required',
            schema: altered('coaId                  String?', 'coaId                  String '),
            reported: [
              'rm_batches.coa_id (Batch.coaId): required in the model, nullable in the database',
            ],
          },
          {
            change: 'a type changed',
            schema: altered('version                    Int', 'version                    BigInt'),
            reported: [
              'rm_agreements.version (Agreement.version): type BigInt expects bigint, the database has integer',
            ],
          },
          {
            change: 'a timestamp without its time zone',
            schema: altered(
              '@map("effective_from") @db.Timestamptz',
              '@map("effective_from")              ',
            ),
            reported: [
              'rm_agreements.effective_from (Agreement.effectiveFrom): type DateTime expects timestamp without time zone, the database has timestamp with time zone',
            ],
          },
          {
            change: 'a list that is not one',
            schema: altered('roles          String[]', 'roles          String  '),
            reported: [
              'rm_people.roles (Person.roles): type String expects text, the database has text[]',
            ],
          },
          {
            change: 'a default the database does not have, and one it has differently',
            schema: altered(
              'site                   String',
              'site                   String @default("")',
            ).replace('@default("none")', '@default("open")'),
            reported: [
              'rm_batches.site (Batch.site): @default("") in the model, no default in the database',
              `rm_deviations.capa_status (Deviation.capaStatus): @default("open") in the model, default 'none'::text in the database`,
            ],
          },
          {
            change: 'a different primary key',
            schema: altered('@@id([organizationId, personId])', '@@id([personId, organizationId])'),
            reported: [
              'rm_people (model Person): primary key (person_id, organization_id) in the model, (organization_id, person_id) in the database',
            ],
          },
          {
            change: 'an index the database does not have, and one on other columns',
            schema: altered('map: "rm_batches_status"', 'map: "rm_batches_state"').replace(
              '@@index([batchId], map: "rm_deviation_batches_batch")',
              '@@index([batchId, deviationId], map: "rm_deviation_batches_batch")',
            ),
            reported: [
              'rm_batches (model Batch): index rm_batches_state does not exist in the database',
              'rm_deviation_batches (model DeviationBatch): index rm_deviation_batches_batch is on (batch_id, deviation_id) in the model, (batch_id) in the database',
            ],
          },
          {
            change: 'a uniqueness the database does not enforce',
            schema: altered(
              'streamId              String ',
              'streamId              String @unique',
            ),
            reported: [
              'rm_timeline (model TimelineEntry): unique (stream_id) in the model, no unique constraint on it in the database',
            ],
          },
          {
            change: 'a table left out of the model, and a model of no table',
            schema: altered('@@map("rm_organizations")', '@@map("rm_organisations")'),
            reported: [
              'rm_organizations: table exists in the database but no model maps to it',
              'rm_organisations (model Organization): table does not exist in the database',
            ],
          },
        ])('$change', ({ schema, reported }) => {
          expect(compareSchema(parsePrismaModels(schema), database())).toEqual(reported);
        });
      });
    },
  );
});
