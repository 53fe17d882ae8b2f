// kafkajs's protocol encoder as patched here (patches/kafkajs@2.2.4.patch): buffers taken without
// zero-filling and varints written in place. What it writes must stay byte for byte what the
// Kafka protocol says (zigzag LEB128 varints, length-prefixed strings and bytes), with nothing of
// the unwritten rest of a buffer ever in its output.
import { createRequire } from 'node:module';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

interface Encoder {
  writeVarInt(value: number): Encoder;
  writeUVarInt(value: number): Encoder;
  writeVarIntString(value: string): Encoder;
  writeVarIntBytes(value: Buffer): Encoder;
  writeInt32(value: number): Encoder;
  writeEncoder(value: Encoder): Encoder;
  readonly buffer: Buffer;
  size(): number;
}
type EncoderClass = new (initialSize?: number) => Encoder;

const Encoder = createRequire(import.meta.url)('kafkajs/src/protocol/encoder.js') as EncoderClass;

/** Unsigned LEB128, as the protocol defines a varint's bytes. */
function uvarint(value: number): number[] {
  const bytes: number[] = [];
  let rest = value >>> 0;
  while (rest >= 0x80) {
    bytes.push((rest & 0x7f) | 0x80);
    rest >>>= 7;
  }
  return [...bytes, rest];
}
const zigzag = (value: number) => ((value << 1) ^ (value >> 31)) >>> 0;

type Write =
  | { kind: 'varint'; value: number }
  | { kind: 'uvarint'; value: number }
  | { kind: 'string'; value: string }
  | { kind: 'bytes'; value: Uint8Array }
  | { kind: 'int32'; value: number };

const write: fc.Arbitrary<Write> = fc.oneof(
  fc.integer().map((value) => ({ kind: 'varint' as const, value })),
  fc.nat({ max: 0xffffffff }).map((value) => ({ kind: 'uvarint' as const, value })),
  fc
    .string({ unit: 'binary', maxLength: 700 })
    .map((value) => ({ kind: 'string' as const, value })),
  fc.uint8Array({ maxLength: 1500 }).map((value) => ({ kind: 'bytes' as const, value })),
  fc.integer().map((value) => ({ kind: 'int32' as const, value })),
);

/** The bytes a write must produce. */
function expected(step: Write): number[] {
  switch (step.kind) {
    case 'varint':
      return uvarint(zigzag(step.value));
    case 'uvarint':
      return uvarint(step.value);
    case 'string': {
      const text = Buffer.from(step.value, 'utf8');
      return [...uvarint(zigzag(text.length)), ...text];
    }
    case 'bytes':
      return [...uvarint(zigzag(step.value.length)), ...step.value];
    case 'int32': {
      const four = Buffer.alloc(4);
      four.writeInt32BE(step.value);
      return [...four];
    }
  }
}

function apply(encoder: Encoder, step: Write) {
  if (step.kind === 'varint') encoder.writeVarInt(step.value);
  else if (step.kind === 'uvarint') encoder.writeUVarInt(step.value);
  else if (step.kind === 'string') encoder.writeVarIntString(step.value);
  else if (step.kind === 'bytes') encoder.writeVarIntBytes(Buffer.from(step.value));
  else encoder.writeInt32(step.value);
}

describe('the Kafka protocol encoder (kafkajs, as patched)', () => {
  it('writes exactly the bytes of each write, in order, however its buffer grows', () => {
    fc.assert(
      fc.property(
        fc.array(write, { maxLength: 40 }),
        fc.constantFrom(1, 16, 511),
        (steps, initialSize) => {
          const encoder = new Encoder(initialSize);
          for (const step of steps) apply(encoder, step);
          const bytes = steps.flatMap(expected);
          expect([...encoder.buffer]).toEqual(bytes);
          expect(encoder.size()).toBe(bytes.length);
        },
      ),
      { numRuns: 1_000 },
    );
  });

  it('writes the varints of the edges of each length', () => {
    const edges = [0, 1, 0x7f, 0x80, 0x3fff, 0x4000, 0x1fffff, 0x200000, 0xfffffff, 0x10000000];
    for (const value of [...edges, 0xffffffff])
      expect([...new Encoder().writeUVarInt(value).buffer], String(value)).toEqual(uvarint(value));
    for (const value of [...edges, -1, -64, -65, 2 ** 31 - 1, -(2 ** 31)])
      expect([...new Encoder().writeVarInt(value).buffer], String(value)).toEqual(
        uvarint(zigzag(value)),
      );
  });

  it('gives nothing of a buffer it did not write, even where memory held other data', () => {
    // Fill the allocator's shared pool with a marker, then encode small records from it.
    for (let n = 0; n < 64; n++) Buffer.allocUnsafe(512).fill(0xab);
    const outer = new Encoder();
    for (let n = 0; n < 20; n++) outer.writeEncoder(new Encoder().writeVarIntString(`h${n}`));
    const bytes = [...outer.buffer];
    expect(bytes).toEqual(
      Array.from({ length: 20 }, (_, n) => expected({ kind: 'string', value: `h${n}` })).flat(),
    );
    expect(bytes).not.toContain(0xab);
  });
});
