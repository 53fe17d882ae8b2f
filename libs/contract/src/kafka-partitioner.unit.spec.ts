import fc from 'fast-check';
import { Partitioners, type PartitionMetadata } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { keyPartitioner, murmur2 } from './kafka-partitioner.ts';

const partitions = (count: number, leaderless: number[] = []): PartitionMetadata[] =>
  Array.from({ length: count }, (_, partitionId) => ({
    partitionErrorCode: 0,
    partitionId,
    leader: leaderless.includes(partitionId) ? -1 : 0,
    replicas: [0],
    isr: [0],
  }));

describe('the producers’ partitioner', () => {
  it('hashes as the Java client does (Kafka’s own murmur2 test vectors)', () => {
    const vectors: [string, number][] = [
      ['21', -973932308],
      ['foobar', -790332482],
      ['a-little-bit-long-string', -985981536],
      ['a-little-bit-longer-string', -1486304829],
      ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
      ['abc', 479470107],
    ];
    for (const [key, hash] of vectors) expect(murmur2(Buffer.from(key))).toBe(hash);
  });

  it('sends every keyed message to the partition kafkajs’s default partitioner picks', () => {
    const ours = keyPartitioner();
    const theirs = Partitioners.DefaultPartitioner();
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ unit: 'grapheme', maxLength: 120 }),
          fc.uint8Array({ maxLength: 120 }).map((bytes) => Buffer.from(bytes)),
        ),
        fc.integer({ min: 1, max: 200 }),
        fc.constantFrom('concord.out.northbridge-bio', 'concord.in.helix'),
        (key, count, topic) => {
          const args = {
            topic,
            partitionMetadata: partitions(count),
            message: { key, value: 'x' },
          };
          expect(ours(args)).toBe(theirs(args));
        },
      ),
      { numRuns: 5_000 },
    );
  });

  it('keeps a message’s own partition', () => {
    const partition = keyPartitioner()({
      topic: 't',
      partitionMetadata: partitions(8),
      message: { key: 'batch-1', value: 'x', partition: 5 },
    });
    expect(partition).toBe(5);
  });

  it('sends unkeyed messages round the partitions that have a leader', () => {
    const partition = keyPartitioner();
    const metadata = partitions(5, [1, 3]);
    const chosen = Array.from({ length: 30 }, () =>
      partition({ topic: 't', partitionMetadata: metadata, message: { value: 'x' } }),
    );
    expect(new Set(chosen)).toEqual(new Set([0, 2, 4]));
    for (let i = 1; i < chosen.length; i++)
      expect(chosen[i]).toBe([0, 2, 4][([0, 2, 4].indexOf(chosen[i - 1]!) + 1) % 3]);
  });
});
