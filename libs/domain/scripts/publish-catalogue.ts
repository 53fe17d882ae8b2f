// pnpm --filter @concord/domain run publish-catalogue
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderCatalogueDocuments, schemasDir } from './catalogue-documents.ts';

for (const [name, text] of Object.entries(await renderCatalogueDocuments())) {
  writeFileSync(join(schemasDir, name), text);
  console.log(`wrote schemas/${name}`);
}
