import type { Subscription } from '@concord/event-store';
import type { Logger } from 'pino';

export interface Supervised {
  /** Stops the current run and any restart still waiting. */
  stop(): Promise<void>;
  /** How many times the subscription was restarted after a failure. */
  readonly restarts: number;
}

/**
 * Keeps a store subscription running: when it stops on an error (the database restarting, the
 * broker unreachable beyond the client's own retries), it is started again from its durable
 * checkpoint after a growing pause (capped), so a transient outage delays outcomes but never
 * ends the process or loses one.
 */
export function supervise(
  name: string,
  start: (onError: (error: unknown) => void) => Subscription,
  logger: Logger,
  options: { initialDelayMs?: number; maxDelayMs?: number } = {},
): Supervised {
  const { initialDelayMs = 500, maxDelayMs = 30_000 } = options;
  let stopped = false;
  let restarts = 0;
  let current: Subscription | undefined;
  let timer: NodeJS.Timeout | undefined;
  const run = (attempt: number) => {
    current = start((error) => {
      if (stopped) return;
      const wait = Math.min(maxDelayMs, initialDelayMs * 2 ** Math.min(attempt, 16));
      logger.error(
        { err: error, subscription: name, retryInMs: wait },
        'subscription failed; restarting',
      );
      timer = setTimeout(() => {
        restarts++;
        run(attempt + 1);
      }, wait);
    });
  };
  run(0);
  return {
    get restarts() {
      return restarts;
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await current?.stop();
    },
  };
}
