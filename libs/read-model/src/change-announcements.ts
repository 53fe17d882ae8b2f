import { randomBytes } from 'node:crypto';
import type { SqlDatabase, SqlExecutor } from '@concord/sql';
import type { ReadModelChange } from './projections/project-chunk.ts';

/** The channel a projector announces its committed changes on, to every API replica. */
export const READ_MODEL_CHANNEL = 'concord_read_model';

/** PostgreSQL refuses a NOTIFY payload of 8,000 bytes or more: a chunk's changes go in parts. */
const MAX_PART_BYTES = 7_000;

const KINDS = { b: 'batch', d: 'deviation', r: 'readiness' } as const;
type Code = keyof typeof KINDS;
const CODES = Object.fromEntries(Object.entries(KINDS).map(([code, kind]) => [kind, code])) as {
  [Kind in ReadModelChange['kind']]: Code;
};

/** One change as it travels: kind code, id, sponsor, CDMO, position. */
type Wire = [Code, string, string, string, string];

/** Names a chunk's parts apart from any other chunk's, whichever process announced it. */
const processTag = randomBytes(4).toString('hex');
let announced = 0;

/**
 * Announces a chunk's changes inside the transaction that commits them: PostgreSQL delivers the
 * notifications to every listening process (every API replica, whichever projected the chunk)
 * when, and only if, the transaction commits, in order and together. Parts are tagged
 * `<chunk>|<part>|<parts>|` so a listener hands the chunk on whole.
 */
export async function announceChanges(
  tx: SqlExecutor,
  changes: readonly ReadModelChange[],
  channel = READ_MODEL_CHANNEL,
): Promise<void> {
  if (changes.length === 0) return;
  const bodies: string[] = [];
  let part: Wire[] = [];
  let bytes = 2;
  for (const change of changes) {
    const wire: Wire = [
      CODES[change.kind],
      change.id,
      change.sponsorId,
      change.cdmoId,
      String(change.position),
    ];
    const size = Buffer.byteLength(JSON.stringify(wire)) + 1;
    if (part.length > 0 && bytes + size > MAX_PART_BYTES) {
      bodies.push(JSON.stringify(part));
      part = [];
      bytes = 2;
    }
    part.push(wire);
    bytes += size;
  }
  bodies.push(JSON.stringify(part));
  const chunk = `${processTag}:${(announced += 1)}`;
  const payloads = bodies.map((body, index) => `${chunk}|${index}|${bodies.length}|${body}`);
  // One statement, the parts in order (the order NOTIFY delivers them in).
  await tx.query(
    'select pg_notify($1, payload) from unnest($2::text[]) with ordinality as p(payload, n) order by n',
    [channel, payloads],
  );
}

/**
 * Hears every chunk of changes announced on `channel` by any process, whole and in commit order.
 * A part that cannot be read is dropped (with its chunk) and reported to `onError`; a listener
 * that loses its connection listens again (changes committed meanwhile are not heard: a
 * subscriber reads the latest rows on its next change). Resolves to a function that stops it.
 */
export function listenToChanges(
  db: SqlDatabase,
  onChanges: (changes: ReadModelChange[]) => void,
  options: { channel?: string; onError?: (error: unknown) => void } = {},
): Promise<() => Promise<void>> {
  // The chunks whose first parts arrived: their changes so far, and the part expected next.
  const partial = new Map<string, { changes: ReadModelChange[]; next: number }>();
  return db.listen(options.channel ?? READ_MODEL_CHANNEL, (payload) => {
    let chunk: string | undefined;
    try {
      const [tag, index, count, body] = splitPayload(payload);
      chunk = tag;
      const assembling = partial.get(chunk) ?? { changes: [], next: 0 };
      if (index !== assembling.next)
        throw new Error(`part ${index} of chunk ${chunk} out of order`);
      for (const [code, id, sponsorId, cdmoId, position] of JSON.parse(body) as Wire[])
        assembling.changes.push({
          kind: KINDS[code],
          id,
          sponsorId,
          cdmoId,
          position: BigInt(position),
        });
      assembling.next = index + 1;
      if (assembling.next < count) {
        partial.set(chunk, assembling);
        return;
      }
      partial.delete(chunk);
      onChanges(assembling.changes);
    } catch (error) {
      if (chunk !== undefined) partial.delete(chunk);
      options.onError?.(error);
    }
  });
}

function splitPayload(payload: string): [string, number, number, string] {
  const first = payload.indexOf('|');
  const second = payload.indexOf('|', first + 1);
  const third = payload.indexOf('|', second + 1);
  if (first < 0 || second < 0 || third < 0) throw new Error('not a read-model announcement');
  return [
    payload.slice(0, first),
    Number(payload.slice(first + 1, second)),
    Number(payload.slice(second + 1, third)),
    payload.slice(third + 1),
  ];
}
