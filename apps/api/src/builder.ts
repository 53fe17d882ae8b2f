import SchemaBuilder from '@pothos/core';
import { createGraphQLError } from 'graphql-yoga';
import ErrorsPlugin from '@pothos/plugin-errors';
import PrismaPlugin from '@pothos/plugin-prisma';
import RelayPlugin from '@pothos/plugin-relay';
import ScopeAuthPlugin from '@pothos/plugin-scope-auth';
import { getDatamodel, type PrismaTypes } from '@concord/read-model';
import type { ApiContext } from './context.ts';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from './cost-limit.ts';

/** Setup only: the types and their fields live in schema/<type>.ts. */
export const builder = new SchemaBuilder<{
  Context: ApiContext;
  PrismaTypes: PrismaTypes;
  AuthScopes: { member: boolean; person: boolean };
  DefaultFieldNullability: false;
  Scalars: {
    DateTime: { Input: Date; Output: Date };
    JSON: { Input: unknown; Output: unknown };
  };
}>({
  plugins: [ScopeAuthPlugin, ErrorsPlugin, PrismaPlugin, RelayPlugin],
  defaultFieldNullability: false,
  scopeAuth: {
    // Check a subscription's scopes before it starts listening, not per event.
    authorizeOnSubscribe: true,
    authScopes: (context) => ({
      member: context.caller !== undefined,
      person: context.caller?.kind === 'person',
    }),
    // One sentence whatever was refused: it must not tell what exists. (createGraphQLError: the
    // GraphQLError class yoga itself recognizes, whichever build of graphql loaded this file.)
    unauthorizedError: () =>
      createGraphQLError('Not authorized: sign in with a token of your organization.', {
        extensions: { code: 'UNAUTHORIZED' },
      }),
  },
  errors: { defaultTypes: [] },
  prisma: {
    // Per request: every Pothos query, relation load and node lookup goes through the caller's
    // row-level-security scope.
    client: (context) => context.db as never,
    dmmf: getDatamodel(),
    filterConnectionTotalCount: true,
    onUnusedQuery: null,
    // A page is 20 edges unless asked; never more than 100 (no unbounded list on any path).
    defaultConnectionSize: DEFAULT_PAGE_SIZE,
    maxConnectionSize: MAX_PAGE_SIZE,
  },
  relay: {
    clientMutationId: 'omit',
    cursorType: 'String',
    nodeQueryOptions: { authScopes: { member: true } },
    nodesQueryOptions: { authScopes: { member: true } },
  },
});

builder.scalarType('DateTime', {
  description: 'An instant, RFC 3339 in UTC.',
  serialize: (value) => value.toISOString(),
  parseValue: (value) => {
    const date = new Date(String(value));
    if (Number.isNaN(date.getTime()))
      throw new TypeError(`${String(value)} is not an RFC 3339 instant`);
    return date;
  },
});

builder.scalarType('JSON', {
  description: 'An event payload as recorded (JSON).',
  serialize: (value) => value,
  parseValue: (value) => value,
});
