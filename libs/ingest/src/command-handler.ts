import {
  ConcurrencyError,
  type EventStore,
  type JsonObject,
  type RecordedEvent,
} from '@concord/event-store';

/** An event the domain decided, with the metadata the decider gave it (its id included). */
export interface DecidedEvent {
  type: string;
  data: unknown;
  metadata?: { id: string } & Record<string, unknown>;
}

export interface Decider<Command, State> {
  decide(command: Command, state: State): DecidedEvent[];
  evolve(state: State, event: DecidedEvent): State;
  initialState(): State;
}

export type HandleResult =
  | { duplicate: false; events: DecidedEvent[]; positions: bigint[]; nextExpectedVersion: number }
  | { duplicate: true; positions: bigint[] };

const asDomainEvent = (event: RecordedEvent): DecidedEvent => ({
  type: event.type,
  data: event.data,
  metadata: { ...event.metadata, id: event.id } as DecidedEvent['metadata'],
});

/**
 * Emmett-style command handling: read the stream, fold it, decide, append at the version read.
 * A lost race is retried from a fresh read. An event id already in the stream is a redelivery:
 * it is answered with the original positions before deciding, because deciding again against
 * the newer state could refuse what was accepted the first time.
 */
export async function handleCommand<Command, State>(options: {
  store: EventStore;
  streamId: string;
  decider: Decider<Command, State>;
  command: Command;
  /** The id the command's own event is recorded under. */
  eventId: string;
  /** Extra metadata for the command's own event (the partner's envelope, say). */
  extraMetadata?: JsonObject;
  maxRetries?: number;
}): Promise<HandleResult> {
  const { store, streamId, decider, command, eventId, maxRetries = 10 } = options;
  for (let attempt = 0; ; attempt++) {
    const history = await store.readStream(streamId);
    const original = history.find(
      (event) => event.id === eventId || event.id.startsWith(`${eventId}:`),
    );
    if (original) {
      const positions = history
        .filter((e) => e.id === eventId || e.id.startsWith(`${eventId}:`))
        .map((e) => e.globalPosition);
      return { duplicate: true, positions };
    }
    const state = history.reduce(
      (current, event) => decider.evolve(current, asDomainEvent(event)),
      decider.initialState(),
    );
    const events = decider.decide(command, state);
    if (events.length === 0)
      return { duplicate: false, events, positions: [], nextExpectedVersion: history.length };
    try {
      const result = await store.append(
        streamId,
        events.map((event) => {
          const { id, ...metadata } = event.metadata ?? { id: eventId };
          return {
            id,
            type: event.type,
            data: event.data as JsonObject,
            metadata: {
              ...(metadata as JsonObject),
              ...(id === eventId ? options.extraMetadata : {}),
            },
          };
        }),
        { expectedVersion: history.length },
      );
      if (result.duplicate) return { duplicate: true, positions: result.positions };
      return {
        duplicate: false,
        events,
        positions: result.positions,
        nextExpectedVersion: result.nextExpectedVersion,
      };
    } catch (error) {
      if (error instanceof ConcurrencyError && attempt < maxRetries) continue;
      throw error;
    }
  }
}
