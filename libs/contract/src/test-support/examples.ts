import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ConcordEvent } from '../events.ts';
import type { EventType } from '../generated/catalogue.ts';
import { listExampleFiles, schemasDir } from '../../scripts/schema-files.ts';

/** A fresh copy of the published example for an event type (mutate it freely in a test). */
export function example<T extends EventType>(type: T): ConcordEvent<T> {
  const [, aggregate, event, version] = type.split('.');
  const file = join(
    schemasDir,
    'examples',
    aggregate ?? '',
    `${event ?? ''}.${version ?? ''}.json`,
  );
  return JSON.parse(readFileSync(file, 'utf8')) as ConcordEvent<T>;
}

/** Every example file: its path relative to schemas/ and its parsed content. */
export function allExamples(): { path: string; content: unknown }[] {
  return listExampleFiles().map((path) => ({
    path,
    content: JSON.parse(readFileSync(join(schemasDir, path), 'utf8')) as unknown,
  }));
}
