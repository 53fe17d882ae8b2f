import type { EventType } from './generated/catalogue.ts';
import type { ConcordCloudEvent, EventDataByType } from './generated/schema-types.ts';

/** The CloudEvents attributes of a Concord event (everything but `type` and `data`). */
export type CloudEventAttributes = Omit<ConcordCloudEvent, 'type' | 'data'>;

/**
 * A Concord event in structured-mode form: the CloudEvents attributes plus typed `data`.
 * `ConcordEvent` alone is the discriminated union over every event type (narrow on `type`).
 */
export type ConcordEvent<T extends EventType = EventType> = T extends EventType
  ? CloudEventAttributes & { type: T; data: EventDataByType[T] }
  : never;

/** The data of one event type. */
export type EventData<T extends EventType> = EventDataByType[T];
