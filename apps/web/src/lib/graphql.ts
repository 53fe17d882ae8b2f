// The dashboard's typed GraphQL: every operation's result and variables are inferred by gql.tada
// from the API's printed schema (schemas/graphql/concord.graphql, introspected into
// graphql-env.d.ts by `pnpm --filter @concord/web generate:graphql`). A field the schema does not
// have, or a changed type, fails `gql.tada check` and the typecheck, not the dashboard at run time.
import { initGraphQLTada } from 'gql.tada';
import type { introspection } from './graphql-env.d.ts';

export const graphql = initGraphQLTada<{
  introspection: introspection;
  // Fragments only name shared selections here; every view reads the fields it asked for.
  disableMasking: true;
  scalars: {
    /** An ISO-8601 instant, as the API serializes it. */
    DateTime: string;
    /** Event payloads and values as recorded: JSON objects in every field that carries one. */
    JSON: Record<string, unknown>;
  };
}>();

export type { ResultOf, VariablesOf } from 'gql.tada';
