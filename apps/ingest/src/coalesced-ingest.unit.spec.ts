import type { IncomingEvent, Outcome } from '@concord/ingest';
import { describe, expect, it } from 'vitest';
import { CoalescedIngest } from './coalesced-ingest.ts';

/** A record named by its partner and number; the fake pipeline answers with that name. */
const record = (name: string) => ({ channelOrganizationId: name }) as unknown as IncomingEvent;
/** A partner's chunk and when its records were produced (all at 0 unless given). */
const chunk = (
  partner: string,
  size: number,
  producedAt: number[] = Array.from({ length: size }, () => 0),
): [IncomingEvent[], number[]] => [
  Array.from({ length: size }, (_, n) => record(`${partner}-${n}`)),
  producedAt,
];
const named = (outcomes: Outcome[]) =>
  outcomes.map((outcome) => (outcome as unknown as { name: string }).name);

/** A pipeline that answers each record with its name, fails any call holding `poison`. */
function fakePipeline(poison?: string) {
  const calls: string[][] = [];
  return {
    calls,
    async ingestMany(items: readonly IncomingEvent[]): Promise<Outcome[]> {
      const names = items.map((item) => item.channelOrganizationId);
      calls.push(names);
      await Promise.resolve();
      if (poison && names.includes(poison)) throw new Error(`${poison} spoils its call`);
      return names.map((name) => ({ status: 'accepted', name }) as unknown as Outcome);
    },
  };
}

describe('CoalescedIngest', () => {
  it('decides the chunks handed over together in one call, each answered its own outcomes', async () => {
    const pipeline = fakePipeline();
    const coalesced = new CoalescedIngest(pipeline);
    const [a, b, c] = await Promise.all([
      coalesced.ingestMany(...chunk('a', 3)),
      coalesced.ingestMany(...chunk('b', 1)),
      coalesced.ingestMany(...chunk('c', 2)),
    ]);
    expect(pipeline.calls).toHaveLength(1);
    expect(named(a!)).toEqual(['a-0', 'a-1', 'a-2']);
    expect(named(b!)).toEqual(['b-0']);
    expect(named(c!)).toEqual(['c-0', 'c-1']);
    // A later chunk starts a gathering of its own.
    expect(named(await coalesced.ingestMany(...chunk('a', 1)))).toEqual(['a-0']);
    expect(pipeline.calls).toHaveLength(2);
  });

  it('takes the records of a joint call in the order they were produced, each chunk in its own', async () => {
    const pipeline = fakePipeline();
    const coalesced = new CoalescedIngest(pipeline);
    const [a, b, c] = await Promise.all([
      coalesced.ingestMany(...chunk('a', 3, [5, 6, 7])),
      coalesced.ingestMany(...chunk('b', 2, [1, 9])),
      // Its clock went back: the chunk's own order still holds.
      coalesced.ingestMany(...chunk('c', 2, [4, 2])),
    ]);
    expect(pipeline.calls).toEqual([['b-0', 'c-0', 'c-1', 'a-0', 'a-1', 'a-2', 'b-1']]);
    expect(named(a!)).toEqual(['a-0', 'a-1', 'a-2']);
    expect(named(b!)).toEqual(['b-0', 'b-1']);
    expect(named(c!)).toEqual(['c-0', 'c-1']);
  });

  it('splits a gathering larger than the most one call carries', async () => {
    const pipeline = fakePipeline();
    const coalesced = new CoalescedIngest(pipeline, 5);
    const answers = await Promise.all(
      ['a', 'b', 'c', 'd'].map((partner) => coalesced.ingestMany(...chunk(partner, 2))),
    );
    expect(pipeline.calls.map((call) => call.length)).toEqual([4, 4]);
    expect(answers.map(named)).toEqual(
      ['a', 'b', 'c', 'd'].map((partner) => [`${partner}-0`, `${partner}-1`]),
    );
  });

  it("tries each chunk alone when a joint call fails: one partner's fault stays its own", async () => {
    const pipeline = fakePipeline('b-1');
    const coalesced = new CoalescedIngest(pipeline);
    const [a, b, c] = await Promise.allSettled([
      coalesced.ingestMany(...chunk('a', 2)),
      coalesced.ingestMany(...chunk('b', 2)),
      coalesced.ingestMany(...chunk('c', 2)),
    ]);
    expect(a).toEqual({ status: 'fulfilled', value: expect.anything() });
    expect(named((a as PromiseFulfilledResult<Outcome[]>).value)).toEqual(['a-0', 'a-1']);
    expect(b).toMatchObject({ status: 'rejected', reason: { message: 'b-1 spoils its call' } });
    expect(named((c as PromiseFulfilledResult<Outcome[]>).value)).toEqual(['c-0', 'c-1']);
    expect(pipeline.calls).toEqual([
      ['a-0', 'a-1', 'b-0', 'b-1', 'c-0', 'c-1'],
      ['a-0', 'a-1'],
      ['b-0', 'b-1'],
      ['c-0', 'c-1'],
    ]);
  });
});
