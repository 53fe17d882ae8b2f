import { randomUUID } from 'node:crypto';
import {
  checkpointsConsistent,
  verifyCheckpointSignature,
  type SignedCheckpoint,
} from '@concord/verifier';
import { tamper } from '@concord/audit/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  openApiWorld,
  OTHER_SPONSOR,
  PLATFORM_KEYRING,
  SPONSOR,
  type ApiWorld,
} from './test-support/api-world.ts';

type Answer = SignedCheckpoint & { consistencyProof: string[] };

const query = `query ($since: Int) {
  logCheckpoint(since: $since) {
    origin treeSize rootHash timestamp keyId signature consistencyProof
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
    return (body.data as { logCheckpoint: Answer }).logCheckpoint;
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

  it('refuses anonymous callers and sizes the log never had', async () => {
    const anonymous = await world.graphql(null, query, {});
    expect(anonymous.body.errors?.[0]?.message).toBeDefined();
    const { body } = await world.graphql(await world.token(SPONSOR), query, { since: 10_000_000 });
    expect(body.errors?.[0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT' } });
  });

  it('cannot prove a log rewritten in the database consistent with the checkpoint a partner kept', async () => {
    const kept = await checkpoint(SPONSOR);
    // The insider swaps two neighbours of different streams in the global order.
    const all = await world.store.readAll({ maxCount: 1_000 });
    const index = all.findIndex((event, i) => i > 0 && all[i - 1]!.streamId !== event.streamId);
    const [first, second] = [all[index - 1]!, all[index]!];
    const move = (id: string, position: bigint) =>
      tamper(world.db, 'update es_events set global_position = $2 where event_id = $1', [
        id,
        String(position),
      ]);
    await move(first.id, 0n);
    await move(second.id, first.globalPosition);
    await move(first.id, second.globalPosition);
    const later = await checkpoint(SPONSOR, kept.treeSize);
    expect(later.treeSize).toBe(kept.treeSize);
    expect(checkpointsConsistent(kept, later, later.consistencyProof)).toBe(false);
  });
});
