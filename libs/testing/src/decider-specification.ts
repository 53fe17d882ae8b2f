import { expect } from 'vitest';

/**
 * What a specification needs of a decider (the domain's `Decider` is one; structural here, so that
 * the testing library depends on no project).
 */
export type Decider<State, Command, Event> = {
  decide: (command: Command, state: State) => Event | readonly Event[];
  evolve: (state: State, event: Event) => State;
  initialState: () => State;
};

/** A thrown value's check: an error `code` (e.g. `batch.out-of-order`) or a predicate on the error. */
export type ErrorExpectation = string | ((error: unknown) => boolean);

export type ThenClause<Event> = {
  /**
   * Asserts that decide returned exactly these events, in order. An expected event that has no
   * `metadata` key is compared on `type` and `data` only, so specs need not restate metadata.
   */
  then: (expected: Event | readonly Event[]) => void;
  /** Asserts that decide threw; the error's `code` must equal the string, or the predicate hold. */
  thenThrows: (expectation?: ErrorExpectation) => void;
  /** Asserts that decide accepted the command and returned no event. */
  thenNothingHappened: () => void;
  /** Escape hatch for custom assertions: the events decide returned (throws what decide throws). */
  events: () => readonly Event[];
};

export type WhenClause<Command, Event> = {
  when: (command: Command) => ThenClause<Event>;
};

export type GivenClause<Command, Event> = {
  given: (events: Event | readonly Event[]) => WhenClause<Command, Event>;
};

function toArray<T>(value: T | readonly T[]): readonly T[] {
  return Array.isArray(value) ? (value as readonly T[]) : [value as T];
}

function hasMetadataKey(event: unknown): boolean {
  return typeof event === 'object' && event !== null && 'metadata' in event;
}

function withoutMetadata(event: unknown): unknown {
  if (typeof event !== 'object' || event === null) return event;
  const { metadata: _metadata, ...rest } = event as Record<string, unknown>;
  return rest;
}

function errorCode(error: unknown): unknown {
  return typeof error === 'object' && error !== null && 'code' in error
    ? (error as { code: unknown }).code
    : undefined;
}

function describeError(error: unknown): string {
  if (error instanceof Error) {
    const code = errorCode(error);
    return code === undefined
      ? `${error.name}: ${error.message}`
      : `${String(code)}: ${error.message}`;
  }
  return String(error);
}

function specification<State, Command, Event>(
  decider: Decider<State, Command, Event>,
  givenEvents: readonly Event[],
  command: Command,
): ThenClause<Event> {
  const run = (): readonly Event[] => {
    const state = givenEvents.reduce(decider.evolve, decider.initialState());
    return toArray(decider.decide(command, state));
  };

  const accepted = (): readonly Event[] => {
    try {
      return run();
    } catch (error) {
      throw new Error(
        `Expected the command to be accepted, but decide threw ${describeError(error)}`,
        {
          cause: error,
        },
      );
    }
  };

  return {
    then(expected) {
      const actual = accepted();
      const expectedEvents = toArray(expected);
      const comparable = actual.map((event, index) => {
        const counterpart = expectedEvents[index];
        return counterpart !== undefined && !hasMetadataKey(counterpart)
          ? withoutMetadata(event)
          : event;
      });
      expect(comparable).toEqual(expectedEvents);
    },
    thenThrows(expectation) {
      let thrown: { error: unknown } | undefined;
      let produced: readonly Event[] = [];
      try {
        produced = run();
      } catch (error) {
        thrown = { error };
      }
      if (thrown === undefined) {
        expect.fail(
          `Expected decide to throw, but it returned ${JSON.stringify(produced.map(withoutMetadata))}`,
        );
      }
      if (expectation === undefined) return;
      if (typeof expectation === 'string') {
        expect(errorCode(thrown.error), describeError(thrown.error)).toBe(expectation);
        return;
      }
      expect(
        expectation(thrown.error),
        `The error did not satisfy the predicate: ${describeError(thrown.error)}`,
      ).toBe(true);
    },
    thenNothingHappened() {
      expect(accepted()).toEqual([]);
    },
    events: run,
  };
}

/**
 * Given/When/Then specifications for a decider, in the style of Emmett:
 * `DeciderSpecification.for(decider).given(events).when(command).then(expectedEvents)`.
 */
export const DeciderSpecification = {
  for<State, Command, Event>(decider: Decider<State, Command, Event>): GivenClause<Command, Event> {
    return {
      given: (events) => ({
        when: (command) => specification(decider, toArray(events), command),
      }),
    };
  },
};
