import type { Authenticator, Caller } from '@concord/auth';

export interface CallerCacheOptions {
  /** Most sign-in tokens remembered; the oldest is forgotten first. @default 10_000 */
  maxEntries?: number;
  /** The clock expiries are compared with (milliseconds). @default Date.now */
  now?: () => number;
}

/**
 * Sign-in tokens already verified, remembered until they expire. A dashboard sends the same
 * bearer token with every request: its signature is verified once (Ed25519 through WebCrypto,
 * with the issuer, audience and times), not once per request. Only a person's token that
 * verified and names its expiry is remembered, and no longer than that expiry; a refused token,
 * an API key and anything else go to the authenticator every time.
 */
export class CallerCache {
  readonly #authenticator: Pick<Authenticator, 'authenticate'>;
  readonly #maxEntries: number;
  readonly #now: () => number;
  /** By the whole Authorization header; Map order is insertion order (the oldest first). */
  readonly #callers = new Map<string, { caller: Caller; expiresAt: number }>();

  constructor(
    authenticator: Pick<Authenticator, 'authenticate'>,
    options: CallerCacheOptions = {},
  ) {
    this.#authenticator = authenticator;
    this.#maxEntries = options.maxEntries ?? 10_000;
    this.#now = options.now ?? Date.now;
  }

  /** As `Authenticator.authenticate`: undefined without a header, an AuthenticationError if refused. */
  async authenticate(header: string | null | undefined): Promise<Caller | undefined> {
    if (header) {
      const known = this.#callers.get(header);
      if (known && known.expiresAt > this.#now()) return known.caller;
      if (known) this.#callers.delete(header);
    }
    const caller = await this.#authenticator.authenticate(header);
    if (header && caller?.kind === 'person' && caller.expiresAt) {
      const expiresAt = caller.expiresAt.getTime();
      if (expiresAt > this.#now()) {
        if (this.#callers.size >= this.#maxEntries)
          this.#callers.delete(this.#callers.keys().next().value!);
        this.#callers.set(header, { caller, expiresAt });
      }
    }
    return caller;
  }
}
