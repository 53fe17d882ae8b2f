import { describe, expect, it } from 'vitest';
import { WaitForTimeoutError, waitFor } from './wait-for.ts';

describe('waitFor', () => {
  it('returns the first value the probe produces', async () => {
    let calls = 0;
    const value = await waitFor(() => (++calls >= 3 ? `ready after ${calls}` : undefined), {
      intervalMs: 1,
    });
    expect(value).toBe('ready after 3');
  });

  it('treats a throwing probe as not ready and reports its last error on timeout', async () => {
    const failure = waitFor(
      () => {
        throw new Error('still down');
      },
      { timeoutMs: 30, intervalMs: 5, description: 'the broker' },
    );
    await expect(failure).rejects.toThrow(WaitForTimeoutError);
    await expect(failure).rejects.toThrow('waiting for the broker');
    await failure.catch((error: Error) =>
      expect((error.cause as Error).message).toBe('still down'),
    );
  });
});
