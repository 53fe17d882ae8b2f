import type { SqlDatabase } from './database.ts';

/** What a reader of the event store hears of appends, through LISTEN on the store's channel. */
export interface ChangeNotifications {
  /** Listens from now on (once; later calls wait for the first). */
  listen(): Promise<void>;
  /** Resolves at the next notification, after `timeoutMs`, or when `signal` aborts. */
  waitForChange(timeoutMs: number, signal: AbortSignal): Promise<void>;
  /** The highest global position a notification announced (0 before any). */
  announcedHead(): bigint;
  close(): Promise<void>;
}

/**
 * Follows the store's change notifications: each carries the last global position a committed
 * append wrote (an empty one means "look again": a listener that reconnected may have missed
 * some), which subscription loops use to wake up and to know what is committed but not yet
 * readable.
 */
export function changeNotifications(db: SqlDatabase, channel: string): ChangeNotifications {
  let head = 0n;
  let wake: (() => void) | undefined;
  let unlisten: Promise<() => Promise<void>> | undefined;
  return {
    listen() {
      unlisten ??= db.listen(channel, (payload) => {
        if (/^[0-9]+$/.test(payload) && BigInt(payload) > head) head = BigInt(payload);
        wake?.();
      });
      return unlisten.then(() => undefined);
    },
    waitForChange(timeoutMs, signal) {
      return new Promise<void>((resolve) => {
        const finish = () => {
          clearTimeout(timer);
          signal.removeEventListener('abort', finish);
          wake = undefined;
          resolve();
        };
        const timer = setTimeout(finish, timeoutMs);
        if (signal.aborted) return finish();
        signal.addEventListener('abort', finish, { once: true });
        wake = finish;
      });
    },
    announcedHead: () => head,
    async close() {
      if (unlisten) await (await unlisten.catch(() => async () => undefined))();
    },
  };
}
