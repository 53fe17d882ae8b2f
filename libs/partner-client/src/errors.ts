import type { ValidationError } from '@concord/contract';

/**
 * Every error the partner client throws. As in kafkajs, it says whether trying again can help
 * (`retriable`) and keeps what went wrong underneath (`cause`). Programmer errors (an event that
 * breaks the contract, a bad key or option) are never retriable.
 */
export class PartnerClientError extends Error {
  override readonly name: string = 'PartnerClientError';
  readonly retriable: boolean;

  constructor(message: string, options: { retriable: boolean; cause?: unknown }) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.retriable = options.retriable;
  }
}

/** The event breaks the Concord contract (or the sender rules): fix it, sending again won't help. */
export class InvalidEventError extends PartnerClientError {
  override readonly name: string = 'InvalidEventError';
  readonly errors: readonly ValidationError[];

  constructor(
    errors: readonly ValidationError[],
    options: { cause?: unknown; prefix?: string } = {},
  ) {
    const listed = errors
      .slice(0, 5)
      .map((e) => e.message)
      .join(' ');
    const more = errors.length > 5 ? ` (and ${errors.length - 5} more)` : '';
    super(`${options.prefix ?? 'The event breaks the Concord contract'}: ${listed}${more}`, {
      retriable: false,
      cause: options.cause,
    });
    this.errors = errors;
  }
}

/** The platform answered an HTTP request with an error status. */
export class HttpStatusError extends PartnerClientError {
  override readonly name: string = 'HttpStatusError';
  readonly status: number;
  /** The response body (JSON when the platform sent JSON). */
  readonly body: unknown;
  /** How long the platform asked to wait before trying again (`Retry-After`), if it did. */
  readonly retryAfterMs: number | undefined;

  constructor(
    status: number,
    body: unknown,
    message: string,
    options: { retriable: boolean; retryAfterMs?: number },
  ) {
    super(message, { retriable: options.retriable });
    this.status = status;
    this.body = body;
    this.retryAfterMs = options.retryAfterMs;
  }
}
