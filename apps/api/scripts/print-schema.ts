// Writes the printed GraphQL schema to schemas/graphql/concord.graphql (checked in; a test
// compares it with the schema the code builds, so every API change shows up in review).
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { printedSchema } from '../src/schema/index.ts';

const target = fileURLToPath(new URL('../../../schemas/graphql/concord.graphql', import.meta.url));
writeFileSync(target, printedSchema());
console.log(`wrote ${target}`);
