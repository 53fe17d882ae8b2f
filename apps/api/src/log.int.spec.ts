import { randomUUID } from 'node:crypto';
import {
  checkpointIncludes,
  checkpointsConsistent,
  verifyCheckpointSignature,
  type SignedCheckpoint,
} from '@concord/verifier';
import { swapGlobalNeighbours } from '@concord/audit/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  A1,
  openApiWorld,
  OTHER_SPONSOR,
  PLATFORM_KEYRING,
  SPONSOR,
  type ApiWorld,
} from './test-support/api-world.ts';

type Answer = SignedCheckpoint & { consistencyProof: string[] };
type Raw = { checkpoint: SignedCheckpoint; consistencyProof: string[] };

const query = `query ($since: Int) {
  logCheckpoint(since: $since) {
    checkpoint { origin treeSize rootHash timestamp keyId signature }
    consistencyProof
  }
}`;

// A partner keeps a checkpoint, asks again later, and checks with code that is not the
// platform's (the standalone verifier) that the log only grew.
describe('checkpoints of the log through the API', () => {
  let world: ApiWorld;
  beforeAll(async () => {
    world = await openApiWorld('pglite');
  });
  afterAll(async () => world?.close());

  const checkpoint = async (organizationId: string, since?: number) => {
    const { body } = await world.graphql(await world.token(organizationId), query, { since });
    expect(body.errors).toBeUndefined();
    const { checkpoint, consistencyProof } = (body.data as { logCheckpoint: Raw }).logCheckpoint;
    return { ...checkpoint, consistencyProof } satisfies Answer;
  };

  it('signs the whole log for any member, and proves to a partner that it only grew', async () => {
    const kept = await checkpoint(SPONSOR);
    expect(kept.treeSize).toBeGreaterThan(20);
    expect(kept.consistencyProof).toEqual([]);
    const publicKey = PLATFORM_KEYRING.find((key) => key.keyId === kept.keyId)!.publicKey;
    expect(await verifyCheckpointSignature(kept, publicKey)).toBe(true);

    await world.store.append(`agreement-${randomUUID()}`, [
      { id: randomUUID(), type: 'concord.agreement.terminated.v1', data: {} },
    ]);
    const later = await checkpoint(OTHER_SPONSOR, kept.treeSize);
    expect(later.treeSize).toBe(kept.treeSize + 1);
    expect(await verifyCheckpointSignature(later, publicKey)).toBe(true);
    expect(checkpointsConsistent(kept, later, later.consistencyProof)).toBe(true);
    // The proof is for the size asked about: against another kept size it proves nothing.
    expect(
      checkpointsConsistent(
        { ...kept, treeSize: kept.treeSize - 1 },
        later,
        later.consistencyProof,
      ),
    ).toBe(false);
  });

  it('proves to a partner that an event of its batch is in the checkpoint it kept, or a fresh one', async () => {
    const kept = await checkpoint(SPONSOR);
    const inclusion = `query ($id: ID!, $size: Int) {
      batch(id: $id) { history(first: 3) { edges { node {
        hash
        kept: inclusion(treeSize: $size) { leafIndex treeSize proof checkpoint { treeSize } }
        fresh: inclusion { leafIndex treeSize proof
          checkpoint { origin treeSize rootHash timestamp keyId signature } }
      } } } }
    }`;
    const { body } = await world.graphql(await world.token(SPONSOR), inclusion, {
      id: A1,
      size: kept.treeSize,
    });
    expect(body.errors).toBeUndefined();
    type Proof = { leafIndex: number; treeSize: number; proof: string[] };
    const nodes = (
      body.data as {
        batch: {
          history: {
            edges: {
              node: {
                hash: string;
                kept: Proof & { checkpoint: null };
                fresh: Proof & { checkpoint: SignedCheckpoint };
              };
            }[];
          };
        };
      }
    ).batch.history.edges.map((edge) => edge.node);
    expect(nodes.length).toBe(3);
    const publicKey = PLATFORM_KEYRING[0]!.publicKey;
    for (const node of nodes) {
      expect(node.kept.checkpoint).toBeNull();
      expect(checkpointIncludes(kept, node.hash, node.kept.leafIndex, node.kept.proof)).toBe(true);
      expect(await verifyCheckpointSignature(node.fresh.checkpoint, publicKey)).toBe(true);
      expect(
        checkpointIncludes(
          node.fresh.checkpoint,
          node.hash,
          node.fresh.leafIndex,
          node.fresh.proof,
        ),
      ).toBe(true);
      // Another event's hash, or another place, is not proven.
      const other = nodes.find((n) => n !== node)!;
      expect(checkpointIncludes(kept, other.hash, node.kept.leafIndex, node.kept.proof)).toBe(
        false,
      );
      expect(checkpointIncludes(kept, node.hash, node.kept.leafIndex + 1, node.kept.proof)).toBe(
        false,
      );
    }
    // Another partnership's batch stays out of reach, proofs included.
    const hidden = await world.graphql(await world.token(OTHER_SPONSOR), inclusion, { id: A1 });
    expect((hidden.body.data as { batch: unknown } | undefined)?.batch ?? null).toBeNull();
  });

  it('refuses anonymous callers and sizes the log never had', async () => {
    const anonymous = await world.graphql(null, query, {});
    expect(anonymous.body.errors?.[0]?.message).toBeDefined();
    const { body } = await world.graphql(await world.token(SPONSOR), query, { since: 10_000_000 });
    expect(body.errors?.[0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT' } });
  });

  it('cannot prove a log rewritten in the database consistent with the checkpoint a partner kept', async () => {
    const kept = await checkpoint(SPONSOR);
    // The insider swaps two neighbours of different streams in the global order.
    await swapGlobalNeighbours(world.db, world.store);
    const later = await checkpoint(SPONSOR, kept.treeSize);
    expect(later.treeSize).toBe(kept.treeSize);
    expect(checkpointsConsistent(kept, later, later.consistencyProof)).toBe(false);
  });
});
