import { mkdtemp, readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  generatePlatformKey,
  loadPlatformKey,
  openEmbeddedPlatformKey,
  parsePlatformKey,
  platformKeyValidAt,
  PlatformKeyError,
  publicHalf,
  readPlatformKeyring,
  rotatePlatformKey,
} from './platform-key.ts';

const folder = () => mkdtemp(join(tmpdir(), 'concord-platform-key-'));

describe('the platform key', () => {
  it('is an Ed25519 key named concord:<day>-<fingerprint>, and reads back as written', () => {
    const key = generatePlatformKey('2026-12-04T10:00:00.000Z');
    expect(key.keyId).toMatch(/^concord:2026-12-04-[0-9a-f]{8}$/);
    expect(parsePlatformKey(JSON.parse(JSON.stringify(key)), 'test')).toEqual(key);
  });

  it('refuses a key file whose halves do not belong together, or that lacks a field', () => {
    const key = generatePlatformKey('2026-12-04T10:00:00.000Z');
    const other = generatePlatformKey('2026-12-04T10:00:00.000Z');
    expect(() => parsePlatformKey({ ...key, publicKey: other.publicKey }, 'k.json')).toThrow(
      /publicKey is not the public half/,
    );
    expect(() => parsePlatformKey({ ...key, privateKeyPem: 'nonsense' }, 'k.json')).toThrow(
      /not an Ed25519 private key/,
    );
    expect(() => parsePlatformKey({ ...key, validFrom: undefined }, 'k.json')).toThrow(
      /no validFrom/,
    );
    expect(() => parsePlatformKey({ ...key, keyId: 'helvion-tx:1' }, 'k.json')).toThrow(
      /starts with "concord:"/,
    );
  });

  it('rotates: the old key signs until the new one takes over, then only a few minutes more', () => {
    const first = generatePlatformKey('2026-01-01T00:00:00.000Z');
    const { key, keyring } = rotatePlatformKey([publicHalf(first)], '2026-06-01T00:00:00.000Z');
    expect(keyring.map((entry) => [entry.keyId, entry.validUntil])).toEqual([
      [first.keyId, '2026-06-01T00:00:00.000Z'],
      [key.keyId, undefined],
    ]);
    expect(platformKeyValidAt(keyring, first.keyId, '2026-05-31T23:59:00.000Z')).toBeDefined();
    expect(platformKeyValidAt(keyring, first.keyId, '2026-06-01T00:04:00.000Z')).toBeDefined();
    expect(platformKeyValidAt(keyring, first.keyId, '2026-06-01T00:06:00.000Z')).toBeUndefined();
    expect(platformKeyValidAt(keyring, key.keyId, '2026-05-31T23:59:00.000Z')).toBeUndefined();
    expect(platformKeyValidAt(keyring, key.keyId, '2027-01-01T00:00:00.000Z')).toBeDefined();
    expect(
      platformKeyValidAt(keyring, 'concord:unknown', '2027-01-01T00:00:00.000Z'),
    ).toBeUndefined();
  });

  it('is generated into the embedded data folder once, readable by its owner only', async () => {
    const dataDir = await folder();
    const now = () => new Date('2026-12-04T10:00:00.000Z');
    const first = await openEmbeddedPlatformKey(dataDir, now);
    expect((await stat(join(dataDir, 'platform-key.json'))).mode & 0o777).toBe(0o600);
    const again = await openEmbeddedPlatformKey(dataDir, () => new Date('2027-01-01T00:00:00Z'));
    expect(again.key).toEqual(first.key);
    expect(again.keyring).toEqual([publicHalf(first.key)]);
    const keyring = JSON.parse(await readFile(join(dataDir, 'platform-keyring.json'), 'utf8'));
    expect(JSON.stringify(keyring)).not.toContain('PRIVATE');
    expect(await readPlatformKeyring(join(dataDir, 'platform-keyring.json'))).toEqual(
      first.keyring,
    );
  });

  it('is never generated for a server: without CONCORD_PLATFORM_KEY_FILE it refuses to start', async () => {
    await expect(loadPlatformKey({})).rejects.toThrow(
      /CONCORD_PLATFORM_KEY_FILE is not set.*concord keys platform generate/,
    );
    await expect(
      loadPlatformKey({ CONCORD_PLATFORM_KEY_FILE: join(await folder(), 'missing.json') }),
    ).rejects.toBeInstanceOf(PlatformKeyError);
  });

  it('loads a server key and the keyring of the keys it took over from', async () => {
    const dir = await folder();
    const old = generatePlatformKey('2026-01-01T00:00:00.000Z');
    const { key, keyring } = rotatePlatformKey([publicHalf(old)], '2026-06-01T00:00:00.000Z');
    await writeFile(join(dir, 'key.json'), JSON.stringify(key));
    await writeFile(join(dir, 'keyring.json'), JSON.stringify({ keys: keyring }));
    const loaded = await loadPlatformKey({
      CONCORD_PLATFORM_KEY_FILE: join(dir, 'key.json'),
      CONCORD_PLATFORM_KEYRING_FILE: join(dir, 'keyring.json'),
    });
    expect(loaded.key).toEqual(key);
    expect(loaded.keyring).toEqual(keyring);
    const alone = await loadPlatformKey({ CONCORD_PLATFORM_KEY_FILE: join(dir, 'key.json') });
    expect(alone.keyring).toEqual([publicHalf(key)]);
  });
});
