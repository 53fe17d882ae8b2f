import { ConcurrencyError, InvalidAppendError } from './errors.ts';
import type { ExpectedVersion, NewEvent } from './types.ts';

const MAX_ID_LENGTH = 200;

/** Refuses appends that could never be stored correctly, before touching the database. */
export function assertValidAppend(streamId: string, events: NewEvent[]): void {
  if (typeof streamId !== 'string' || streamId.length === 0 || streamId.length > MAX_ID_LENGTH) {
    throw new InvalidAppendError(`stream id must be 1..${MAX_ID_LENGTH} characters`);
  }
  if (events.length === 0) throw new InvalidAppendError(`append to ${streamId} has no events`);
  const ids = new Set<string>();
  for (const [index, event] of events.entries()) {
    if (typeof event.id !== 'string' || event.id.length === 0 || event.id.length > MAX_ID_LENGTH) {
      throw new InvalidAppendError(
        `event ${index} has no valid id (1..${MAX_ID_LENGTH} characters)`,
      );
    }
    if (ids.has(event.id))
      throw new InvalidAppendError(`event id ${event.id} appears twice in one append`);
    ids.add(event.id);
    if (typeof event.type !== 'string' || event.type.length === 0) {
      throw new InvalidAppendError(`event ${event.id} has no type`);
    }
    if (event.data === null || typeof event.data !== 'object' || Array.isArray(event.data)) {
      throw new InvalidAppendError(`event ${event.id} data must be a JSON object`);
    }
  }
}

/** Whether a stream at version `actual` is where a writer expecting `expected` believes it is. */
export function meetsExpectedVersion(expected: ExpectedVersion, actual: number): boolean {
  return (
    expected === 'any' ||
    (expected === 'no-stream' && actual === 0) ||
    (expected === 'stream-exists' && actual > 0) ||
    expected === actual
  );
}

/** Throws the concurrency error when a stream at `actual` does not meet `expected`. */
export function assertExpectedVersion(
  streamId: string,
  expected: ExpectedVersion,
  actual: number,
): void {
  if (!meetsExpectedVersion(expected, actual))
    throw new ConcurrencyError(streamId, expected, actual);
}
