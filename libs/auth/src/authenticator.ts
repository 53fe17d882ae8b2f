import { createHash, timingSafeEqual } from 'node:crypto';
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  errors,
  jwtVerify,
  type JSONWebKeySet,
  type JWTPayload,
} from 'jose';

/** The roles a person may hold at an organization (the domain's vocabulary). */
export const CALLER_ROLES = ['qa', 'qc', 'production', 'qp', 'analyst', 'auditor'] as const;

/**
 * API keys issued through the platform's administration and kept where it keeps them: `find`
 * resolves to the key's system when it is one of them and accepted now, to undefined when the
 * key is not of their form, and throws an AuthenticationError (with the reason) when it is of
 * their form but refused.
 */
export interface StoredApiKeys {
  findApiKey(key: string): Promise<ApiKeyRecord | undefined>;
}

/** Who is calling: a person signed in through the identity provider, or a partner system. */
export type Caller =
  | {
      kind: 'person';
      personId: string;
      organizationId: string;
      roles: string[];
      /** Present when the identity provider states it (`name`). */
      name?: string;
      /** When the sign-in token expires (`exp`): a long-lived subscription ends then. */
      expiresAt?: Date;
    }
  | { kind: 'system'; systemId: string; organizationId: string; roles: string[] };

/** Why a credential was refused; the API answers 401 with this sentence. */
export class AuthenticationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AuthenticationError';
  }
}

/** One partner system's API key, stored only as its SHA-256 digest. */
export interface ApiKeyRecord {
  /** Hex SHA-256 of the key. */
  sha256: string;
  organizationId: string;
  systemId: string;
  /** @default ['analyst'] */
  roles?: string[];
}

export interface AuthenticatorOptions {
  /** Expected `iss` of every token. */
  issuer: string;
  /** Expected `aud` of every token. */
  audience: string;
  /** Verification keys: a JWKS document, or the URL of the identity provider's JWKS. */
  keys: JSONWebKeySet | URL;
  /** Partner systems' API keys from configuration (a file of digests). @default [] */
  apiKeys?: ApiKeyRecord[];
  /** Partner systems' API keys issued through administration. @default none */
  storedApiKeys?: StoredApiKeys;
  /** Accepted clock skew in seconds. @default 30 */
  clockToleranceSeconds?: number;
  /** How recent a step-up (e-signature) authentication must be, in seconds. @default 300 */
  stepUpMaxAgeSeconds?: number;
}

/** A step-up credential that passed its checks: its id (a digest), whose, and how long it lives. */
export interface StepUpCredential {
  id: string;
  personId: string;
  issuedAt: Date;
  usableUntil: Date;
}

/**
 * Where used step-up credentials are kept, so each signs one act only. `consume` resolves to
 * false when the credential was used before (by this process or any other sharing the ledger).
 */
export interface StepUpLedger {
  consume(credential: StepUpCredential): Promise<boolean>;
}

/** A ledger in this process's memory (tests, and a single process without a database). */
export function inMemoryStepUpLedger(): StepUpLedger {
  const used = new Map<string, Date>();
  return {
    async consume(credential) {
      const now = Date.now();
      for (const [id, until] of used) if (until.getTime() < now) used.delete(id);
      if (used.has(credential.id)) return false;
      used.set(credential.id, credential.usableUntil);
      return true;
    },
  };
}

/** The claim naming the caller's organization; roles travel in `roles`. */
export const ORGANIZATION_CLAIM = 'concord_org';
/** Marks a token issued by re-entering the credential, for one e-signature. */
export const PURPOSE_CLAIM = 'concord_purpose';
export const E_SIGNATURE_PURPOSE = 'e-signature';

export const sha256Hex = (value: string) => createHash('sha256').update(value).digest('hex');

/**
 * Turns an `Authorization` header into a caller: `Bearer <JWT>` verified with jose against the
 * configured issuer, audience and keys, or `ApiKey <key>` for partner systems. Anything else is
 * an AuthenticationError with a sentence saying what was wrong (never which part matched).
 */
export class Authenticator {
  readonly #options: AuthenticatorOptions;
  readonly #keys: ReturnType<typeof createLocalJWKSet> | ReturnType<typeof createRemoteJWKSet>;

  constructor(options: AuthenticatorOptions) {
    this.#options = options;
    this.#keys =
      options.keys instanceof URL
        ? createRemoteJWKSet(options.keys)
        : createLocalJWKSet(options.keys);
  }

