import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { sha256Hex, type ApiKeyRecord } from '@concord/auth';
import { generateSigningKey } from '@concord/contract';
import { WORLD_ORGANIZATIONS } from '@concord/contract/world';

/** One demo organization's secrets: the key its events are signed with, and its ingest API key. */
export interface DemoOrganizationKeys {
  signingKey: {
    /** Registered with the platform; names the key in `signaturekeyid`. */
    keyId: string;
    /** Ed25519, PKCS#8 PEM. */
    privateKeyPem: string;
    /** Raw 32 bytes, base64 (as registered). */
    publicKey: string;
    /** From when the platform accepts signatures by this key. */
    validFrom: string;
  };
  /** Sent as `Authorization: ApiKey <apiKey>`; the platform keeps only its SHA-256. */
  apiKey: string;
}

/** The demo's secrets, generated on first start and kept in the data folder. */
export interface DemoKeys {
  version: 1;
  createdAt: string;
  organizations: Record<string, DemoOrganizationKeys>;
}

/** The system id of the demo feed's API keys (what the platform sees as the calling system). */
export const DEMO_FEED_SYSTEM_ID = 'demo-feed';

function organizationKeys(organizationId: string, validFrom: string): DemoOrganizationKeys {
  const { privateKeyPem, publicKey } = generateSigningKey();
  // The key id carries a fingerprint: keys generated anew (a lost keys file) get a new id, so
  // the seed registers them next to the old ones instead of clashing with them.
  const fingerprint = createHash('sha256').update(publicKey).digest('hex').slice(0, 12);
  return {
    signingKey: {
      keyId: `${organizationId}:demo-${fingerprint}`,
      privateKeyPem,
      publicKey,
      validFrom,
    },
    apiKey: `cdk_${randomBytes(24).toString('base64url')}`,
  };
}

function isDemoKeys(value: unknown): value is DemoKeys {
  const candidate = value as Partial<DemoKeys> | null;
  return (
    typeof candidate === 'object' &&
    candidate !== null &&
    candidate.version === 1 &&
    typeof candidate.createdAt === 'string' &&
    typeof candidate.organizations === 'object' &&
    candidate.organizations !== null
  );
}

/**
 * The demo's keys from `file`, created (with parent folders, readable by the owner only) when it
 * does not exist yet. Keys of demo organizations missing from an older file are added to it.
 * `clock` dates new keys' validity (keys are valid from the moment they are made).
 */
export async function loadOrCreateDemoKeys(
  file: string,
  options: { clock?: () => Date } = {},
): Promise<DemoKeys> {
  const now = (options.clock ?? (() => new Date()))().toISOString();
  let keys: DemoKeys | undefined;
  if (existsSync(file)) {
    const stored: unknown = JSON.parse(await readFile(file, 'utf8'));
    if (!isDemoKeys(stored)) throw new Error(`${file} is not a demo keys file (version 1)`);
    keys = stored;
  }
  const result: DemoKeys = keys ?? { version: 1, createdAt: now, organizations: {} };
  let changed = keys === undefined;
  for (const { organizationId } of WORLD_ORGANIZATIONS) {
    if (result.organizations[organizationId]) continue;
    result.organizations[organizationId] = organizationKeys(organizationId, now);
    changed = true;
  }
  if (changed) {
    await mkdir(dirname(file), { recursive: true });
    // Written aside and renamed, so a crash never leaves half a keys file behind.
    const temporary = `${file}.${process.pid}.tmp`;
    await writeFile(temporary, `${JSON.stringify(result, null, 2)}\n`, { mode: 0o600 });
    await rename(temporary, file);
  }
  return result;
}

/** The demo feed's API keys as the platform's Authenticator holds them (digests only). */
export function demoApiKeyRecords(keys: DemoKeys): ApiKeyRecord[] {
  return Object.entries(keys.organizations).map(([organizationId, { apiKey }]) => ({
    sha256: sha256Hex(apiKey),
    organizationId,
    systemId: DEMO_FEED_SYSTEM_ID,
  }));
}

/** One organization's keys; throws when the keys file lacks it (a programming error). */
export function keysOf(keys: DemoKeys, organizationId: string): DemoOrganizationKeys {
  const found = keys.organizations[organizationId];
  if (!found) throw new Error(`the demo keys hold no keys for ${organizationId}`);
  return found;
}
