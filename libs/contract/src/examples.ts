import type { ConcordEvent } from './events.ts';
import type { EventType } from './generated/catalogue.ts';
import { exampleDocuments } from './generated/examples.ts';

/**
 * A fresh copy of the published example event of a type (schemas/examples/), for tests and demo
 * feeds elsewhere. Entry point `@concord/contract/examples`, kept out of the main one.
 */
export function exampleEvent<T extends EventType>(type: T): ConcordEvent<T> {
  return structuredClone(exampleDocuments[type]) as ConcordEvent<T>;
}
