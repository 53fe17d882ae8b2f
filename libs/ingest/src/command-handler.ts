import { toDomainEvent, type Decider, type DomainEvent, type EventMetadata } from '@concord/domain';
import { ConcurrencyError, type EventStore, type JsonObject } from '@concord/event-store';

/**
 * Event data as the store keeps it. Domain data is JSON by construction (its types are generated
 * from the JSON Schemas); the generated interfaces merely declare no index signature.
 */
const asJson = (data: object): JsonObject => data as JsonObject;

/** A command for one stream, with the id its own event is recorded under. */
export interface StreamCommand<Command> {
  command: Command;
  eventId: string;
  /** Extra metadata for the command's own event (the partner's envelope, say). */
  extraMetadata?: JsonObject;
  /**
   * The data to store for the command's own event when it differs from what the domain decided
   * on: the partner's original, signed data (see `resolvedCorrection`).
   */
  storedData?: JsonObject;
}

/** Where a command's events are: global positions, and versions in their stream (in order). */
export interface RecordedPlaces {
  positions: bigint[];
  versions: number[];
}

export type StreamCommandResult =
  | ({ status: 'recorded'; types: string[] } & RecordedPlaces)
  | ({ status: 'duplicate' } & RecordedPlaces)
  | { status: 'refused'; error: unknown };

/** Ids the command's events are stored under: its own, and `<id>:<suffix>` for derived ones. */
const belongsTo = (eventId: string, storedId: string) =>
  storedId === eventId || storedId.startsWith(`${eventId}:`);
const baseId = (storedId: string) => storedId.split(':')[0]!;

interface StreamSnapshot<State> {
  version: number;
  state: State;
  /** Where the stream's events are, by the id of the command that recorded them. */
  placesByCommand: Map<string, RecordedPlaces>;
}

/**
 * The folded state of recently used streams, so a busy stream is not read from its start for
 * every batch: only the events after the cached version are read. Bounded (least recently used
 * streams are dropped); a stale entry is harmless, since the append's expected version catches it
 * and the stream is then read again.
 */
export class StreamStateCache {
  readonly #entries = new Map<string, StreamSnapshot<unknown>>();
  readonly #capacity: number;

  constructor(capacity = 10_000) {
    this.#capacity = capacity;
  }

  get<State>(streamId: string): StreamSnapshot<State> | undefined {
    const entry = this.#entries.get(streamId);
    if (entry) {
      this.#entries.delete(streamId);
      this.#entries.set(streamId, entry);
    }
    return entry as StreamSnapshot<State> | undefined;
  }

  set<State>(streamId: string, snapshot: StreamSnapshot<State>): void {
    this.#entries.delete(streamId);
    this.#entries.set(streamId, snapshot);
    if (this.#entries.size > this.#capacity)
      this.#entries.delete(this.#entries.keys().next().value!);
  }

  delete(streamId: string): void {
    this.#entries.delete(streamId);
  }
}

async function loadSnapshot<State, Command, Event extends DomainEvent>(
  store: EventStore,
  streamId: string,
  decider: Decider<State, Command, Event>,
  cache: StreamStateCache | undefined,
): Promise<StreamSnapshot<State>> {
  const cached = cache?.get<State>(streamId);
  const snapshot: StreamSnapshot<State> = cached
    ? {
        version: cached.version,
        state: cached.state,
        placesByCommand: new Map(cached.placesByCommand),
      }
    : { version: 0, state: decider.initialState(), placesByCommand: new Map() };
  const newer = await store.readStream(streamId, { fromVersion: snapshot.version + 1 });
  for (const event of newer) {
    snapshot.state = decider.evolve(snapshot.state, toDomainEvent<Event>(event));
    const base = baseId(event.id);
    const places = snapshot.placesByCommand.get(base);
    snapshot.placesByCommand.set(base, {
      positions: [...(places?.positions ?? []), event.globalPosition],
      versions: [...(places?.versions ?? []), event.streamVersion],
    });
    snapshot.version = event.streamVersion;
  }
  return snapshot;
}

/**
 * Emmett-style command handling for a run of commands on one stream: read the stream once, fold
 * it, decide each command in order against the state the previous ones left (a refused command
 * leaves it unchanged), and append everything decided in one call at the version read. A lost race
 * is retried from a fresh read. A command whose id is already in the stream is a redelivery: it is
 * answered with the original positions before deciding, because deciding again against the newer
 * state could refuse what was accepted the first time.
 */
export async function decideStreamCommands<State, Command, Event extends DomainEvent>(options: {
  store: EventStore;
  streamId: string;
  decider: Decider<State, Command, Event>;
  commands: readonly StreamCommand<Command>[];
  cache?: StreamStateCache;
  maxRetries?: number;
}): Promise<StreamCommandResult[]> {
  const { store, streamId, decider, commands, cache, maxRetries = 10 } = options;
  for (let attempt = 0; ; attempt++) {
    const snapshot = await loadSnapshot(
      store,
      streamId,
      decider,
      attempt === 0 ? cache : undefined,
    );
    let state = snapshot.state;
    const results: (StreamCommandResult | { status: 'pending'; events: Event[] })[] = [];
    const pending: { index: number; events: Event[] }[] = [];
    for (const [index, { command, eventId, extraMetadata, storedData }] of commands.entries()) {
      const original = snapshot.placesByCommand.get(eventId);
      if (original) {
        results.push({ status: 'duplicate', ...original });
        continue;
      }
      if (pending.some((p) => p.events.some((e) => belongsTo(eventId, e.metadata?.id ?? '')))) {
        results.push({ status: 'pending', events: [] }); // the same event twice in one batch
        pending.push({ index, events: [] });
        continue;
      }
      try {
        const decided = decider.decide(command, state).map((event) => ({
          ...event,
          metadata: {
            ...(event.metadata ?? { id: eventId }),
            ...(event.metadata?.id === eventId ? extraMetadata : {}),
          } as EventMetadata,
        }));
        for (const event of decided) state = decider.evolve(state, event);
        const events = decided.map((event) =>
          storedData !== undefined && event.metadata?.id === eventId
            ? { ...event, data: storedData }
            : event,
        );
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
              data: asJson(event.data),
              metadata: metadata as JsonObject,
            };
          }),
          { expectedVersion: snapshot.version },
        );
        positions = appended.positions;
      } catch (error) {
        cache?.delete(streamId);
        if (error instanceof ConcurrencyError && attempt < maxRetries) continue;
        throw error;
      }
    }

    // Hand each command the places of its own events (a repeat in the batch gets the first's).
    let offset = 0;
    const placesById = new Map<string, RecordedPlaces>();
    for (const { index, events } of pending) {
      const command = commands[index]!;
      const own = {
        positions: positions.slice(offset, offset + events.length),
        versions: events.map((_, k) => snapshot.version + offset + k + 1),
      };
      offset += events.length;
      if (events.length > 0) {
        placesById.set(command.eventId, own);
        results[index] = { status: 'recorded', ...own, types: events.map((e) => e.type) };
      } else {
        results[index] = {
          status: 'duplicate',
          ...(placesById.get(command.eventId) ?? { positions: [], versions: [] }),
        };
      }
    }
    if (cache) {
      const placesByCommand = new Map(snapshot.placesByCommand);
      for (const [id, own] of placesById) placesByCommand.set(id, own);
      cache.set(streamId, {
        version: snapshot.version + toAppend.length,
        state,
        placesByCommand,
      });
    }
    return results as StreamCommandResult[];
  }
}
