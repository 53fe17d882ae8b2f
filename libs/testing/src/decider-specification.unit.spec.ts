import { describe, expect, it } from 'vitest';
import { DeciderSpecification, type Decider } from './decider-specification.ts';

type CounterEvent =
  | { type: 'incremented'; data: { by: number }; metadata?: { id: string } }
  | { type: 'reset'; data: Record<string, never>; metadata?: { id: string } };
type CounterCommand =
  | { type: 'increment'; by: number; id: string }
  | { type: 'reset' }
  | { type: 'noop' };
type CounterState = { status: 'counting'; total: number };

class CounterError extends Error {
  readonly code: string;
  constructor(code: string) {
    super(`refused: ${code}`);
    this.code = code;
  }
}

const counter: Decider<CounterState, CounterCommand, CounterEvent> = {
  initialState: () => ({ status: 'counting', total: 0 }),
  evolve: (state, event) =>
    event.type === 'incremented'
      ? { status: 'counting', total: state.total + event.data.by }
      : { status: 'counting', total: 0 },
  decide: (command, state) => {
    switch (command.type) {
      case 'increment':
        if (state.total + command.by > 10) throw new CounterError('counter.too-high');
        return { type: 'incremented', data: { by: command.by }, metadata: { id: command.id } };
      case 'reset':
        return state.total === 0 ? [] : [{ type: 'reset', data: {} }];
      case 'noop':
        return [];
    }
  },
};

const spec = DeciderSpecification.for(counter);
const incremented = (by: number): CounterEvent => ({ type: 'incremented', data: { by } });

describe('DeciderSpecification', () => {
  it('passes when decide returns the expected events, single or array', () => {
    spec.given([]).when({ type: 'increment', by: 2, id: 'e1' }).then(incremented(2));
    spec
      .given([])
      .when({ type: 'increment', by: 2, id: 'e1' })
      .then([incremented(2)]);
  });

  it('evolves the given events before deciding', () => {
    spec
      .given([incremented(4), incremented(5)])
      .when({ type: 'increment', by: 2, id: 'e3' })
      .thenThrows('counter.too-high');
    spec
      .given(incremented(4))
      .when({ type: 'reset' })
      .then([{ type: 'reset', data: {} }]);
  });

  it('fails when the events differ', () => {
    expect(() =>
      spec.given([]).when({ type: 'increment', by: 2, id: 'e1' }).then(incremented(3)),
    ).toThrow();
    expect(() =>
      spec
        .given([])
        .when({ type: 'increment', by: 2, id: 'e1' })
        .then([incremented(2), incremented(2)]),
    ).toThrow();
  });

  it('compares metadata only when the expected event states it', () => {
    spec
      .given([])
      .when({ type: 'increment', by: 1, id: 'e1' })
      .then({ type: 'incremented', data: { by: 1 }, metadata: { id: 'e1' } });
    expect(() =>
      spec
        .given([])
        .when({ type: 'increment', by: 1, id: 'e1' })
        .then({ type: 'incremented', data: { by: 1 }, metadata: { id: 'other' } }),
    ).toThrow();
  });

  it('fails `then` with the refusal when decide throws', () => {
    expect(() =>
      spec
        .given([incremented(10)])
        .when({ type: 'increment', by: 1, id: 'e' })
        .then([]),
    ).toThrow(/counter\.too-high/);
  });

  it('checks thrown errors by code or predicate', () => {
    const when = spec.given([incremented(10)]).when({ type: 'increment', by: 1, id: 'e' });
    when.thenThrows();
    when.thenThrows('counter.too-high');
    when.thenThrows((error) => error instanceof CounterError);
    expect(() => when.thenThrows('counter.other')).toThrow();
    expect(() => when.thenThrows(() => false)).toThrow();
  });

  it('fails thenThrows when decide accepts the command', () => {
    expect(() =>
      spec.given([]).when({ type: 'increment', by: 1, id: 'e' }).thenThrows('counter.too-high'),
    ).toThrow(/Expected decide to throw/);
  });

  it('checks that nothing happened', () => {
    spec.given([]).when({ type: 'noop' }).thenNothingHappened();
    spec.given([]).when({ type: 'reset' }).thenNothingHappened();
    expect(() =>
      spec.given([]).when({ type: 'increment', by: 1, id: 'e' }).thenNothingHappened(),
    ).toThrow();
    expect(() =>
      spec
        .given([incremented(10)])
        .when({ type: 'increment', by: 1, id: 'e' })
        .thenNothingHappened(),
    ).toThrow(/counter\.too-high/);
  });

  it('exposes the produced events for custom assertions', () => {
    const events = spec.given([]).when({ type: 'increment', by: 3, id: 'e9' }).events();
    expect(events).toHaveLength(1);
    expect(events[0]?.metadata?.id).toBe('e9');
  });
});
