import { existsSync } from 'node:fs';
import { DevIssuer } from '@concord/auth';
import { EXIT, UsageError, type CliIo } from './io.ts';

export interface TokensMintOptions {
  keyFile: string;
  org: string;
  person: string;
  role: string[];
  name?: string;
  expires: string;
  stepUp?: boolean;
}

/**
 * A development bearer token for a person of an organization, signed with the development
 * issuer's key (the same file the API was started with). With --step-up: the short-lived
 * credential an e-signature asks to re-enter.
 */
export async function tokensMint(options: TokensMintOptions, io: CliIo): Promise<number> {
  if (!existsSync(options.keyFile))
    throw new UsageError(
      `${options.keyFile} does not exist: start the API with CONCORD_DEV_ISSUER_KEY=${options.keyFile} first (it creates the key)`,
    );
  const issuer = await DevIssuer.open(options.keyFile);
  const claims = {
    personId: options.person,
    organizationId: options.org,
    roles: options.role,
    expiresIn: options.expires,
    ...(options.name ? { name: options.name } : {}),
  };
  const token = options.stepUp ? await issuer.mintStepUp(claims) : await issuer.mint(claims);
  io.stdout.write(`${token}\n`);
  return EXIT.ok;
}
