import { randomUUID } from 'node:crypto';
import type { ReadModelChange } from '@concord/read-model';
import { waitFor } from '@concord/test-infra';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  A1,
  A2,
  B1,
  CDMO,
  OTHER_CDMO,
  OTHER_SPONSOR,
  SPONSOR,
  openApiWorld,
  type ApiWorld,
  type SseStream,
} from './test-support/api-world.ts';

// Pushing a committed chunk to live subscribers reads each changed row once per organization,
// not once per change per subscriber: the cost of a chunk must not grow with its subscribers.

type Payload = { data?: { batchChanged: { batchId: string; status: string } | null } };

const change = (id: string, sponsorId = SPONSOR, cdmoId = CDMO): ReadModelChange => ({
  kind: 'batch',
  id,
  sponsorId,
  cdmoId,
  position: 0n,
});

describe('pushing a chunk to many subscribers (PGlite)', () => {
  let world: ApiWorld;
  /** The SQL statements Prisma ran, as the world's client reports them. */
  const statements: string[] = [];
  const streams: SseStream<Payload>[] = [];
  beforeAll(async () => {
    world = await openApiWorld('pglite', { onQuery: (sql) => statements.push(sql) });
  });
  afterAll(async () => {
    for (const stream of streams) stream.close();
    await world?.close();
  });

  /**
   * A subscription that has been shown to listen: it received a change about `handshake` (by
   * default a batch that does not exist).
   */
  async function listening(
    organizationId: string,
    query: string,
    pair: [string, string],
    handshake = () => `handshake-${randomUUID()}`,
  ) {
    const stream = await world.subscribe<Payload>(await world.token(organizationId), query);
    streams.push(stream);
    await waitFor(
      () => {
        world.api.changes.publish([change(handshake(), ...pair)]);
        return stream.messages.length > 0;
      },
      { description: `a subscription of ${organizationId} listening`, timeoutMs: 10_000 },
    );
    return stream;
  }

  it('reads a chunk once per organization, whatever the number of its subscribers and changes', async () => {
    const query = 'subscription { batchChanged { batchId status } }';
    const pairA: [string, string] = [SPONSOR, CDMO];
    const sponsors = [
      await listening(SPONSOR, query, pairA),
      await listening(SPONSOR, query, pairA),
      await listening(SPONSOR, query, pairA),
    ];
    const onlyA1 = await listening(
      SPONSOR,
      `subscription { batchChanged(id: "${A1}") { batchId status } }`,
      pairA,
      () => A1,
    );
    const cdmo = await listening(CDMO, query, pairA);
    const otherPair = await listening(OTHER_SPONSOR, query, [OTHER_SPONSOR, OTHER_CDMO]);
    // A handshake repeated while its stream was opening may still be on its way: a fence about a
    // real batch of each pair, published after every handshake, arrives after all of them.
    world.api.changes.publish([change(A2), change(B1, OTHER_SPONSOR, OTHER_CDMO)]);
    const lastBatch = (stream: SseStream<Payload>) =>
      stream.messages.at(-1)?.data?.batchChanged?.batchId;
    await waitFor(
      () =>
        [...sponsors, cdmo].every((stream) => lastBatch(stream) === A2) &&
        lastBatch(otherPair) === B1,
      { description: 'the fence at every unfiltered subscriber', timeoutMs: 10_000 },
    );
    const before = new Map(streams.map((stream) => [stream, stream.messages.length]));
    const since = (stream: SseStream<Payload>) =>
      stream.messages.slice(before.get(stream)).map((message) => message.data?.batchChanged);
    statements.length = 0;

    const missing = Array.from({ length: 20 }, (_, n) => `${CDMO}:b-missing-${n}`);
    world.api.changes.publish([change(A1), change(A2), ...missing.map((id) => change(id))]);
    const everyone = [...sponsors, cdmo];
    await waitFor(
      () => everyone.every((stream) => since(stream).length === 22) && since(onlyA1).length === 1,
      { description: 'the chunk at every subscriber', timeoutMs: 10_000 },
    );
    // One read of the batches for the sponsor's four subscribers, one for the CDMO's.
    const reads = statements.filter((sql) => /^select/i.test(sql) && /rm_batches/.test(sql));
    expect(reads).toHaveLength(2);

    const rows = await world.prisma.batch.findMany({ where: { id: { in: [A1, A2] } } });
    const status = (id: string) =>
      rows
        .find((row) => row.id === id)!
        .status.toUpperCase()
        .replaceAll('-', '_');
    for (const stream of everyone)
      expect(since(stream)).toEqual([
        { batchId: A1, status: status(A1) },
        { batchId: A2, status: status(A2) },
        ...missing.map(() => null),
      ]);
    // Only A1 (a late copy of its own handshake, also A1, may precede the chunk's).
    expect(new Set(since(onlyA1).map((payload) => JSON.stringify(payload)))).toEqual(
      new Set([JSON.stringify({ batchId: A1, status: status(A1) })]),
    );
    expect(since(otherPair)).toEqual([]);
  });
});
