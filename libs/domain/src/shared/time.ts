import { DomainError } from './domain-error.ts';
import type { Instant } from './vocabulary.ts';

/** Milliseconds since the epoch of an RFC 3339 instant; parsing reads no clock. */
export function toMillis(instant: Instant, field: string): number {
  const millis = Date.parse(instant);
  if (Number.isNaN(millis)) {
    throw new DomainError('command.invalid', `${field} is not an RFC 3339 date-time.`, {
      field,
      value: instant,
    });
  }
  return millis;
}

export function toInstant(millis: number): Instant {
  return new Date(millis).toISOString();
}
