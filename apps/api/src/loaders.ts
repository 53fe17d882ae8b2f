import type { Deviation, Organization, ScopedReadModel } from '@concord/read-model';
import DataLoader from 'dataloader';
import type { PublishedChange } from './change-feed.ts';
import { organizationOf, partyOf, type ApiContext } from './context.ts';

/** What Pothos asks of a model for a field's selection (its relations, or the columns). */
type Selection = { select?: Record<string, unknown>; include?: Record<string, unknown> };

/** The most ids one statement asks for (a page is at most 100 rows). */
const MAX_BATCH = 100;

/**
 * Rows by id: every `load` of one tick is answered by one statement (`id in (…)`) in the
 * request's transaction, so row-level security applies, and the caller's own filter where the
 * loader adds one. A row the caller may not see is null, as one that does not exist. The loader
 * lives as long as the scope's transaction, never across requests or subscription events.
 */
function loaderOf<Row extends { id: string }>(
  context: ApiContext,
  key: string,
  find: (ids: string[]) => Promise<Row[]>,
): DataLoader<string, Row | null> {
  return context.scope.memo(
    key,
    () =>
      new DataLoader<string, Row | null>(
        async (ids) => {
          const found = new Map((await find([...ids])).map((row) => [row.id, row]));
          return ids.map((id) => found.get(id) ?? null);
        },
        { maxBatchSize: MAX_BATCH },
      ),
  );
}

/** A selection as a loader key: one loader per distinct selection (rows loaded alike). */
const selectionKeys = new WeakMap<Selection, string>();
function keyOf(model: string, selection: Selection): string {
  let key = selectionKeys.get(selection);
  if (key === undefined) selectionKeys.set(selection, (key = JSON.stringify(selection)));
  return `${model} ${key}`;
}

/** With `select`, the id is selected too: the loader matches rows to ids by it. */
const withId = (selection: Selection): Selection =>
  selection.select ? { ...selection, select: { ...selection.select, id: true } } : selection;

/**
 * An organization by id: the caller's own or a partner's under an agreement (row-level security
 * decides, as for every read of the organizations).
 */
export function organizationById(context: ApiContext, id: string): Promise<Organization | null> {
  return loaderOf(context, 'organization', (ids) =>
    context.db.organization.findMany({ where: { id: { in: ids } } }),
  ).load(id);
}

/** A deviation the caller is party to, by id, with what `selection` asks of its relations. */
export function deviationById(
  context: ApiContext,
  id: string,
  selection: Selection,
): Promise<Deviation | null> {
  return loaderOf(
    context,
    keyOf('deviation', selection),
    (ids) =>
      context.db.deviation.findMany({
        ...withId(selection),
        where: { id: { in: ids }, ...partyOf(context) },
      }) as Promise<Deviation[]>,
  ).load(id);
}

/**
 * The row a subscriber's change is about, as the chunk it was published in left it. The first
 * subscriber of the organization to ask for a kind of row with a selection reads every row of
 * that kind its subscribers took from the chunk, in one statement of a transaction of its own
 * (under row-level security, with the caller's own filter); every other subscriber of the
 * organization, and every later change of the chunk, is answered from that read. A row the
 * caller may not see is null, as one that does not exist.
 */
export async function changedRow<Row extends { id: string }>(
  context: ApiContext,
  { change, chunk }: PublishedChange,
  model: string,
  selection: Selection,
  find: (db: ScopedReadModel, query: Selection & { where: object }) => Promise<Row[]>,
): Promise<Row | null> {
  if (chunk.organizationId !== organizationOf(context))
    throw new Error("defect: a subscriber was handed another organization's chunk");
  const rows = await chunk.once(`${change.kind} ${keyOf(model, selection)}`, async () => {
    const scope = context.newScope();
    try {
      const found = await find(scope.db, {
        ...withId(selection),
        where: { id: { in: chunk.wanted(change.kind) }, ...partyOf(context) },
      });
      return new Map(found.map((row) => [row.id, row]));
    } finally {
      void scope.end();
    }
  });
  return rows.get(change.id) ?? null;
}
