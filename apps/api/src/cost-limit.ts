import {
  getNamedType,
  getNullableType,
  getOperationAST,
  getVariableValues,
  isCompositeType,
  isInterfaceType,
  isListType,
  isObjectType,
  Kind,
  type ExecutionArgs,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLError,
  type SelectionNode,
} from 'graphql';
import { createGraphQLError, type Plugin } from 'graphql-yoga';

/** A page is this many edges unless asked (`first`/`last`), on every connection. */
export const DEFAULT_PAGE_SIZE = 20;
/** The largest page a connection serves: no unbounded list on any path. */
export const MAX_PAGE_SIZE = 100;
/**
 * What the estimate assumes of a list without pages (a batch's `blockers`, `qcResults`,
 * `deviationLinks`): its length is the data's, not the caller's, and is a handful in practice.
 */
export const LIST_ITEMS = 5;

/**
 * Fields that cost more than the one object they return (`extensions: { cost }` in the schema):
 * each reads the record from the event store, per item it is asked for.
 */
export const FIELD_COSTS = {
  /** Reads and folds one stream (`viewerCan`, `asOf`). */
  storeRead: 10,
  /** Reads one stream and checks every entry's signatures and corrections (`history`). */
  history: 20,
  /** Recomputes hash chains and verifies signatures, linked streams included (`verification`). */
  verification: 100,
} as const;

/**
 * The cost limit: an estimate of what an operation makes the server load and resolve, refused
 * above `maxCost` before anything runs.
 *
 * - An object costs 1 (a row, or a value built from one), plus what is selected in it; a scalar
 *   costs nothing of its own (it comes with its row). A field the schema marks as dearer
 *   (`extensions: { cost }`, FIELD_COSTS) costs that instead of 1.
 * - A field costs its own price times the items it returns: a connection's edges are its page
 *   (`first`/`last`, literal or variable, default DEFAULT_PAGE_SIZE), a list without pages is
 *   LIST_ITEMS, and everything nested multiplies.
 * - A fragment, spread or inline, costs exactly its fields written in place; every alias counts.
 *
 * It measures what nesting and page sizes multiply: the server loads each level of a page with
 * one statement (a relation with the page's query, loaders.ts for the rest), so what grows
 * is rows and resolvers, not round trips. A dashboard page of 50 batches with their sponsor,
 * CDMO, blockers (and their deviations), deviation links and QC results costs 1,452; the same
 * page with each batch's store read and verified (`viewerCan`, `verification`) costs over
 * 6,000, and pages of 100 inside pages of 100 tens of thousands. Pages above MAX_PAGE_SIZE are
 * refused outright, whatever the cost.
 *
 * Not graphql-armor's estimate: it reads `first`/`last` only as literals (`first: $n` counted 1,
 * so nested pages of 100 passed), silently cuts a page above the maximum and counts each
 * fragment as one more level; and its weights (objects 2, scalars 1, ×1.5 per level, the page
 * multiplying every field of the connection) priced that 50-batch page at 14,298.
 */
export function costLimit(maxCost: number): Plugin {
  return {
    onExecute({ args, setResultAndStopExecution }) {
      const error = refusal(args, maxCost);
      if (error) setResultAndStopExecution({ errors: [error] });
    },
    onSubscribe({ args, setResultAndStopExecution }) {
      const error = refusal(args, maxCost);
      if (error) setResultAndStopExecution({ errors: [error] });
    },
  };
}

