import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { printedSchema } from './index.ts';

const checkedIn = fileURLToPath(
  new URL('../../../../schemas/graphql/concord.graphql', import.meta.url),
);

describe('the printed GraphQL schema', () => {
  it('matches schemas/graphql/concord.graphql (run `pnpm --filter @concord/api print-schema`)', () => {
    expect(printedSchema()).toBe(readFileSync(checkedIn, 'utf8'));
  });

  it('offers node lookups, connections, subscriptions and signed human acts', () => {
    const schema = printedSchema();
    for (const expected of [
      'node(id: ID!): Node',
      'batches(',
      'releaseReadiness(',
      'type Subscription',
      'batchChanged(',
      'certifyBatch(',
      'input SignatureInput',
    ])
      expect(schema).toContain(expected);
  });
});
