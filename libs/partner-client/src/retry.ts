import { PartnerClientError } from './errors.ts';

export interface RetryOptions {
  /** Attempts after the first. @default 5 */
  retries?: number;
  /** The first pause; it doubles each time, with jitter. @default 300 */
  initialRetryTimeMs?: number;
  /** @default 30000 */
  maxRetryTimeMs?: number;
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs `attempt` until it succeeds, retrying only errors that say they are retriable
 * ({@link PartnerClientError.retriable}); anything else is thrown at once.
 */
export async function withRetries<T>(
  attempt: () => Promise<T>,
  options: RetryOptions = {},
  retryAfterMs: (error: PartnerClientError) => number | undefined = () => undefined,
): Promise<T> {
  const { retries = 5, initialRetryTimeMs = 300, maxRetryTimeMs = 30_000 } = options;
  for (let n = 0; ; n++) {
    try {
      return await attempt();
    } catch (error) {
      if (!(error instanceof PartnerClientError) || !error.retriable || n >= retries) throw error;
      const backoff = Math.min(maxRetryTimeMs, initialRetryTimeMs * 2 ** n);
      const jittered = backoff * (0.8 + Math.random() * 0.4);
      await pause(Math.min(maxRetryTimeMs, Math.max(jittered, retryAfterMs(error) ?? 0)));
    }
  }
}