/** Why the operation may not run (a page too large, or the cost), or undefined. */
function refusal(args: ExecutionArgs, maxCost: number): GraphQLError | undefined {
  const { schema, document } = args;
  const operation = getOperationAST(document, args.operationName);
  if (!operation) return undefined; // execution reports it
  const root = schema.getRootType(operation.operation);
  if (!root) return undefined;
  const { coerced } = getVariableValues(
    schema,
    operation.variableDefinitions ?? [],
    args.variableValues ?? {},
  );
  if (!coerced) return undefined; // invalid variables: execution reports them
  const fragments = new Map(
    document.definitions
      .filter((node): node is FragmentDefinitionNode => node.kind === Kind.FRAGMENT_DEFINITION)
      .map((node) => [node.name.value, node]),
  );
  let tooLarge: GraphQLError | undefined;

  const typeNamed = (name: string, otherwise: GraphQLCompositeType) => {
    const type = schema.getType(name);
    return type && isCompositeType(type) ? type : otherwise;
  };
  /** The fields a selection set asks for, fragments written in place, each with its parent type. */
  const fieldsOf = (
    selections: readonly SelectionNode[],
    parent: GraphQLCompositeType,
    seen: ReadonlySet<string>,
  ): [FieldNode, GraphQLCompositeType][] =>
    selections.flatMap((node): [FieldNode, GraphQLCompositeType][] => {
      if (node.kind === Kind.FIELD) return [[node, parent]];
      if (node.kind === Kind.INLINE_FRAGMENT)
        return fieldsOf(
          node.selectionSet.selections,
          node.typeCondition ? typeNamed(node.typeCondition.name.value, parent) : parent,
          seen,
        );
      const fragment = fragments.get(node.name.value);
      // An unknown or cyclic spread (both refused by validation) asks for nothing more.
      if (!fragment || seen.has(fragment.name.value)) return [];
      return fieldsOf(
        fragment.selectionSet.selections,
        typeNamed(fragment.typeCondition.name.value, parent),
        new Set(seen).add(fragment.name.value),
      );
    });

  /** The page a field asks for (`first`/`last`), refusing one above the maximum. */
  const pageAsked = (node: FieldNode): number | undefined => {
    let page: number | undefined;
    for (const argument of node.arguments ?? []) {
      if (argument.name.value !== 'first' && argument.name.value !== 'last') continue;
      const { value } = argument;
      const size =
        value.kind === Kind.INT
          ? Number(value.value)
          : value.kind === Kind.VARIABLE
            ? coerced[value.name.value]
            : undefined;
      if (typeof size !== 'number') continue;
      if (size > MAX_PAGE_SIZE)
        tooLarge ??= createGraphQLError(
          `Page size ${size} exceeds the maximum of ${MAX_PAGE_SIZE} (${argument.name.value} on ${node.name.value}).`,
        );
      page = Math.max(page ?? 0, size);
    }
    return page;
  };

  /** A field's cost; `page` is the page of the connection it is a field of, if any. */
  const cost = (node: FieldNode, parent: GraphQLCompositeType, page?: number): number => {
    if (node.name.value.startsWith('__')) return 0; // introspection and __typename
    const field =
      isObjectType(parent) || isInterfaceType(parent)
        ? parent.getFields()[node.name.value]
        : undefined;
    if (!field) return 0; // validation refuses it
    const own = typeof field.extensions.cost === 'number' ? field.extensions.cost : undefined;
    const type = getNamedType(field.type);
    if (!node.selectionSet || !isCompositeType(type)) return own ?? 0;
    // A connection's page is the length of its lists (edges); everything else is one page.
    const isConnection = field.args.some((arg) => arg.name === 'first' || arg.name === 'last');
    const asked = pageAsked(node);
    const pageOfChildren = isConnection ? (asked ?? DEFAULT_PAGE_SIZE) : undefined;
    const items = isListType(getNullableType(field.type)) ? (page ?? LIST_ITEMS) : 1;
    const each = fieldsOf(node.selectionSet.selections, type, new Set()).reduce(
      (sum, [child, childParent]) => sum + cost(child, childParent, pageOfChildren),
      own ?? 1,
    );
    return items * each;
  };

  const total = fieldsOf(operation.selectionSet.selections, root, new Set()).reduce(
    (sum, [node, parent]) => sum + cost(node, parent),
    0,
  );
  if (tooLarge) return tooLarge;
  if (total > maxCost) return costError(maxCost, total);
  return undefined;
}

const costError = (limit: number, found: number) =>
  createGraphQLError(
    `The operation is estimated to cost ${found}, above the limit of ${limit}: ask for smaller pages (first/last), fewer nested connections or fewer fields, or split it into several operations.`,
    { extensions: { code: 'COST_LIMIT_EXCEEDED', limit, found } },
  );