  /** Undefined when there is no header at all (an anonymous caller sees nothing). */
  async authenticate(header: string | null | undefined): Promise<Caller | undefined> {
    if (header === null || header === undefined || header.trim() === '') return undefined;
    const [scheme, credential] = header.trim().split(/\s+/, 2);
    if (!credential) throw new AuthenticationError('The Authorization header has no credential.');
    if (/^bearer$/i.test(scheme!)) return this.#person(await this.#verify(credential));
    if (/^apikey$/i.test(scheme!)) return await this.#system(credential);
    throw new AuthenticationError('Use "Authorization: Bearer <token>" or "ApiKey <key>".');
  }

  /** The same authenticator, also accepting the API keys `keys` keeps. */
  withStoredApiKeys(keys: StoredApiKeys): Authenticator {
    return new Authenticator({ ...this.#options, storedApiKeys: keys });
  }

  /**
   * Checks the credential re-entered for an e-signature (21 CFR 11.200): a step-up token for
   * the same person, issued for e-signatures, within the last few minutes.
   */
  async verifyStepUp(token: string, personId: string): Promise<StepUpCredential> {
    const payload = await this.#verify(token);
    if (payload.sub !== personId)
      throw new AuthenticationError('The re-entered credential belongs to someone else.');
    if (payload[PURPOSE_CLAIM] !== E_SIGNATURE_PURPOSE)
      throw new AuthenticationError('The credential was not issued for an e-signature.');
    const maxAge = this.#options.stepUpMaxAgeSeconds ?? 300;
    if (typeof payload.iat !== 'number' || Date.now() / 1000 - payload.iat > maxAge)
      throw new AuthenticationError(
        `The re-entered credential is older than ${maxAge} seconds; sign in again to sign.`,
      );
    // Kept until the credential could no longer pass the age check anyway.
    const usableUntil = new Date((payload.iat + maxAge + this.#tolerance()) * 1000);
    return { id: sha256Hex(token), personId, issuedAt: new Date(payload.iat * 1000), usableUntil };
  }

  #tolerance(): number {
    return this.#options.clockToleranceSeconds ?? 30;
  }

  async #verify(token: string): Promise<JWTPayload> {
    try {
      const { payload } = await jwtVerify(token, this.#keys, {
        issuer: this.#options.issuer,
        audience: this.#options.audience,
        clockTolerance: this.#tolerance(),
      });
      return payload;
    } catch (error) {
      if (error instanceof errors.JWTExpired)
        throw new AuthenticationError('The token has expired.');
      if (error instanceof errors.JOSEError)
        throw new AuthenticationError(`The token is not valid (${error.code}).`);
      throw error;
    }
  }

  #person(payload: JWTPayload): Caller {
    // A credential re-entered for one e-signature is not a way in: it signs that act only.
    if (payload[PURPOSE_CLAIM] !== undefined)
      throw new AuthenticationError(
        'The token was issued for an e-signature; sign in with a sign-in token.',
      );
    const organizationId = payload[ORGANIZATION_CLAIM];
    if (typeof payload.sub !== 'string' || typeof organizationId !== 'string')
      throw new AuthenticationError(`The token must name a subject and a ${ORGANIZATION_CLAIM}.`);
    const roles = Array.isArray(payload.roles)
      ? payload.roles.filter((role): role is string => typeof role === 'string')
      : [];
    return {
      kind: 'person',
      personId: payload.sub,
      organizationId,
      roles,
      ...(typeof payload.name === 'string' ? { name: payload.name } : {}),
      ...(typeof payload.exp === 'number' ? { expiresAt: new Date(payload.exp * 1000) } : {}),
    };
  }

  async #system(key: string): Promise<Caller> {
    const digest = Buffer.from(sha256Hex(key), 'hex');
    const record =
      (this.#options.apiKeys ?? []).find((candidate) => {
        const stored = Buffer.from(candidate.sha256, 'hex');
        return stored.length === digest.length && timingSafeEqual(stored, digest);
      }) ?? (await this.#options.storedApiKeys?.findApiKey(key));
    if (!record) throw new AuthenticationError('The API key is not known.');
    return {
      kind: 'system',
      systemId: record.systemId,
      organizationId: record.organizationId,
      roles: record.roles ?? ['analyst'],
    };
  }
}
