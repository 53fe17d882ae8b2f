import { randomUUID } from 'node:crypto';
import type { PostgresEventStore } from '@concord/event-store-postgres';
import { generatePlatformKey, logTreeHead, publicHalf, signCheckpoint } from '@concord/evidence';
import { pgDatabase, type SqlDatabase } from '@concord/sql';
import { describeWithPostgres } from '@concord/test-infra/vitest';
import type { SignedCheckpoint } from '@concord/verifier';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { recordSignedStory, type BatchStory } from './test-support/batch-story.ts';
import {
  backUpStore,
  deleteAndRenumber,
  swapGlobalNeighbours,
  truncateStreamTail,
} from './test-support/tamper.ts';
import { verifyAgainstCheckpoint } from './verify-checkpoint.ts';

// The insider rewrites the database so that every hash chain holds again; a checkpoint a partner
// kept from before still tells.
const platformKey = generatePlatformKey('2026-01-01T00:00:00.000Z');
const keyring = [publicHalf(platformKey)];

describeWithPostgres(
  'the store against a checkpoint kept from before, on PostgreSQL',
  (database) => {
    let db: SqlDatabase;
    let raw: PostgresEventStore;
    let story: BatchStory;
    let restore: () => Promise<void>;
    let kept: SignedCheckpoint;
    const batchStream = () => `batch-${story.batchId}`;

    beforeAll(async () => {
      db = pgDatabase({ connectionString: database().url });
      ({ raw, story } = await recordSignedStory(db, platformKey));
      kept = signCheckpoint(await logTreeHead(raw), platformKey, '2026-06-01T00:00:00.000Z');
      restore = await backUpStore(db);
    });
    afterEach(async () => restore());
    afterAll(async () => raw?.close());

    const verdict = () => verifyAgainstCheckpoint(raw, kept, keyring);
    const chainsHold = async () => (await raw.verify('all')).ok;

    it('passes the intact store, and the store that only grew since', async () => {
      expect(kept.treeSize).toBeGreaterThan(20);
      expect(await verdict()).toEqual({
        ok: true,
        treeSize: kept.treeSize,
        keyId: platformKey.keyId,
      });
      await story.store.append(`agreement-${randomUUID()}`, [
        { id: randomUUID(), type: 'concord.agreement.terminated.v1', data: {} },
      ]);
      expect((await verdict()).ok).toBe(true);
    });

    it("catches a stream's tail truncated and its head moved back", async () => {
      await truncateStreamTail(db, raw, batchStream());
      expect(await chainsHold()).toBe(true);
      expect(await verdict()).toMatchObject({ ok: false, problem: 'truncated' });
    });

    it('catches a middle event deleted, the stream renumbered and its chain recomputed', async () => {
      await deleteAndRenumber(db, raw, batchStream());
      expect(await chainsHold()).toBe(true);
      // The log grew by one event elsewhere, so the count alone would not tell.
      await story.store.append(`agreement-${randomUUID()}`, [
        { id: randomUUID(), type: 'concord.agreement.terminated.v1', data: {} },
      ]);
      expect(await verdict()).toMatchObject({ ok: false, problem: 'rewritten' });
    });

    it('catches two events of different streams swapped in the global order', async () => {
      await swapGlobalNeighbours(db, raw);
      expect(await chainsHold()).toBe(true);
      expect(await verdict()).toMatchObject({ ok: false, problem: 'rewritten' });
    });

    it('refuses a checkpoint with a flipped signature byte, or signed by a key not the platform’s', async () => {
      const signature = Buffer.from(kept.signature, 'base64');
      signature[3] = signature[3]! ^ 0x01;
      expect(
        await verifyAgainstCheckpoint(
          raw,
          { ...kept, signature: signature.toString('base64') },
          keyring,
        ),
      ).toMatchObject({ ok: false, problem: 'signature' });
      expect(
        await verifyAgainstCheckpoint(raw, { ...kept, treeSize: kept.treeSize - 1 }, keyring),
      ).toMatchObject({ ok: false, problem: 'signature' });
      const insider = generatePlatformKey('2026-01-01T00:00:00.000Z');
      const forged = signCheckpoint(await logTreeHead(raw), insider, '2026-06-01T00:00:00.000Z');
      expect(await verifyAgainstCheckpoint(raw, forged, keyring)).toMatchObject({
        ok: false,
        problem: 'key-not-valid',
      });
    });
  },
);
