// pnpm --filter @concord/contract run sign-examples
//
// Signs every example a partner would sign with the example partners' published keys
// (schemas/examples/signing-keys.json): an example that names a `signaturekeyid`, or whose
// `actororg` has an example key. Ed25519 is deterministic, so signing an unchanged example again
// gives the same signature; a new or edited example gets its signature here, not by hand.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as prettier from 'prettier';
import { signEvent } from '../src/signing.ts';
import { listExampleFiles, schemasDir } from './schema-files.ts';

type ExampleKeys = { keys: Record<string, { privateKey: string }> };

const { keys } = JSON.parse(
  readFileSync(join(schemasDir, 'examples/signing-keys.json'), 'utf8'),
) as ExampleKeys;

for (const path of listExampleFiles()) {
  const file = join(schemasDir, path);
  const event = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  // The platform's own records carry no partner signature, whoever acted.
  if (String(event.source).startsWith('urn:concord:platform')) continue;
  const keyId =
    typeof event.signaturekeyid === 'string'
      ? event.signaturekeyid
      : Object.keys(keys).find((id) => id.startsWith(`${String(event.actororg)}:`));
  if (keyId === undefined) continue; // the platform's own events carry no partner signature
  const key = keys[keyId];
  if (key === undefined) throw new Error(`${path}: no example key ${keyId} in signing-keys.json`);
  const { signature: _old, ...unsigned } = event;
  const signed = signEvent(unsigned, { keyId, privateKeyPem: key.privateKey });
  const text = await prettier.format(JSON.stringify(inExampleOrder(signed), null, 2), {
    ...((await prettier.resolveConfig(file)) ?? {}),
    filepath: file,
  });
  if (text !== readFileSync(file, 'utf8')) {
    writeFileSync(file, text);
    console.log(`signed ${path}`);
  }
}

/** The attributes in the examples' order: the signature with the other attributes, data last. */
function inExampleOrder(event: Record<string, unknown>): Record<string, unknown> {
  const { data, ...attributes } = event;
  return { ...attributes, data };
}
