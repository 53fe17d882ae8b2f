// The published-schema lock: a SHA-256 of the RFC 8785 canonical JSON of every schema file.
// Published versions are immutable; the lock makes any change to one fail a unit test.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { canonicalJson } from '../src/canonical-json.ts';
import { listSchemaFiles, readSchemaFile, schemasDir } from './schema-files.ts';

export const lockFile = fileURLToPath(
  new URL('../../../schemas/published.lock.json', import.meta.url),
);

export const LOCK_COMMAND = 'pnpm --filter @concord/contract run lock-schemas';

export interface SchemaLock {
  readonly description: string;
  readonly schemas: Readonly<Record<string, string>>;
}

export function schemaHash(path: string, dir: string = schemasDir): string {
  return createHash('sha256')
    .update(canonicalJson(readSchemaFile(path, dir)), 'utf8')
    .digest('hex');
}

export function currentHashes(dir: string = schemasDir): Record<string, string> {
  return Object.fromEntries(listSchemaFiles(dir).map((path) => [path, schemaHash(path, dir)]));
}

export function readLock(file: string = lockFile): SchemaLock {
  return JSON.parse(readFileSync(file, 'utf8')) as SchemaLock;
}

export function immutableMessage(path: string): string {
  return (
    `schemas/${path} is published and immutable, but its content changed. Revert the change; ` +
    'to evolve the contract add a new version (e.g. events/<aggregate>/<event>.v<N+1>.schema.json) ' +
    `plus an upcaster in libs/contract/src/upcasting.ts, then run \`${LOCK_COMMAND}\`.`
  );
}

/** Every way the schema files and the lock disagree, as sentences (empty when they agree). */
export function lockProblems(
  lock: SchemaLock,
  current: Readonly<Record<string, string>>,
): string[] {
  const problems: string[] = [];
  for (const [path, hash] of Object.entries(lock.schemas)) {
    const now = current[path];
    if (now === undefined) {
      problems.push(
        `schemas/${path} is published but was deleted; published versions stay forever (restore it).`,
      );
    } else if (now !== hash) {
      problems.push(immutableMessage(path));
    }
  }
  for (const path of Object.keys(current)) {
    if (!(path in lock.schemas)) {
      problems.push(
        `schemas/${path} is not in schemas/published.lock.json: if it is a deliberate new version, publish it with \`${LOCK_COMMAND}\`.`,
      );
    }
  }
  return problems;
}

/** The lock with new files added; existing entries never change. */
export function extendLock(
  lock: SchemaLock | undefined,
  current: Readonly<Record<string, string>>,
): { lock: SchemaLock; added: string[]; problems: string[] } {
  const previous = lock?.schemas ?? {};
  const problems = lockProblems({ description: '', schemas: previous }, current).filter(
    (p) => !p.includes('is not in schemas/published.lock.json'),
  );
  const added = Object.keys(current).filter((path) => !(path in previous));
  const schemas: Record<string, string> = { ...previous };
  for (const path of added) schemas[path] = current[path] ?? '';
  const sorted = Object.fromEntries(Object.entries(schemas).sort(([a], [b]) => (a < b ? -1 : 1)));
  return {
    lock: {
      description:
        'SHA-256 of the RFC 8785 canonical JSON of every published schema. Published schemas are immutable: ' +
        `add a new version and run \`${LOCK_COMMAND}\` (it only ever adds entries).`,
      schemas: sorted,
    },
    added,
    problems,
  };
}
