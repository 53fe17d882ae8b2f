import type { RecordedEvent, SubscribeOptions, Subscription } from './types.ts';

/** What an adapter supplies to follow its global order; the loop itself is shared. */
export interface SubscriptionSource {
  loadCheckpoint(): Promise<bigint>;
  read(after: bigint, maxCount: number): Promise<RecordedEvent[]>;
  /**
   * Hands a batch to the handler and makes the durable checkpoint its last position; resolves to
   * the checkpoint now stored (further on, when another instance of the subscriber got there first).
   */
  handle(events: RecordedEvent[]): Promise<bigint>;
  /** Resolves when new events may be readable, or after `timeoutMs`, or when `signal` aborts. */
  waitForChange(timeoutMs: number, signal: AbortSignal): Promise<void>;
  /**
   * The highest position the store announced as committed (change notifications), if it knows:
   * an event announced but not yet readable (PostgreSQL shows it once every older transaction on
   * the server has ended) is read again promptly instead of after the poll interval.
   */
  announcedHead?(): bigint;
  /**
   * Resolves once an event after `after` is readable, after `timeoutMs`, or when `signal`
   * aborts: how the loop waits for an announced event. Without it, the loop pauses (2 ms,
   * doubling up to the poll interval) and reads again.
   */
  waitUntilReadable?(after: bigint, timeoutMs: number, signal: AbortSignal): Promise<void>;
}

/** First pause before reading again an announced event not yet readable; doubles up to the poll interval. */
const ANNOUNCED_RETRY_MS = 2;

/**
 * Runs the catch-up loop: read after the checkpoint, handle, checkpoint, repeat; when caught up,
 * wait for a change notification (or the poll interval) and go again. Stops on `stop()` or on the
 * first error, which goes to `onError`, so a failing handler never skips an event.
 */
export function runSubscription(
  source: SubscriptionSource,
  options: SubscribeOptions = {},
): Subscription {
  const { batchSize = 500, pollIntervalMs = 1_000, onError } = options;
  const abort = new AbortController();
  let position = -1n;
  const waiters: { target: bigint; resolve: () => void; reject: (error: unknown) => void }[] = [];
  let failure: unknown;

  const settleWaiters = () => {
    for (let i = waiters.length - 1; i >= 0; i--) {
      const waiter = waiters[i];
      if (!waiter) continue;
      if (failure !== undefined) waiter.reject(failure);
      else if (position >= waiter.target) waiter.resolve();
      else continue;
      waiters.splice(i, 1);
    }
  };

  const done = (async () => {
    try {
      position = await source.loadCheckpoint();
      settleWaiters();
      let retry = ANNOUNCED_RETRY_MS;
      while (!abort.signal.aborted) {
        const events = await source.read(position, batchSize);
        if (abort.signal.aborted) break;
        if (events.length === 0) {
          if ((source.announcedHead?.() ?? 0n) > position) {
            // Committed, not readable yet: follow the visibility horizon closely.
            if (source.waitUntilReadable)
              await source.waitUntilReadable(position, pollIntervalMs, abort.signal);
            else {
              await delay(retry, abort.signal);
              retry = Math.min(retry * 2, pollIntervalMs);
            }
          } else await source.waitForChange(pollIntervalMs, abort.signal);
          continue;
        }
        retry = ANNOUNCED_RETRY_MS;
        position = await source.handle(events);
        settleWaiters();
        // A short batch was everything readable then; unless an event beyond it was announced
        // since, reading again would find nothing: wait for the next announcement instead (a
        // query saved per batch, for every subscriber). Without announcements, read again.
        const announced = source.announcedHead?.();
        if (events.length < batchSize && announced !== undefined && announced <= position)
          await source.waitForChange(pollIntervalMs, abort.signal);
      }
    } catch (error) {
      failure = error ?? new Error('subscription failed');
      settleWaiters();
      if (onError) onError(error);
      else console.error('subscription stopped on an error', error);
    } finally {
      if (failure === undefined) {
        failure = new Error('the subscription was stopped');
        settleWaiters();
      }
    }
  })();

  return {
    done,
    get position() {
      return position;
    },
    waitFor(target: bigint) {
      return new Promise<void>((resolve, reject) => {
        waiters.push({ target, resolve, reject });
        settleWaiters();
      });
    },
    async stop() {
      abort.abort();
      await done;
    },
  };
}

/** Resolves after `ms`, or at once when `signal` aborts (no timer left behind). */
export function delay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(finish, ms);
    function finish() {
      clearTimeout(timer);
      signal.removeEventListener('abort', finish);
      resolve();
    }
    signal.addEventListener('abort', finish, { once: true });
  });
}
