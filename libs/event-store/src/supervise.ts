import type { Subscription } from './types.ts';

export interface SuperviseOptions {
  /** Told each time the subscription failed and when it starts again (for logging). */
  onFailure?: (error: unknown, retryInMs: number) => void;
  /** First pause before a restart (doubling, capped). @default 500 */
  initialDelayMs?: number;
  /** @default 30000 */
  maxDelayMs?: number;
  /** A run that lasted this long before failing restarts after the first pause again. @default 60000 */
  healthyAfterMs?: number;
}

/** A subscription kept running across failures; `restarts` counts how often it was restarted. */
export interface SupervisedSubscription extends Subscription {
  readonly restarts: number;
}

/**
 * Keeps a store subscription running: when it stops on an error (the database restarting, a
 * connection cut mid-transaction, the broker unreachable beyond a client's own retries), it is
 * started again from its durable checkpoint after a growing pause (capped), so an outage delays
 * its effects but never ends them or the process. `waitFor` waits across restarts.
 */
export function superviseSubscription(
  start: (onError: (error: unknown) => void) => Subscription,
  options: SuperviseOptions = {},
): SupervisedSubscription {
  const { initialDelayMs = 500, maxDelayMs = 30_000, healthyAfterMs = 60_000 } = options;
  let stopped = false;
  let restarts = 0;
  let attempt = 0;
  let position = -1n;
  let current: Subscription;
  let timer: NodeJS.Timeout | undefined;
  let resolveDone: () => void = () => undefined;
  const done = new Promise<void>((resolve) => {
    resolveDone = resolve;
  });
  const run = () => {
    const startedAt = Date.now();
    current = start((error) => {
      position = current.position > position ? current.position : position;
      if (stopped) return;
      if (Date.now() - startedAt >= healthyAfterMs) attempt = 0;
      const wait = Math.min(maxDelayMs, initialDelayMs * 2 ** Math.min(attempt++, 16));
      options.onFailure?.(error, wait);
      timer = setTimeout(() => {
        restarts++;
        run();
      }, wait);
    });
  };
  run();
  return {
    done,
    get restarts() {
      return restarts;
    },
    get position() {
      return current.position > position ? current.position : position;
    },
    async waitFor(target) {
      for (;;) {
        const attemptOn = current;
        try {
          return await attemptOn.waitFor(target);
        } catch (error) {
          if (stopped) throw error;
          // That run failed before it got there: wait on the next one.
          await new Promise<void>((resolve) => {
            const check = setInterval(() => {
              if (current !== attemptOn || stopped) {
                clearInterval(check);
                resolve();
              }
            }, 50);
          });
        }
      }
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await current.stop();
      resolveDone();
    },
  };
}
