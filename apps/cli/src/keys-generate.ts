import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  generateSigningKey,
  validateEventData,
  type OrganizationSigningKeyRegisteredV1,
} from '@concord/contract';
import { EXIT, UsageError, type CliIo } from './io.ts';

export interface KeysGenerateOptions {
  org: string;
  keyId?: string;
  out: string;
  validFrom?: string;
  force?: boolean;
  json?: boolean;
}

/**
 * A new Ed25519 signing key: the private key stays in a file only its owner can read; the public
 * key and the registration the platform records (signing-key-registered) are printed.
 */
export async function keysGenerate(options: KeysGenerateOptions, io: CliIo): Promise<number> {
  const now = (io.clock ?? (() => new Date()))();
  const keyId = options.keyId ?? `${options.org}:${now.toISOString().slice(0, 7)}`;
  const validFrom = options.validFrom ?? `${now.toISOString().slice(0, 19)}Z`;
  const { privateKeyPem, publicKey } = generateSigningKey();
  const registration: OrganizationSigningKeyRegisteredV1 = {
    organizationId: options.org,
    keyId,
    algorithm: 'Ed25519',
    publicKey,
    validFrom,
  };
  const checked = validateEventData('concord.organization.signing-key-registered.v1', registration);
  if (!checked.ok) {
    throw new UsageError(
      `the platform would refuse this registration (check --org, --key-id, --valid-from): ${checked.errors
        .map((e) => e.message)
        .join(' ')}`,
    );
  }

  const file = join(options.out, `${keyId}.private.pem`);
  await mkdir(options.out, { recursive: true });
  try {
    await writeFile(file, privateKeyPem, { mode: 0o600, flag: options.force ? 'w' : 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new UsageError(`${file} exists; pass --force to replace it (the old key is lost).`);
    }
    throw new UsageError(`cannot write ${file}: ${(error as Error).message}`);
  }
  // An existing file keeps its mode when overwritten; the key must be readable by its owner only.
  await chmod(file, 0o600);

  if (options.json) {
    io.stdout.write(
      `${JSON.stringify({ keyId, publicKey, privateKeyFile: file, registration })}\n`,
    );
    return EXIT.ok;
  }
  io.stdout.write(
    [
      `Private key written to ${file} (mode 0600). Keep it secret: only the public key leaves this machine.`,
      `Public key (Ed25519, raw 32 bytes, base64): ${publicKey}`,
      '',
      'Send this registration to the Concord platform (data of concord.organization.signing-key-registered.v1):',
      JSON.stringify(registration, null, 2),
      '',
      `Then sign with: concord publish <file.ndjson> --org ${options.org} --key ${file} --key-id ${keyId} ...`,
      '',
    ].join('\n'),
  );
  return EXIT.ok;
}
