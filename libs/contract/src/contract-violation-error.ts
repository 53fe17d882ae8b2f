import type { ValidationError } from './validation-error.ts';

/** Thrown by the encoders when asked to send an event that breaks the contract (a bug upstream). */
export class ContractViolationError extends Error {
  readonly errors: readonly ValidationError[];

  constructor(errors: readonly ValidationError[]) {
    super(
      `The event breaks the Concord contract: ${errors
        .slice(0, 5)
        .map((e) => e.message)
        .join(' ')}${errors.length > 5 ? ` (and ${errors.length - 5} more)` : ''}`,
    );
    this.name = 'ContractViolationError';
    this.errors = errors;
  }
}
