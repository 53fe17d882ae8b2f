import { randomUUID } from 'node:crypto';
import type { PostgresEventStore } from '@concord/event-store-postgres';
import {
  generatePlatformKey,
  LOG_ORIGIN,
  signReceipt,
  logTreeHead,
  publicHalf,
  signCheckpoint,
} from '@concord/evidence';
import { CDMO } from '@concord/ingest/test-support';
import { pgDatabase, type SqlDatabase } from '@concord/sql';
import { describeWithPostgres } from '@concord/test-infra/vitest';
import {
  eventDigest,
  RECEIPT_FORMAT,
  verifyBundle,
  type BundleVerdict,
  type SignedCheckpoint,
} from '@concord/verifier';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { exportEvidenceBundle } from './evidence-bundle.ts';
import { recordSignedStory, type BatchStory } from './test-support/batch-story.ts';
import {
  backUpStore,
  deleteAndRenumber,
  flipStoredSignature,
  forgeWithInsiderKey,
  rewriteAgreementTerms,
  rewriteChain,
  swapGlobalNeighbours,
  tamper,
  truncateStreamTail,
} from './test-support/tamper.ts';

// Every tampering the issue lists, done by an insider with write access to the database, then
// the batch exported and the bundle checked by the standalone verifier, with the platform's keys
// as published and the checkpoint a partner kept before the tampering.
const platformKey = generatePlatformKey('2026-01-01T00:00:00.000Z');
const platformKeys = [publicHalf(platformKey)];
const exportedAt = () => new Date('2026-06-02T00:00:00.000Z');

