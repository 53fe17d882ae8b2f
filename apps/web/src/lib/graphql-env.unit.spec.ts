import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const webRoot = fileURLToPath(new URL('../..', import.meta.url));
const committed = fileURLToPath(new URL('./graphql-env.d.ts', import.meta.url));

describe("the dashboard's GraphQL types", () => {
  it('are introspected from the printed schema as it is now (run generate:graphql after a schema change)', async () => {
    const scratch = await mkdtemp(join(tmpdir(), 'concord-graphql-env-'));
    try {
      const fresh = join(scratch, 'graphql-env.d.ts');
      await promisify(execFile)(
        join(webRoot, 'node_modules/.bin/gql.tada'),
        ['generate', 'output', '--output', fresh],
        { cwd: webRoot },
      );
      expect(await readFile(committed, 'utf8')).toBe(await readFile(fresh, 'utf8'));
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
  }, 60_000);
});
