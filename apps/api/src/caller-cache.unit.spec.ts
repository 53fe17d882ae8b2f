import {
  AuthenticationError,
  Authenticator,
  DEV_AUDIENCE,
  DEV_ISSUER,
  DevIssuer,
  sha256Hex,
} from '@concord/auth';
import { beforeAll, describe, expect, it } from 'vitest';
import { CallerCache } from './caller-cache.ts';

const person = (personId: string) => ({
  personId,
  organizationId: 'helvion-tx',
  roles: ['qa'],
  name: 'Dr. Lena Vogt',
});

describe('the verified sign-in tokens the API remembers', () => {
  let issuer: DevIssuer;
  let authenticator: Authenticator;
  beforeAll(async () => {
    issuer = await DevIssuer.open();
    authenticator = new Authenticator({
      issuer: DEV_ISSUER,
      audience: DEV_AUDIENCE,
      keys: issuer.jwks(),
      apiKeys: [{ sha256: sha256Hex('k-1'), organizationId: 'northbridge-bio', systemId: 'mes' }],
    });
  });

  /** A cache over the real authenticator, counting what reaches it, on a clock of its own. */
  function counting(options: { maxEntries?: number } = {}) {
    const clock = { now: Date.now() };
    const verified: string[] = [];
    const cache = new CallerCache(
      {
        authenticate: (header) => {
          verified.push(header ?? '');
          return authenticator.authenticate(header);
        },
      },
      { ...options, now: () => clock.now },
    );
    return { cache, verified, clock };
  }

  it('verifies a person’s token once and answers the same caller until the token expires', async () => {
    const { cache, verified, clock } = counting();
    const header = `Bearer ${await issuer.mint({ ...person('htx-p-0021'), expiresIn: '1h' })}`;
    const first = await cache.authenticate(header);
    expect(first).toMatchObject({ kind: 'person', personId: 'htx-p-0021' });
    expect(await cache.authenticate(header)).toBe(first);
    expect(await cache.authenticate(header)).toBe(first);
    expect(verified).toHaveLength(1);
    // At its expiry it goes to the authenticator again.
    clock.now += 3_600_000 + 1_000;
    await cache.authenticate(header);
    expect(verified).toHaveLength(2);
  });

  it('remembers no refusal, no API key and no missing header', async () => {
    const { cache, verified } = counting();
    for (let i = 0; i < 2; i++) {
      await expect(cache.authenticate('Bearer not-a-token')).rejects.toBeInstanceOf(
        AuthenticationError,
      );
      expect(await cache.authenticate('ApiKey k-1')).toMatchObject({ kind: 'system' });
      expect(await cache.authenticate(undefined)).toBeUndefined();
    }
    expect(verified).toEqual([
      'Bearer not-a-token',
      'ApiKey k-1',
      '',
      'Bearer not-a-token',
      'ApiKey k-1',
      '',
    ]);
  });

  it('keeps at most maxEntries tokens, forgetting the oldest first', async () => {
    const { cache, verified } = counting({ maxEntries: 1 });
    const a = `Bearer ${await issuer.mint(person('htx-p-0021'))}`;
    const b = `Bearer ${await issuer.mint(person('htx-p-0022'))}`;
    await cache.authenticate(a);
    await cache.authenticate(b);
    await cache.authenticate(b);
    await cache.authenticate(a);
    expect(verified).toEqual([a, b, a]);
  });
});
