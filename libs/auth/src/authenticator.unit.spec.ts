import { SignJWT, generateKeyPair } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  AuthenticationError,
  Authenticator,
  inMemoryStepUpLedger,
  sha256Hex,
} from './authenticator.ts';
import { DEV_AUDIENCE, DEV_ISSUER, DevIssuer } from './dev-issuer.ts';

describe('Authenticator', () => {
  let issuer: DevIssuer;
  let authenticator: Authenticator;
  const person = { personId: 'htx-p-0301', organizationId: 'helvion-tx', roles: ['qa'] };

  beforeAll(async () => {
    issuer = await DevIssuer.open();
    authenticator = new Authenticator({
      issuer: DEV_ISSUER,
      audience: DEV_AUDIENCE,
      keys: issuer.jwks(),
      apiKeys: [
        {
          sha256: sha256Hex('k-northbridge-1'),
          organizationId: 'northbridge-bio',
          systemId: 'mes',
        },
      ],
    });
  });

  it('turns a valid bearer token into a person of an organization', async () => {
    const token = await issuer.mint({ ...person, name: 'Dr. Lena Vogt' });
    expect(await authenticator.authenticate(`Bearer ${token}`)).toEqual({
      kind: 'person',
      ...person,
      name: 'Dr. Lena Vogt',
      expiresAt: expect.any(Date),
    });
  });

  it('treats a missing header as anonymous and refuses malformed ones', async () => {
    expect(await authenticator.authenticate(undefined)).toBeUndefined();
    await expect(authenticator.authenticate('Bearer')).rejects.toThrow(AuthenticationError);
    await expect(authenticator.authenticate('Basic abc')).rejects.toThrow(/Bearer/);
    await expect(authenticator.authenticate('Bearer not.a.jwt')).rejects.toThrow(/not valid/);
  });

  it('refuses tokens signed by another key, for another audience, or expired', async () => {
    const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
    const forged = await new SignJWT({ concord_org: 'helvion-tx' })
      .setProtectedHeader({ alg: 'EdDSA', kid: 'concord-dev' })
      .setSubject('x')
      .setIssuer(DEV_ISSUER)
      .setAudience(DEV_AUDIENCE)
      .setExpirationTime('1h')
      .sign(privateKey);
    await expect(authenticator.authenticate(`Bearer ${forged}`)).rejects.toThrow(/not valid/);
    const other = new Authenticator({ issuer: DEV_ISSUER, audience: 'other', keys: issuer.jwks() });
    await expect(other.authenticate(`Bearer ${await issuer.mint(person)}`)).rejects.toThrow(
      /not valid/,
    );
    const expired = await issuer.mint({ ...person, expiresIn: '-5m' });
    await expect(authenticator.authenticate(`Bearer ${expired}`)).rejects.toThrow(/expired/);
  });

  it('knows partner systems by the digest of their API key only', async () => {
    expect(await authenticator.authenticate('ApiKey k-northbridge-1')).toMatchObject({
      kind: 'system',
      organizationId: 'northbridge-bio',
      systemId: 'mes',
    });
    await expect(authenticator.authenticate('ApiKey k-northbridge-2')).rejects.toThrow(/not known/);
  });

  it('accepts a step-up token only for the same person and for e-signatures', async () => {
    await authenticator.verifyStepUp(await issuer.mintStepUp(person), person.personId);
    await expect(
      authenticator.verifyStepUp(await issuer.mintStepUp(person), 'someone-else'),
    ).rejects.toThrow(/someone else/);
    await expect(
      authenticator.verifyStepUp(await issuer.mint(person), person.personId),
    ).rejects.toThrow(/not issued for an e-signature/);
  });

  it('never takes a step-up token as a sign-in token', async () => {
    const stepUp = await issuer.mintStepUp(person);
    await expect(authenticator.authenticate(`Bearer ${stepUp}`)).rejects.toThrow(
      /issued for an e-signature/,
    );
  });

  it('spends a step-up credential on its first use, in a ledger', async () => {
    const ledger = inMemoryStepUpLedger();
    const first = await authenticator.verifyStepUp(
      await issuer.mintStepUp(person),
      person.personId,
    );
    const second = await authenticator.verifyStepUp(
      await issuer.mintStepUp(person),
      person.personId,
    );
    expect(first.id).not.toBe(second.id);
    expect(await ledger.consume(first)).toBe(true);
    expect(await ledger.consume(first)).toBe(false);
    expect(await ledger.consume(second)).toBe(true);
    expect(first.usableUntil.getTime()).toBeGreaterThan(Date.now());
  });
});
