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

/** A command for one stream, with the id its own event is recorded under. */
export interface StreamCommand<Command> {
  command: Command;
  eventId: string;
  /** Extra metadata for the command's own event (the partner's envelope, say). */
  extraMetadata?: JsonObject;
}

export type StreamCommandResult =
  | { status: 'recorded'; positions: bigint[]; types: string[] }
  | { status: 'duplicate'; positions: bigint[] }
  | { status: 'refused'; error: unknown };

const asDomainEvent = (event: RecordedEvent): DecidedEvent => ({
  type: event.type,
  data: event.data,
  metadata: { ...event.metadata, id: event.id } as DecidedEvent['metadata'],
});

/** Ids the command's events are stored under: its own, and `<id>:<suffix>` for derived ones. */
const belongsTo = (eventId: string, storedId: string) =>
  storedId === eventId || storedId.startsWith(`${eventId}:`);

/**
 * Emmett-style command handling for a run of commands on one stream: read the stream once, fold
 * it, decide each command in order against the state the previous ones left (a refused command
 * leaves it unchanged), and append everything decided in one call at the version read. A lost race
 * is retried from a fresh read. A command whose id is already in the stream is a redelivery: it is
 * answered with the original positions before deciding, because deciding again against the newer
 * state could refuse what was accepted the first time.
 */
export async function decideStreamCommands<Command, State>(options: {
  store: EventStore;
  streamId: string;
  decider: Decider<Command, State>;
  commands: readonly StreamCommand<Command>[];
  maxRetries?: number;
}): Promise<StreamCommandResult[]> {
  const { store, streamId, decider, commands, maxRetries = 10 } = options;
  for (let attempt = 0; ; attempt++) {
    const history = await store.readStream(streamId);
    let state = history.reduce(
      (current, event) => decider.evolve(current, asDomainEvent(event)),
      decider.initialState(),
    );
    const stored = [...history];
    const results: (StreamCommandResult | { status: 'pending'; events: DecidedEvent[] })[] = [];
    const pending: { index: number; events: DecidedEvent[] }[] = [];
    for (const [index, { command, eventId, extraMetadata }] of commands.entries()) {
      const original = stored.filter((event) => belongsTo(eventId, event.id));
      if (original.length > 0) {
        results.push({ status: 'duplicate', positions: original.map((e) => e.globalPosition) });
        continue;
      }
      if (pending.some((p) => p.events.some((e) => belongsTo(eventId, e.metadata?.id ?? '')))) {
        results.push({ status: 'pending', events: [] }); // the same event twice in one batch
        pending.push({ index, events: [] });
        continue;
      }
      try {
        const events = decider.decide(command, state).map((event) => ({
          ...event,
          metadata: {
            ...(event.metadata ?? { id: eventId }),
            ...(event.metadata?.id === eventId ? extraMetadata : {}),
          } as DecidedEvent['metadata'],
        }));
        for (const event of events) state = decider.evolve(state, event);
        results.push({ status: 'pending', events });
        pending.push({ index, events });
      } catch (error) {
        results.push({ status: 'refused', error });
      }
    }

    const toAppend = pending.flatMap((p) => p.events);
    let positions: bigint[] = [];
    if (toAppend.length > 0) {
      try {
        const appended = await store.append(
          streamId,
          toAppend.map((event) => {
            const { id, ...metadata } = event.metadata!;
            return {
              id,
              type: event.type,
              data: event.data as JsonObject,
              metadata: metadata as JsonObject,
            };
          }),
          { expectedVersion: history.length },
        );
        positions = appended.positions;
      } catch (error) {
        if (error instanceof ConcurrencyError && attempt < maxRetries) continue;
        throw error;
      }
    }

    // Hand each command the positions of its own events (a repeat in the batch gets the first's).
    let offset = 0;
    const positionsById = new Map<string, bigint[]>();
    for (const { index, events } of pending) {
      const command = commands[index]!;
      const own = positions.slice(offset, offset + events.length);
      offset += events.length;
      if (events.length > 0) {
        positionsById.set(command.eventId, own);
        results[index] = { status: 'recorded', positions: own, types: events.map((e) => e.type) };
      } else {
        results[index] = {
          status: 'duplicate',
          positions: positionsById.get(command.eventId) ?? [],
        };
      }
    }
    return results as StreamCommandResult[];
  }
}
