import { constants, PerformanceObserver } from 'node:perf_hooks';

/**
 * Garbage-collection pauses of one process over a span of time. A latency's tail (a p99 of
 * hundreds of milliseconds where the median is tens) is often a process that stopped to collect:
 * a benchmark that reports its pauses beside the tail says whether that was so.
 */
export interface GcPauses {
  count: number;
  totalMs: number;
  longestMs: number;
  /** Young-generation collections (scavenges): frequent, and short unless much survives. */
  minorMs: number;
  /** Full collections (mark-compact), incremental steps and weak-callback processing. */
  otherMs: number;
}

/** One pause: when it started (milliseconds on the machine's clock), how long, which kind. */
export interface GcPause {
  at: number;
  ms: number;
  minor: boolean;
}

/** The pauses that started within [from, to], summed. */
export function summarizeGcPauses(pauses: readonly GcPause[], from: number, to: number): GcPauses {
  const summary: GcPauses = { count: 0, totalMs: 0, longestMs: 0, minorMs: 0, otherMs: 0 };
  for (const { at, ms, minor } of pauses) {
    if (at < from || at > to) continue;
    summary.count += 1;
    summary.totalMs += ms;
    summary.longestMs = Math.max(summary.longestMs, ms);
    if (minor) summary.minorMs += ms;
    else summary.otherMs += ms;
  }
  const round = (ms: number) => Math.round(ms * 10) / 10;
  return {
    count: summary.count,
    totalMs: round(summary.totalMs),
    longestMs: round(summary.longestMs),
    minorMs: round(summary.minorMs),
    otherMs: round(summary.otherMs),
  };
}

export interface GcPauseLog {
  /** The pauses that started between two instants (`performance.timeOrigin + performance.now()`). */
  between(from: number, to: number): GcPauses;
  stop(): void;
}

/**
 * Records this process's garbage-collection pauses from now on (the newest `keep` of them), on
 * the clock every process of the machine shares, so that another process can ask for the pauses
 * within a span it timed.
 */
export function recordGcPauses(keep = 100_000): GcPauseLog {
  const pauses: GcPause[] = [];
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      // A 'gc' entry's detail names its kind (the DOM's PerformanceEntry type does not say so).
      const { kind } = ((entry as { detail?: unknown }).detail ?? {}) as { kind?: number };
      pauses.push({
        at: performance.timeOrigin + entry.startTime,
        ms: entry.duration,
        minor: kind === constants.NODE_PERFORMANCE_GC_MINOR,
      });
    }
    if (pauses.length > keep) pauses.splice(0, pauses.length - keep);
  });
  observer.observe({ entryTypes: ['gc'] });
  return {
    between: (from, to) => summarizeGcPauses(pauses, from, to),
    stop: () => observer.disconnect(),
  };
}

/** "412 ms in 63 pauses (longest 152 ms)". */
export function describeGcPauses(pauses: GcPauses | undefined): string {
  if (!pauses) return 'not measured';
  return `${pauses.totalMs} ms in ${pauses.count} pauses (longest ${pauses.longestMs} ms)`;
}