describeWithPostgres(
  'the evidence bundle of a batch, checked offline, on PostgreSQL',
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

    const exportBatch = () =>
      exportEvidenceBundle(raw, story.batchId, {
        platformKey,
        platformKeyring: platformKeys,
        since: [kept.treeSize],
        clock: exportedAt,
      });
    /** The bundle as a file would carry it: JSON text, read back. */
    const exported = async () => JSON.parse(JSON.stringify(await exportBatch())) as unknown;
    const verdict = async (options: { kept?: boolean } = {}): Promise<BundleVerdict> =>
      verifyBundle(await exported(), {
        platformKeys,
        ...(options.kept === false ? {} : { keptCheckpoints: [kept] }),
      });
    const firstProblem = (v: BundleVerdict) => [v.firstProblem?.check, v.firstProblem?.streamId];

    describe('untouched', () => {
      it('verifies: every stream, event, proof and signature, and the kept checkpoint', async () => {
        const bundle = await exportBatch();
        expect(bundle.streams.map((s) => s.role).sort()).toEqual([
          'agreement',
          'linked deviation',
          'organization',
          'organization',
          'subject',
        ]);
        expect(bundle.checkpoint.treeSize).toBe(kept.treeSize);
        const result = await verdict();
        expect(result.problems).toEqual([]);
        expect(result.ok).toBe(true);
        expect(result.platformKeysFrom).toBe('given');
        const events = bundle.streams.reduce((n, s) => n + s.events.length, 0);
        expect(result.checked).toContain(
          `${events} of ${events} events proven in the signed log (RFC 9162 inclusion)`,
        );
        expect(result.checked.join('\n')).toContain(
          `the log extends the kept checkpoint of ${kept.treeSize} events`,
        );
      });

      it('carries the report, and says when it trusted the bundle’s own keys', async () => {
        const bundle = await exportBatch();
        expect(bundle.report.html).toContain(story.batchId);
        expect((bundle.report.json as { batch: { batchId: string } }).batch.batchId).toBe(
          story.batchId,
        );
        const result = await verifyBundle(JSON.parse(JSON.stringify(bundle)));
        expect(result.ok).toBe(true);
        expect(result.platformKeysFrom).toBe('bundle');
        expect(result.notChecked[0]).toMatch(/keys were taken from the bundle/);
      });

      it('refuses a bundle signed by a key that is not the platform’s', async () => {
        const impostor = generatePlatformKey('2026-01-01T00:00:00.000Z');
        const bundle = await exportEvidenceBundle(raw, story.batchId, {
          platformKey: impostor,
          platformKeyring: [publicHalf(impostor)],
          clock: exportedAt,
        });
        const result = await verifyBundle(JSON.parse(JSON.stringify(bundle)), { platformKeys });
        expect(result.ok).toBe(false);
        expect(result.firstProblem?.check).toBe('platform-key');
      });
    });

    describe('after an insider wrote to the database', () => {
      it('a plain UPDATE of data: the event no longer matches its hash', async () => {
        await tamper(
          db,
          `update es_events set data = jsonb_set(data, '{value}', '99.9') where event_id = $1`,
          [story.ids.qcResult],
        );
        const result = await verdict();
        expect(result.ok).toBe(false);
        expect(result.firstProblem).toMatchObject({
          check: 'hash-chain',
          streamId: batchStream(),
          eventId: story.ids.qcResult,
        });
        expect(result.firstProblem?.detail).toMatch(/changed after it was recorded/);
      });

      it('the same UPDATE with the chain recomputed: the partner’s signature and the kept checkpoint tell', async () => {
        await tamper(
          db,
          `update es_events set data = jsonb_set(data, '{value}', '99.9') where event_id = $1`,
          [story.ids.qcResult],
        );
        await rewriteChain(db, raw, batchStream());
        const result = await verdict();
        expect(result.ok).toBe(false);
        const checks = result.problems.map((p) => [p.check, p.eventId ?? null]);
        expect(checks).toContainEqual(['signature', story.ids.qcResult]);
        expect(checks).toContainEqual(['kept-checkpoint', null]);
      });

      it('a flipped signature byte', async () => {
        await flipStoredSignature(db, story.ids.disposition);
        const result = await verdict();
        expect(result.ok).toBe(false);
        // The signature is covered by the event's hash too: the chain breaks first.
        expect(result.firstProblem).toMatchObject({
          check: 'hash-chain',
          eventId: story.ids.disposition,
        });
        // Rechained, the stored signature no longer matches the envelope the partner signed; with
        // the envelope's flipped too, the signature itself fails.
        await rewriteChain(db, raw, batchStream());
        const rechained = await verdict({ kept: false });
        expect(rechained.firstProblem).toMatchObject({
          check: 'signature',
          eventId: story.ids.disposition,
        });
        expect(rechained.firstProblem?.detail).toMatch(/differs from the one the partner signed/);
        await tamper(
          db,
          `update es_events set metadata = jsonb_set(metadata, '{envelope,signature}', metadata->'signature') where event_id = $1`,
          [story.ids.disposition],
        );
        await rewriteChain(db, raw, batchStream());
        const both = await verdict({ kept: false });
        expect(both.firstProblem).toMatchObject({
          check: 'signature',
          eventId: story.ids.disposition,
        });
        expect(both.firstProblem?.detail).toMatch(/Ed25519 signature does not verify/);
      });

      it('a deleted row: the stream skips a version', async () => {
        const [, second] = await raw.readStream(batchStream());
        await tamper(db, 'delete from es_events where event_id = $1', [second!.id]);
        const result = await verdict();
        expect(result.ok).toBe(false);
        expect(firstProblem(result)).toEqual(['hash-chain', batchStream()]);
        expect(result.firstProblem?.detail).toMatch(/missing or was renumbered/);
      });

      it('a middle event deleted, the stream renumbered and its chain recomputed: the kept checkpoint tells', async () => {
        await deleteAndRenumber(db, raw, batchStream());
        // The log grows by one event elsewhere, so its size alone does not tell.
        await story.store.append(`agreement-${randomUUID()}`, [
          { id: randomUUID(), type: 'concord.agreement.terminated.v1', data: {} },
        ]);
        const result = await verdict();
        expect(result.ok).toBe(false);
        expect(firstProblem(result)).toEqual(['kept-checkpoint', undefined]);
        expect(result.firstProblem?.detail).toMatch(/it was rewritten/);
      });

      it('a stream’s tail truncated and its head moved back: the kept checkpoint tells', async () => {
        await truncateStreamTail(db, raw, batchStream());
        const result = await verdict();
        expect(result.ok).toBe(false);
        expect(result.firstProblem?.check).toBe('kept-checkpoint');
        expect(result.firstProblem?.detail).toMatch(/events were removed from the log/);
        // Without a kept checkpoint the bundle is consistent with itself, and the verdict says
        // what it could not establish.
        const alone = await verdict({ kept: false });
        expect(alone.ok).toBe(true);
        expect(alone.notChecked.join('\n')).toMatch(/no earlier checkpoint was given/);
      });

      it('a stream’s tail truncated: the receipt the partner kept for the removed event tells', async () => {
        const last = (await raw.readStream(batchStream())).at(-1)!;
        // The receipt ingest signed when it accepted the event (libs/ingest receipts.int.spec.ts).
        const envelope = last.metadata.envelope as Record<string, string>;
        const receipt = signReceipt(
          {
            format: RECEIPT_FORMAT,
            status: 'accepted',
            organizationId: envelope.actororg!,
            source: envelope.source!,
            id: envelope.id!,
            digest: eventDigest({ ...envelope, data: last.data }),
            eventId: last.id,
            streamId: last.streamId,
            events: [
              {
                eventId: last.id,
                type: last.type,
                globalPosition: String(last.globalPosition),
                hash: last.hash,
              },
            ],
            receivedAt: last.recordedAt,
            recordedAt: last.recordedAt,
            logOrigin: LOG_ORIGIN,
            issuedAt: last.recordedAt,
          },
          platformKey,
        );
        const intact = await verifyBundle(await exported(), { platformKeys, receipts: [receipt] });
        expect(intact.ok).toBe(true);
        expect(intact.checked).toContain(
          `the receipt for ${envelope.id} (1 event) matches the record`,
        );

        await truncateStreamTail(db, raw, batchStream());
        const result = await verifyBundle(await exported(), { platformKeys, receipts: [receipt] });
        expect(result.ok).toBe(false);
        expect(result.firstProblem).toMatchObject({ check: 'receipt', eventId: last.id });
        expect(result.firstProblem?.detail).toMatch(/no longer holds it: it was removed/);
      });

      it('two events of different streams swapped in the global order', async () => {
        await swapGlobalNeighbours(db, raw);
        const result = await verdict();
        expect(result.ok).toBe(false);
        expect(result.problems.map((p) => p.check)).toContain('kept-checkpoint');
      });

      it('an agreement’s terms changed and its chain recomputed: the platform’s signature tells', async () => {
        const { streamId, eventId } = await rewriteAgreementTerms(db, raw);
        const result = await verdict({ kept: false });
        expect(result.ok).toBe(false);
        expect(result.firstProblem).toMatchObject({ check: 'signature', streamId, eventId });
        expect(result.firstProblem?.detail).toMatch(/platform's signature .* does not verify/);
      });

      it('a key registration inserted and an event re-signed with it: the key is not believed', async () => {
        const { forgedEventId, insiderKeyId } = await forgeWithInsiderKey(
          raw,
          CDMO,
          batchStream(),
          'concord.batch.qc-result-recorded.v1',
        );
        const result = await verdict({ kept: false });
        expect(result.ok).toBe(false);
        const problems = result.problems.map((p) => [p.check, p.streamId, p.eventId]);
        expect(problems).toContainEqual(['signature', `organization-${CDMO}`, expect.any(String)]);
        const forged = result.problems.find((p) => p.eventId === forgedEventId);
        expect(forged?.detail).toContain(
          `${insiderKeyId} is not a key of ${CDMO} registered by the platform`,
        );
      });
    });
  },
);
