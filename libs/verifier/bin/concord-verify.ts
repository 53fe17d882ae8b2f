#!/usr/bin/env node
// concord-verify <bundle.json> [--platform-keys keyring.json] [--checkpoint kept.json]...
//   [--receipt receipt.json]... [--json]
// Checks an evidence bundle offline: no database, no platform, no network.
// Exit 0 verified, 1 not verified, 2 the command could not run (usage, unreadable file).
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import {
  verdictLines,
  verifyBundle,
  type PlatformPublicKey,
  type SignedCheckpoint,
  type SignedReceipt,
} from '../src/index.ts';

const USAGE = `usage: concord-verify <bundle.json> [--platform-keys <keyring.json>] [--checkpoint <kept.json>]... [--receipt <receipt.json>]... [--json]
  --platform-keys  the platform's public keys as Concord published them ({ "keys": [...] });
                   without them the bundle's own keys are used, and the verdict says so
  --checkpoint     a checkpoint you kept earlier: the bundle's log must extend it (repeatable)
  --receipt        a receipt Concord gave you for an event: it must still be in the record (repeatable)
  --json           print the verdict as JSON`;

async function readJson(file: string, what: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    throw new Error(`${file}: cannot read the ${what}: ${(error as Error).message}`);
  }
}

async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        'platform-keys': { type: 'string' },
        checkpoint: { type: 'string', multiple: true },
        receipt: { type: 'string', multiple: true },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n${USAGE}\n`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (positionals.length !== 1) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  try {
    const bundle = await readJson(positionals[0]!, 'evidence bundle');
    const keyring = values['platform-keys']
      ? ((await readJson(values['platform-keys'], 'platform keyring')) as {
          keys?: PlatformPublicKey[];
        })
      : undefined;
    if (keyring && !Array.isArray(keyring.keys))
      throw new Error(`${values['platform-keys']}: a keyring is { "keys": [ … ] }`);
    const keptCheckpoints = await Promise.all(
      (values.checkpoint ?? []).map(
        async (file) => (await readJson(file, 'checkpoint')) as SignedCheckpoint,
      ),
    );
    const receipts = await Promise.all(
      (values.receipt ?? []).map(
        async (file) => (await readJson(file, 'receipt')) as SignedReceipt,
      ),
    );
    const verdict = await verifyBundle(bundle, {
      receipts,
      ...(keyring?.keys ? { platformKeys: keyring.keys } : {}),
      keptCheckpoints,
    });
    process.stdout.write(
      values.json
        ? `${JSON.stringify(verdict, null, 2)}\n`
        : `${verdictLines(verdict).join('\n')}\n`,
    );
    return verdict.ok ? 0 : 1;
  } catch (error) {
    process.stderr.write(`concord-verify: ${(error as Error).message}\n`);
    return 2;
  }
}

process.exitCode = await main(process.argv.slice(2));
