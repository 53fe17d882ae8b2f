import { createPublicKey, verify } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { schemasDir } from '../scripts/schema-files.ts';
import { eventTypes, schemaPathByType } from './generated/catalogue.ts';
import { signingInput, signingInputBytes } from './signing.ts';
import { allExamples } from './test-support/examples.ts';
import { validateEvent } from './validate.ts';

const examples = allExamples();

describe('schemas/examples', () => {
  it('has one example per event type, named after its schema', () => {
    const expected = eventTypes.map((type) =>
      schemaPathByType[type].replace(/^events\//, 'examples/').replace(/\.schema\.json$/, '.json'),
    );
    expect(examples.map((e) => e.path).sort()).toEqual([...expected].sort());
  });

  it.each(examples)('$path is a valid event of the type its path names', ({ path, content }) => {
    const result = validateEvent(content);
    expect(result.ok ? [] : result.errors).toEqual([]);
    const [, aggregate, file] = path.split('/');
    expect((content as { type: string }).type).toBe(
      `concord.${aggregate}.${file?.replace(/\.json$/, '')}`,
    );
  });

  it('signingInput drops only signature and recordedtime, and is canonical', () => {
    const event = {
      recordedtime: 'r',
      data: { b: 1, a: 2 },
      signature: 's',
      id: 'x',
      signaturekeyid: 'k',
    };
    expect(signingInput(event)).toBe('{"data":{"a":2,"b":1},"id":"x","signaturekeyid":"k"}');
    expect(event.signature).toBe('s');
  });

  it('are signed by the example partners, verifiably', () => {
    const { keys } = JSON.parse(
      readFileSync(join(schemasDir, 'examples/signing-keys.json'), 'utf8'),
    ) as { keys: Record<string, { publicKey: string }> };
    const signed = examples
      .map((e) => e.content as Record<string, unknown>)
      .filter((e) => typeof e['signature'] === 'string');
    expect(signed.length).toBeGreaterThan(20);
    for (const event of signed) {
      const signature = event['signature'];
      const raw = Buffer.from(keys[String(event['signaturekeyid'])]?.publicKey ?? '', 'base64');
      // SPKI DER prefix for a raw Ed25519 public key.
      const spki = Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), raw]);
      const key = createPublicKey({ key: spki, format: 'der', type: 'spki' });
      const ok = verify(
        null,
        signingInputBytes(event),
        key,
        Buffer.from(String(signature), 'base64'),
      );
      expect(ok, `${String(event['type'])} signature`).toBe(true);
    }
  });
});

describe('exampleEvent (@concord/contract/examples)', () => {
  it('returns a fresh copy of the file content each time', async () => {
    const { exampleEvent } = await import('./examples.ts');
    const first = exampleEvent('concord.batch.scheduled.v1');
    const file = examples.find((e) => e.path === 'examples/batch/scheduled.v1.json')?.content;
    expect(first).toEqual(file);
    first.data.batchNumber = 'changed';
    expect(exampleEvent('concord.batch.scheduled.v1').data.batchNumber).toBe('HLV201-C26-0117');
  });
});
