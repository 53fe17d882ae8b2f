import { describe, expect, it } from 'vitest';
import { changeNotifications } from './change-notifications.ts';
import type { SqlDatabase } from './database.ts';

/** Just enough of a database for notifications: listening does nothing here. */
const quietDatabase = () =>
  ({ listen: async () => async () => undefined }) as unknown as SqlDatabase;

describe('waiting for an announced event to become readable', () => {
  it('watches the readable head once for every reader of the channel in the process', async () => {
    const db = quietDatabase();
    let head = 10n;
    let looks = 0;
    const readableHead = async () => {
      looks += 1;
      // The older transaction hiding position 11 ends after the third look.
      if (looks === 3) head = 11n;
      return head;
    };
    const readers = Array.from({ length: 8 }, () =>
      changeNotifications(db, 'events', { readableHead }),
    );
    const signal = new AbortController().signal;
    const started = Date.now();
    await Promise.all(readers.map((reader) => reader.waitUntilReadable(10n, 5_000, signal)));
    // Handed over by the watch, not by the 5 s timeout, after three looks shared by all eight.
    expect(Date.now() - started).toBeLessThan(4_000);
    expect(looks).toBe(3);
    // A reader behind what is already known readable goes on at once, without a look.
    await readers[0]!.waitUntilReadable(10n, 5_000, signal);
    expect(looks).toBe(3);
  });

  it('keeps each database and channel apart', async () => {
    const looks: string[] = [];
    const on = (db: SqlDatabase, channel: string, readable: bigint) =>
      changeNotifications(db, channel, {
        readableHead: async () => {
          looks.push(channel);
          return readable;
        },
      });
    const signal = new AbortController().signal;
    const [first, second] = [quietDatabase(), quietDatabase()];
    await on(first, 'a', 5n).waitUntilReadable(4n, 5_000, signal);
    await on(second, 'a', 7n).waitUntilReadable(6n, 5_000, signal);
    await on(first, 'b', 9n).waitUntilReadable(8n, 5_000, signal);
    expect(looks).toEqual(['a', 'a', 'b']);
  });

  it('gives up after the timeout or on abort while nothing becomes readable', async () => {
    const reader = changeNotifications(quietDatabase(), 'events', {
      readableHead: async () => 3n,
    });
    const timedOut = reader.waitUntilReadable(3n, 30, new AbortController().signal);
    await expect(timedOut).resolves.toBeUndefined();
    const abort = new AbortController();
    const aborted = reader.waitUntilReadable(3n, 60_000, abort.signal);
    abort.abort();
    await expect(aborted).resolves.toBeUndefined();
  });
});
