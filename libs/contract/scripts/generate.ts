// pnpm --filter @concord/contract run generate
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderGeneratedFiles } from './codegen.ts';
import { generatedDir } from './schema-files.ts';

mkdirSync(generatedDir, { recursive: true });
for (const [name, source] of Object.entries(await renderGeneratedFiles())) {
  writeFileSync(join(generatedDir, name), source);
  console.log(`wrote src/generated/${name}`);
}
