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

/** How far ahead of the platform's clock a partner's clock may run. */
export const DEFAULT_CLOCK_TOLERANCE_MS = 5 * 60_000;

/**
 * Time is the platform's to bound: an act cannot have happened after Concord received it, beyond
 * the tolerance for clocks that disagree. (Late entries, occurred long before they were recorded,
 * are legitimate: both instants are kept, and history shows them.)
 */
export function assertNotAfterReceipt(
  occurredAt: Instant,
  recordedAt: Instant,
  toleranceMs = DEFAULT_CLOCK_TOLERANCE_MS,
): void {
  const ahead = toMillis(occurredAt, 'time') - toMillis(recordedAt, 'recordedAt');
  if (ahead > toleranceMs) {
    throw new DomainError(
      'time.in-the-future',
      `The event says it happened at ${occurredAt}, ${describeDuration(ahead)} after Concord received it (${recordedAt}); a clock may run ahead by at most ${describeDuration(toleranceMs)}.`,
      { occurredAt, recordedAt, toleranceMs },
    );
  }
}

/**
 * A record should be contemporaneous (ALCOA+): one recorded more than an hour after the act it
 * records (beyond clock skew and transfer delays; typically entered after the shift) is a late
 * entry. It is legitimate, and shown as such beside both instants.
 */
export const LATE_ENTRY_AFTER_MS = 60 * 60_000;

/** How late an entry was recorded, or undefined when it was recorded contemporaneously. */
export function lateEntry(
  occurredAt: Instant,
  recordedAt: Instant,
): { recordedAfterMinutes: number; description: string } | undefined {
  const late = Date.parse(recordedAt) - Date.parse(occurredAt);
  if (!(late > LATE_ENTRY_AFTER_MS)) return undefined;
  return {
    recordedAfterMinutes: Math.round(late / 60_000),
    description: `Late entry: recorded ${describeDuration(late)} after it occurred.`,
  };
}

function describeDuration(ms: number): string {
  const minutes = ms / 60_000;
  if (minutes < 120) return `${Math.round(minutes * 10) / 10} minutes`;
  const hours = minutes / 60;
  return hours < 48 ? `${Math.round(hours)} hours` : `${Math.round(hours / 24)} days`;
}

export function toInstant(millis: number): Instant {
  return new Date(millis).toISOString();
}
