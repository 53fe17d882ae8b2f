import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { listExampleFiles, schemasDir } from '../../scripts/schema-files.ts';
import { exampleEvent } from '../examples.ts';

/** A fresh copy of the published example for an event type (mutate it freely in a test). */
export const example = exampleEvent;

/** Every example file: its path relative to schemas/ and its parsed content. */
export function allExamples(): { path: string; content: unknown }[] {
  return listExampleFiles().map((path) => ({
    path,
    content: JSON.parse(readFileSync(join(schemasDir, path), 'utf8')) as unknown,
  }));
}
