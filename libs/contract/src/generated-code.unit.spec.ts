import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderGeneratedFiles } from '../scripts/codegen.ts';
import { generatedDir } from '../scripts/schema-files.ts';

describe('src/generated', () => {
  it('is what `pnpm --filter @concord/contract run generate` makes of the schemas today', async () => {
    const rendered = await renderGeneratedFiles();
    expect(Object.keys(rendered).sort()).toEqual([
      'catalogue.ts',
      'examples.ts',
      'schema-types.ts',
    ]);
    for (const [name, source] of Object.entries(rendered)) {
      const committed = readFileSync(join(generatedDir, name), 'utf8');
      expect(
        committed === source,
        `src/generated/${name} is out of date: run pnpm --filter @concord/contract run generate`,
      ).toBe(true);
    }
  });
});
