import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import {
  exportJWK,
  generateKeyPair,
  importJWK,
  SignJWT,
  type CryptoKey,
  type JSONWebKeySet,
  type JWK,
} from 'jose';
import { E_SIGNATURE_PURPOSE, ORGANIZATION_CLAIM, PURPOSE_CLAIM } from './authenticator.ts';

export const DEV_ISSUER = 'urn:concord:dev-issuer';
export const DEV_AUDIENCE = 'concord-api';

export interface DevTokenClaims {
  personId: string;
  organizationId: string;
  roles: string[];
  name?: string;
  /** @default '12h' */
  expiresIn?: string;
}

/**
 * A stand-in identity provider for development and the embedded demo: one Ed25519 key (kept in
 * a file so tokens survive restarts), tokens for the demo organizations' people, and step-up
 * tokens for e-signatures. Real deployments configure their identity provider's issuer,
 * audience and JWKS instead and never load this.
 */
export class DevIssuer {
  readonly #privateKey: CryptoKey;
  readonly #publicJwk: JWK;

  private constructor(privateKey: CryptoKey, publicJwk: JWK) {
    this.#privateKey = privateKey;
    this.#publicJwk = publicJwk;
  }

  /** Loads the key from `keyFile`, creating it on first use; in memory only without a file. */
  static async open(keyFile?: string): Promise<DevIssuer> {
    if (keyFile && existsSync(keyFile)) {
      const stored = JSON.parse(await readFile(keyFile, 'utf8')) as { privateJwk: JWK };
      const { d: _d, ...publicJwk } = stored.privateJwk;
      const key = (await importJWK(stored.privateJwk, 'EdDSA')) as CryptoKey;
      return new DevIssuer(key, publicJwk);
    }
    const { privateKey, publicKey } = await generateKeyPair('EdDSA', {
      crv: 'Ed25519',
      extractable: true,
    });
    const publicJwk = { ...(await exportJWK(publicKey)), kid: 'concord-dev', alg: 'EdDSA' };
    if (keyFile) {
      const privateJwk = { ...(await exportJWK(privateKey)), kid: 'concord-dev', alg: 'EdDSA' };
      await mkdir(dirname(keyFile), { recursive: true });
      await writeFile(keyFile, JSON.stringify({ privateJwk }, null, 2), { mode: 0o600 });
    }
    return new DevIssuer(privateKey, publicJwk);
  }

  jwks(): JSONWebKeySet {
    return { keys: [this.#publicJwk] };
  }

  /** A sign-in token for a person of an organization. */
  mint(claims: DevTokenClaims): Promise<string> {
    return this.#sign(claims, {}, claims.expiresIn ?? '12h');
  }

  /** The token a person gets by re-entering their credential, valid for one e-signature. */
  mintStepUp(claims: DevTokenClaims): Promise<string> {
    return this.#sign(claims, { [PURPOSE_CLAIM]: E_SIGNATURE_PURPOSE }, '5m');
  }

  #sign(claims: DevTokenClaims, extra: Record<string, string>, expiresIn: string) {
    return (
      new SignJWT({
        [ORGANIZATION_CLAIM]: claims.organizationId,
        roles: claims.roles,
        ...(claims.name ? { name: claims.name } : {}),
        ...extra,
      })
        .setProtectedHeader({ alg: 'EdDSA', kid: 'concord-dev' })
        .setSubject(claims.personId)
        .setIssuer(DEV_ISSUER)
        .setAudience(DEV_AUDIENCE)
        .setIssuedAt()
        // Every credential is a new one, even two minted for one person in the same second.
        .setJti(randomUUID())
        .setExpirationTime(expiresIn)
        .sign(this.#privateKey)
    );
  }
}
