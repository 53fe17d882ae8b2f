import type { SqlDatabase } from './database.ts';

/** What a reader of the event store hears of appends, through LISTEN on the store's channel. */
export interface ChangeNotifications {
  /** Listens from now on (once; later calls wait for the first). */
  listen(): Promise<void>;
  /** Resolves at the next notification, after `timeoutMs`, or when `signal` aborts. */
  waitForChange(timeoutMs: number, signal: AbortSignal): Promise<void>;
  /** The highest global position a notification announced (0 before any). */
  announcedHead(): bigint;
  /**
   * Resolves once an event after `after` is readable (PostgreSQL shows a committed event only
   * once every older transaction on the server has ended), after `timeoutMs`, or when `signal`
   * aborts. Every reader of the channel in this process waits on the same watch of the readable
   * head: one cheap query at a time for all of them, instead of each re-reading the log.
   */
  waitUntilReadable(after: bigint, timeoutMs: number, signal: AbortSignal): Promise<void>;
  close(): Promise<void>;
}

export interface ChangeNotificationsOptions {
  /**
   * The highest position readers can see now (the store's `headPosition`). Without it, a reader
   * waiting for an announced event just pauses (2 ms, doubling) before reading again.
   */
  readableHead?: () => Promise<bigint>;
}

/** First pause before looking again for an announced event not yet readable; doubles. */
const FIRST_LOOK_MS = 2;
/** The longest pause between two looks at the readable head while someone waits. */
const LONGEST_LOOK_MS = 50;

/**
 * Follows the store's change notifications: each carries the last global position a committed
 * append wrote (an empty one means "look again": a listener that reconnected may have missed
 * some), which subscription loops use to wake up and to know what is committed but not yet
 * readable.
 */
export function changeNotifications(
  db: SqlDatabase,
  channel: string,
  options: ChangeNotificationsOptions = {},
): ChangeNotifications {
  let head = 0n;
  let wake: (() => void) | undefined;
  let unlisten: Promise<() => Promise<void>> | undefined;
  const watch = options.readableHead && readableWatch(db, channel, options.readableHead);
  return {
    listen() {
      unlisten ??= db.listen(channel, (payload) => {
        if (/^[0-9]+$/.test(payload) && BigInt(payload) > head) head = BigInt(payload);
        wake?.();
      });
      return unlisten.then(() => undefined);
    },
    waitForChange(timeoutMs, signal) {
      return waitUntil(timeoutMs, signal, (finish) => {
        wake = finish;
        return () => (wake = undefined);
      });
    },
    announcedHead: () => head,
    waitUntilReadable(after, timeoutMs, signal) {
      if (watch) return watch.waitUntilReadable(after, timeoutMs, signal);
      return waitUntil(Math.min(timeoutMs, FIRST_LOOK_MS), signal, () => () => undefined);
    },
    async close() {
      if (unlisten) await (await unlisten.catch(() => async () => undefined))();
    },
  };
}

/**
 * Resolves after `timeoutMs`, when `signal` aborts, or when the `arm`ed caller calls `finish`
 * (`arm` returns what to undo once finished).
 */
function waitUntil(
  timeoutMs: number,
  signal: AbortSignal,
  arm: (finish: () => void) => () => void,
): Promise<void> {
  return new Promise<void>((resolve) => {
    let disarm = () => undefined as unknown;
    const finish = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', finish);
      disarm();
      resolve();
    };
    const timer = setTimeout(finish, timeoutMs);
    if (signal.aborted) return finish();
    signal.addEventListener('abort', finish, { once: true });
    disarm = arm(finish);
  });
}

interface Waiter {
  after: bigint;
  finish: () => void;
}

interface ReadableWatch {
  waitUntilReadable(after: bigint, timeoutMs: number, signal: AbortSignal): Promise<void>;
}

/** One watch per database and channel in this process, shared by all its readers. */
const watches = new WeakMap<SqlDatabase, Map<string, ReadableWatch>>();

/**
 * Watches the readable head while anyone waits for it to pass their position: looks at once,
 * then after 2 ms (again 2 ms while it moves, else doubling up to 50 ms), and hands each waiter
 * over as soon as the head passes it. Readers of the same store on the same database see the same head, so the first reader's
 * `readableHead` serves them all.
 */
function readableWatch(
  db: SqlDatabase,
  channel: string,
  readableHead: () => Promise<bigint>,
): ReadableWatch {
  const ofDb = watches.get(db) ?? new Map<string, ReadableWatch>();
  watches.set(db, ofDb);
  const existing = ofDb.get(channel);
  if (existing) return existing;
  const waiters = new Set<Waiter>();
  let readable = -1n;
  let watching = false;
  const handOver = () => {
    for (const waiter of waiters) if (readable > waiter.after) waiter.finish();
  };
  const watchLoop = async () => {
    watching = true;
    try {
      for (let pause = 0; waiters.size > 0; ) {
        if (pause > 0) await new Promise((resolve) => setTimeout(resolve, pause));
        const before = readable;
        try {
          const head = await readableHead();
          if (head > readable) readable = head;
        } catch {
          // The database is away: the waiters' own timeouts hand them back to their loops.
        }
        handOver();
        // The head moved: the rest is likely close behind. Else look less and less often.
        pause =
          readable > before ? FIRST_LOOK_MS : Math.min(pause * 2 || FIRST_LOOK_MS, LONGEST_LOOK_MS);
      }
    } finally {
      watching = false;
    }
  };
  const watch: ReadableWatch = {
    waitUntilReadable(after, timeoutMs, signal) {
      return waitUntil(timeoutMs, signal, (finish) => {
        if (readable > after) {
          finish();
          return () => undefined;
        }
        const waiter = { after, finish };
        waiters.add(waiter);
        if (!watching) void watchLoop();
        return () => waiters.delete(waiter);
      });
    },
  };
  ofDb.set(channel, watch);
  return watch;
}
