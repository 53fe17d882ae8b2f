import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import specs from '@asyncapi/specs';
import { Ajv } from 'ajv';
import addFormatsPlugin from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { listSchemaFiles, readSchemaFile, schemasDir } from '../scripts/schema-files.ts';
import { dataSchemaIdByType, eventTypes } from './generated/catalogue.ts';
import { compiledSchemas } from './validate.ts';

const files = listSchemaFiles();
const addFormats = addFormatsPlugin.default; // see validate.ts

/** Every subschema that describes an object (has properties). */
function objectSchemas(node: unknown, at = '#'): { at: string; schema: Record<string, unknown> }[] {
  if (node === null || typeof node !== 'object') return [];
  if (Array.isArray(node)) return node.flatMap((n, i) => objectSchemas(n, `${at}/${i}`));
  const record = node as Record<string, unknown>;
  const own = 'properties' in record && record['type'] === 'object' ? [{ at, schema: record }] : [];
  return [
    ...own,
    ...Object.entries(record).flatMap(([k, v]) =>
      k === 'examples' || k === 'if' ? [] : objectSchemas(v, `${at}/${k}`),
    ),
  ];
}

describe('published schemas', () => {
  it('all compile with Ajv 2020 in strict mode (once)', () => {
    const first = compiledSchemas();
    expect(first.data.size).toBe(eventTypes.length);
    expect(compiledSchemas()).toBe(first);
  });

  it.each(files)('%s has the $id of its path, a title, a description and draft 2020-12', (path) => {
    const schema = readSchemaFile(path) as Record<string, unknown>;
    expect(schema['$schema']).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(schema['$id']).toBe(`https://concord.example/schemas/${path}`);
    expect(schema['title']).toEqual(expect.any(String));
    expect(schema['description']).toEqual(expect.any(String));
  });

  it.each(files)('%s closes every object (additionalProperties: false, required list)', (path) => {
    const objects = objectSchemas(readSchemaFile(path));
    for (const { at, schema } of objects) {
      expect(schema['additionalProperties'], `${path} ${at}`).toBe(false);
      expect(schema['required'], `${path} ${at}`).toEqual(expect.any(Array));
    }
  });

  it('the envelope names attributes as CloudEvents requires (lowercase alphanumeric, ≤ 20)', () => {
    const envelope = readSchemaFile('cloudevents/envelope.schema.json') as {
      properties: Record<string, unknown>;
      required: string[];
    };
    for (const name of Object.keys(envelope.properties)) expect(name).toMatch(/^[a-z0-9]{1,20}$/);
    expect(envelope.required).toEqual(
      expect.arrayContaining(['specversion', 'id', 'source', 'type', 'subject', 'data']),
    );
  });

  it('the catalogue has exactly one data schema per event type', () => {
    const eventFiles = files.filter((f) => f.startsWith('events/'));
    expect(eventTypes).toHaveLength(eventFiles.length);
    for (const type of eventTypes) {
      expect(dataSchemaIdByType[type]).toMatch(/^https:\/\/concord\.example\/schemas\/events\//);
    }
  });

  it('the AsyncAPI document references only existing schemas and names every event type', () => {
    const text = readFileSync(join(schemasDir, 'asyncapi.yaml'), 'utf8');
    const doc = parse(text) as { asyncapi: string };
    expect(doc.asyncapi).toMatch(/^3\./);
    const refs = [...text.matchAll(/\$ref: '?\.\/([^'#\s]+)/g)].map((m) => m[1] ?? '');
    expect(refs.length).toBeGreaterThan(eventTypes.length);
    for (const ref of refs) expect(files, ref).toContain(ref);
    for (const type of eventTypes) expect(text).toContain(type);
  });

  it('the AsyncAPI document is valid against the official AsyncAPI 3.0.0 schema', () => {
    // meta: false: the AsyncAPI schema bundles its own copy of the draft-07 meta-schema.
    const ajv = new Ajv({ strict: false, allErrors: true, meta: false, validateSchema: false });
    addFormats(ajv);
    const validate = ajv.compile(specs.schemas['3.0.0']);
    const doc = parse(readFileSync(join(schemasDir, 'asyncapi.yaml'), 'utf8')) as {
      operations: Record<string, { action: string }>;
    };
    expect(validate(doc), JSON.stringify(validate.errors?.slice(0, 5))).toBe(true);
    // The check has teeth: an AsyncAPI 2 style action is refused.
    const broken = structuredClone(doc);
    if (broken.operations['publishEvents']) broken.operations['publishEvents'].action = 'publish';
    expect(validate(broken)).toBe(false);
  });

  it('the README catalogue lists every event type', () => {
    const text = readFileSync(join(schemasDir, 'README.md'), 'utf8');
    for (const type of eventTypes) expect(text).toContain(`\`${type}\``);
  });
});
