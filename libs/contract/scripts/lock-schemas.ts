// pnpm --filter @concord/contract run lock-schemas
// Publishes new schema files by adding them to schemas/published.lock.json. It refuses to touch a
// schema that is already published: those are immutable.
import { existsSync, writeFileSync } from 'node:fs';
import { currentHashes, extendLock, lockFile, readLock } from './schema-lock.ts';

const { lock, added, problems } = extendLock(
  existsSync(lockFile) ? readLock() : undefined,
  currentHashes(),
);
if (problems.length > 0) {
  for (const problem of problems) console.error(problem);
  process.exit(1);
}
writeFileSync(lockFile, JSON.stringify(lock, null, 2) + '\n');
console.log(added.length === 0 ? 'nothing new to publish' : `published:\n  ${added.join('\n  ')}`);
