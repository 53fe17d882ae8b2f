import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository's `schemas/` folder (the published contract). */
export const schemasDir = fileURLToPath(new URL('../../../schemas/', import.meta.url));

/** Where the generated TypeScript lives. */
export const generatedDir = fileURLToPath(new URL('../src/generated/', import.meta.url));

/** Every `*.schema.json` under `schemas/`, as sorted POSIX paths relative to it. */
export function listSchemaFiles(dir: string = schemasDir): string[] {
  const found: string[] = [];
  const walk = (current: string): void => {
    for (const entry of readdirSync(current, { withFileTypes: true })) {
      const full = join(current, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name.endsWith('.schema.json'))
        found.push(relative(dir, full).split(sep).join('/'));
    }
  };
  walk(dir);
  return found.sort();
}

export function readSchemaFile(path: string, dir: string = schemasDir): unknown {
  return JSON.parse(readFileSync(join(dir, path), 'utf8'));
}

const eventFile =
  /^events\/([a-z]+(?:-[a-z]+)*)\/([a-z]+(?:-[a-z]+)*)\.v([1-9][0-9]*)\.schema\.json$/;

export interface EventSchemaFile {
  readonly path: string;
  readonly type: string;
  readonly aggregate: string;
  readonly event: string;
  readonly version: number;
}

/** The event schema files, with the CloudEvents type each one defines (from its path). */
export function listEventSchemaFiles(dir: string = schemasDir): EventSchemaFile[] {
  return listSchemaFiles(dir)
    .filter((path) => path.startsWith('events/'))
    .map((path) => {
      const match = eventFile.exec(path);
      if (!match) {
        throw new Error(
          `schemas/${path}: event schema files must be named events/<aggregate>/<event>.v<N>.schema.json`,
        );
      }
      const [, aggregate = '', event = '', version = ''] = match;
      return {
        path,
        type: `concord.${aggregate}.${event}.v${version}`,
        aggregate,
        event,
        version: Number(version),
      };
    });
}

/** The example events, as paths relative to `schemas/` (examples/<aggregate>/<event>.v<N>.json). */
export function listExampleFiles(dir: string = schemasDir): string[] {
  const found: string[] = [];
  const examples = join(dir, 'examples');
  for (const aggregate of readdirSync(examples, { withFileTypes: true })) {
    if (!aggregate.isDirectory()) continue;
    for (const file of readdirSync(join(examples, aggregate.name))) {
      if (file.endsWith('.json')) found.push(`examples/${aggregate.name}/${file}`);
    }
  }
  return found.sort();
}

/** The rejection schemas (rejection.v<N>.schema.json), oldest first. */
export function listRejectionSchemaFiles(
  dir: string = schemasDir,
): { path: string; version: number }[] {
  return listSchemaFiles(dir)
    .flatMap((path) => {
      const match = /^rejection\.v([1-9][0-9]*)\.schema\.json$/.exec(path);
      return match ? [{ path, version: Number(match[1]) }] : [];
    })
    .sort((a, b) => a.version - b.version);
}
