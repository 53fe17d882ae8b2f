/**
 * An Emmett-style decider, the one shape every aggregate takes: `decide` turns a command into the
 * events it records (or throws a `DomainError`), `evolve` folds one event into the state, and
 * `initialState` is the state before any event. The command handler, the process manager, the
 * API's human acts and the audit's as-of fold all take a decider of this type.
 */
export interface Decider<State, Command, Event> {
  decide(command: Command, state: State): Event[];
  evolve(state: State, event: Event): State;
  initialState(): State;
}
