import type { ExpectedVersion } from './types.ts';

/** Base of the store's errors; `retriable` tells callers whether trying again can succeed. */
export abstract class EventStoreError extends Error {
  abstract readonly code: string;
  abstract readonly retriable: boolean;
}

/** The stream is not at the version the writer expected (someone else appended first). */
export class ConcurrencyError extends EventStoreError {
  override readonly name = 'ConcurrencyError';
  readonly code = 'event-store.wrong-expected-version';
  /** Reload the stream, decide again, append again. */
  readonly retriable = true;
  readonly streamId: string;
  readonly expectedVersion: ExpectedVersion;
  /** The stream's version when the append was refused (0: it does not exist). */
  readonly actualVersion: number;

  constructor(streamId: string, expectedVersion: ExpectedVersion, actualVersion: number) {
    super(
      `stream ${streamId} is at version ${actualVersion}, but the append expected ${String(expectedVersion)}`,
    );
    this.streamId = streamId;
    this.expectedVersion = expectedVersion;
    this.actualVersion = actualVersion;
  }
}

/**
 * An event id that is already stored with other content, or in another stream: not a redelivery
 * but a clash, and never silently accepted.
 */
export class EventIdConflictError extends EventStoreError {
  override readonly name = 'EventIdConflictError';
  readonly code = 'event-store.event-id-conflict';
  readonly retriable = false;
  readonly eventId: string;

  constructor(eventId: string, detail: string) {
    super(`event id ${eventId} is already stored ${detail}`);
    this.eventId = eventId;
  }
}

/** The events themselves cannot be stored (empty batch, bad ids, content PostgreSQL refuses). */
export class InvalidAppendError extends EventStoreError {
  override readonly name = 'InvalidAppendError';
  readonly code = 'event-store.invalid-append';
  readonly retriable = false;
}
