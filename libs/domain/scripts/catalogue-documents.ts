// The parts of the published contract that are the domain's rules in words: the catalogue table
// of schemas/README.md (who may emit each type, its stream, its e-signature) and the messages of
// schemas/asyncapi.yaml (what a partner may publish, what it receives). Rendered from
// `publishedCatalogue()`, so a new event type or a changed rule reaches the documents by
// `pnpm --filter @concord/domain run publish-catalogue`, and a spec fails while they are stale.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { schemaPathByType } from '@concord/contract';
import * as prettier from 'prettier';
import { parseDocument, Scalar, type YAMLMap } from 'yaml';
import {
  publishedCatalogue,
  type PublishedEventType,
} from '../src/agreement/published-catalogue.ts';

export const schemasDir = fileURLToPath(new URL('../../../schemas/', import.meta.url));

export const CATALOGUE_BEGIN =
  '<!-- catalogue: rendered from libs/domain by `pnpm --filter @concord/domain run publish-catalogue`; edit the rules, not this table -->';
export const CATALOGUE_END = '<!-- end of catalogue -->';

/** schemas/README.md and schemas/asyncapi.yaml as the rules and schemas of today make them. */
export async function renderCatalogueDocuments(): Promise<Record<string, string>> {
  const catalogue = publishedCatalogue();
  const read = (name: string) => readFileSync(join(schemasDir, name), 'utf8');
  return {
    'README.md': await format('README.md', withCatalogueTable(read('README.md'), catalogue)),
    'asyncapi.yaml': await format('asyncapi.yaml', withMessages(read('asyncapi.yaml'), catalogue)),
  };
}

function withCatalogueTable(readme: string, catalogue: PublishedEventType[]): string {
  const begin = readme.indexOf(CATALOGUE_BEGIN);
  const end = readme.indexOf(CATALOGUE_END);
  if (begin < 0 || end < begin)
    throw new Error(`schemas/README.md lacks the markers ${CATALOGUE_BEGIN} … ${CATALOGUE_END}`);
  const rows = catalogue.map((entry) =>
    row([
      `\`${entry.type}\``,
      `\`${entry.stream}\``,
      emitterInWords(entry),
      signatureInWords(entry),
    ]),
  );
  const table = [
    row(['type', 'stream', 'who may emit it', 'e-signature in data']),
    row(['---', '---', '---', '---']),
    ...rows,
  ].join('\n');
  return `${readme.slice(0, begin + CATALOGUE_BEGIN.length)}\n\n${table}\n\n${readme.slice(end)}`;
}

function row(cells: string[]): string {
  return `| ${cells.join(' | ')} |`;
}

function emitterInWords({ emitter, supersededBy }: PublishedEventType): string {
  switch (emitter.kind) {
    case 'party': {
      const superseded = supersededBy
        ? ` (superseded by ${supersededBy.slice(supersededBy.lastIndexOf('.') + 1)}; still accepted)`
        : '';
      return `party assigned \`${emitter.activity}\`${superseded}`;
    }
    case 'corrected-event-emitter':
      return 'the organization that emitted the corrected event';
    case 'platform':
      return `Concord (${emitter.who}); never accepted from partners`;
  }
}

function signatureInWords({ signature }: PublishedEventType): string {
  if (signature === undefined) return '—';
  const { field, rule } = signature;
  if (rule === undefined) return `yes: \`${field}\``;
  const list = (values: readonly string[]) => values.map((value) => `\`${value}\``).join(' or ');
  return `yes: \`${field}\`, signer holds ${list(rule.roles)}, meaning ${list(rule.meanings)}`;
}

/** `concord.batch.coa-issued.v1` → `batchCoaIssuedV1`, the AsyncAPI message name. */
export function messageName(type: string): string {
  const words = type.replace(/^concord\./, '').split(/[.-]/);
  return words
    .map((word, index) => (index === 0 ? word : word[0]!.toUpperCase() + word.slice(1)))
    .join('');
}

function withMessages(text: string, catalogue: PublishedEventType[]): string {
  const document = parseDocument(text);
  const inbound = catalogue.filter((entry) => entry.acceptedFromPartners);
  const refs = (entries: PublishedEventType[], prefix: string) =>
    Object.fromEntries(
      entries.map(({ type }) => [messageName(type), { $ref: `${prefix}${messageName(type)}` }]),
    );
  const operationRefs = (entries: PublishedEventType[], channel: string) =>
    entries.map(({ type }) => ({ $ref: `#/channels/${channel}/messages/${messageName(type)}` }));
  const events = new Set(catalogue.map(({ type }) => messageName(type)));
  /** A map's entries that are not event messages (written by hand), kept after the events. */
  const othersIn = (path: string[]) =>
    ((document.getIn(path) as YAMLMap<Scalar<string>> | undefined)?.items ?? []).filter(
      (pair) => !events.has(String(pair.key.value)),
    );
  // A channel's event messages, in catalogue order; its other messages (the outbound channel's
  // checkpoint of the log) kept as written, after them.
  const setChannelMessages = (channel: string, entries: PublishedEventType[]) => {
    const path = ['channels', channel, 'messages'];
    const others = othersIn(path);
    const rendered = document.createNode(refs(entries, '#/components/messages/')) as YAMLMap;
    rendered.items.push(...others);
    document.setIn(path, rendered);
  };
  setChannelMessages('inbound', inbound);
  setChannelMessages('outbound', catalogue);
  document.setIn(['operations', 'publishEvents', 'messages'], operationRefs(inbound, 'inbound'));
  document.setIn(['operations', 'receiveEvents', 'messages'], operationRefs(catalogue, 'outbound'));

  // Event messages first, in catalogue order; the others (the rejection, the checkpoint) kept as
  // written.
  const others = othersIn(['components', 'messages']);
  const rendered = document.createNode(Object.fromEntries(catalogue.map(eventMessage))) as YAMLMap<
    unknown,
    unknown
  >;
  rendered.items.push(...others);
  document.setIn(['components', 'messages'], rendered);
  return document.toString({ lineWidth: 0, singleQuote: true });
}

function eventMessage({ type }: PublishedEventType): [string, object] {
  const schema = schemaPathByType[type];
  const example = schema.replace(/^events\//, 'examples/').replace(/\.schema\.json$/, '.json');
  return [
    messageName(type),
    {
      name: type,
      title: type,
      summary: `Data schema ${schema}; example ${example}.`,
      traits: [{ $ref: '#/components/messageTraits/cloudEventBinary' }],
      payload: {
        schemaFormat: 'application/schema+json;version=draft-2020-12',
        schema: { $ref: quoted(`./${schema}`) },
      },
    },
  ];
}

/** A string written in single quotes, as every `$ref` of the document is. */
function quoted(value: string): Scalar {
  const scalar = new Scalar(value);
  scalar.type = Scalar.QUOTE_SINGLE;
  return scalar;
}

async function format(name: string, source: string): Promise<string> {
  const file = join(schemasDir, name);
  const config = (await prettier.resolveConfig(file)) ?? {};
  return prettier.format(source, { ...config, filepath: file });
}
