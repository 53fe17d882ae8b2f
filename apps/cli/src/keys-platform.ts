import { chmod, writeFile } from 'node:fs/promises';
import {
  generatePlatformKey,
  PlatformKeyError,
  publicHalf,
  readPlatformKeyring,
  rotatePlatformKey,
} from '@concord/evidence';
import { EXIT, UsageError, type CliIo } from './io.ts';

export interface PlatformKeyGenerateOptions {
  /** Where the key file goes (mode 0600). */
  out: string;
  /** The public keyring to write, or, when it exists, to extend: the new key takes over. */
  keyring: string;
  validFrom?: string;
  force?: boolean;
  json?: boolean;
}

/**
 * The platform's signing key for a server (`CONCORD_PLATFORM_KEY_FILE`): the private key in a
 * file only its owner reads, and the keyring of public keys auditors and partners check against
 * (`CONCORD_PLATFORM_KEYRING_FILE`). Given an existing keyring, the new key takes over from the
 * keys in it at --valid-from: a rotation, with the older keys kept to verify what they signed.
 */
export async function platformKeyGenerate(
  options: PlatformKeyGenerateOptions,
  io: CliIo,
): Promise<number> {
  const validFrom = options.validFrom ?? (io.clock ?? (() => new Date()))().toISOString();
  if (Number.isNaN(Date.parse(validFrom)))
    throw new UsageError(`--valid-from ${validFrom} is not an RFC 3339 instant`);
  const previous = await readPlatformKeyring(options.keyring).catch((error: unknown) => {
    if (error instanceof PlatformKeyError && /no such/.test(error.message)) return undefined;
    throw error instanceof PlatformKeyError ? new UsageError(error.message) : error;
  });
  const { key, keyring } = previous
    ? rotatePlatformKey(previous, validFrom)
    : (() => {
        const generated = generatePlatformKey(validFrom);
        return { key: generated, keyring: [publicHalf(generated)] };
      })();
  try {
    await writeFile(options.out, `${JSON.stringify(key, null, 2)}\n`, {
      mode: 0o600,
      flag: options.force ? 'w' : 'wx',
    });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST')
      throw new UsageError(
        `${options.out} exists; pass --force to replace it (the old key is lost).`,
      );
    throw new UsageError(`cannot write ${options.out}: ${(error as Error).message}`);
  }
  await chmod(options.out, 0o600);
  await writeFile(options.keyring, `${JSON.stringify({ keys: keyring }, null, 2)}\n`);

  if (options.json) {
    io.stdout.write(`${JSON.stringify({ key: publicHalf(key), keyring, keyFile: options.out })}\n`);
    return EXIT.ok;
  }
  io.stdout.write(
    [
      `Platform key ${key.keyId} written to ${options.out} (mode 0600): set CONCORD_PLATFORM_KEY_FILE=${options.out} for the API and ingest processes.`,
      previous
        ? `Keyring ${options.keyring}: ${key.keyId} takes over at ${validFrom} from ${previous.map((k) => k.keyId).join(', ')}.`
        : `Keyring ${options.keyring}: ${key.keyId}, from ${validFrom}.`,
      'Give the keyring (public keys only) to auditors and partners: `concord audit verify --platform-keyring` checks against it.',
      '',
    ].join('\n'),
  );
  return EXIT.ok;
}
