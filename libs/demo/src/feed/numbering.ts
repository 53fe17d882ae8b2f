/** The last number handed out per series (batches of a product, deviations of a site). */
export type NumberSeries = Record<string, { year: number; value: number }>;

/**
 * The next number of a series: tenths of a second since the start of the year, base 36, six
 * characters (`01BX4K`), with the two-digit year beside it. Derived from the clock, so a feed
 * started again (even without its saved state, even after losing the data folder's state file)
 * continues above every number an earlier run handed out, as long as runs issue numbers no
 * faster than ten per second per series; the last value guards against a clock stepping back
 * within one run. A run started within the tenth of a second of the last number before (or after
 * a run that numbered faster than that) can hand out a number already used: the feed then numbers
 * the batch again (`startDemoFeed`).
 */
export function nextNumber(
  series: NumberSeries,
  key: string,
  now: Date,
): { year: string; number: string } {
  const year = now.getUTCFullYear();
  const sinceNewYear = now.getTime() - Date.UTC(year, 0, 1);
  const last = series[key];
  const value = Math.max(
    Math.floor(sinceNewYear / 100),
    last && last.year === year ? last.value + 1 : 0,
  );
  series[key] = { year, value };
  return {
    year: String(year % 100).padStart(2, '0'),
    number: value.toString(36).toUpperCase().padStart(6, '0'),
  };
}
