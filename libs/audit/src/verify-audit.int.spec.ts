import { randomUUID } from 'node:crypto';
import { PostgresEventStore } from '@concord/event-store-postgres';
import { CDMO } from '@concord/ingest/test-support';
import { pgDatabase, type SqlDatabase } from '@concord/sql';
import { describeWithPostgres } from '@concord/test-infra/vitest';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { recordBatchStory, type BatchStory } from './test-support/batch-story.ts';
import {
  backUpStore,
  flipSignatureByte,
  flipStoredSignature,
  rewriteChain,
  tamper,
  truncateStreamTail,
} from './test-support/tamper.ts';
import { verifyAudit, type VerifyProgress } from './verify-audit.ts';

describeWithPostgres('verifying the audit trail on PostgreSQL', (database) => {
  let db: SqlDatabase;
  let story: BatchStory;
  let restore: () => Promise<void>;
  const batchStream = () => `batch-${story.batchId}`;
  const versionOf = async (eventId: string) =>
    (await story.store.readStream(batchStream())).find((event) => event.id === eventId)!
      .streamVersion;

  beforeAll(async () => {
    db = pgDatabase({ connectionString: database().url });
    story = await recordBatchStory((clock) => PostgresEventStore.open(db, { clock }));
    restore = await backUpStore(db);
  });
  afterEach(async () => restore());
  afterAll(async () => story?.store.close());

  it('passes on an intact store: every chain holds, every partner signature verifies', async () => {
    const verification = await verifyAudit(story.store, { batchId: story.batchId });
    expect(verification).toMatchObject({ ok: true, brokenLink: null, problems: [] });
    expect(verification.verifiedStreams.map((s) => [s.streamId, s.role])).toEqual([
      [batchStream(), 'subject'],
      [`deviation-${story.deviationId}`, 'linked deviation'],
      ['agreement-qa-htx-nb-2026', 'agreement'],
      ['organization-helvion-tx', 'organization'],
      [`organization-${CDMO}`, 'organization'],
    ]);
    for (const stream of verification.verifiedStreams) {
      const info = await story.store.streamInfo(stream.streamId);
      expect(stream).toMatchObject({
        version: info!.version,
        headHash: info!.headHash,
        chainOk: true,
      });
    }
    expect(verification.signatures).toMatchObject({ eSignatureOnly: 1, problems: 0 });
    expect(verification.signatures.valid).toBeGreaterThan(15);
    expect((await verifyAudit(story.store, { deviationId: story.deviationId })).ok).toBe(true);
  });

  it('verifies the whole store page by page, reporting progress up to the head', async () => {
    const progress: VerifyProgress[] = [];
    const verification = await verifyAudit(story.store, 'all', {
      pageSize: 7,
      onProgress: (p) => progress.push(p),
    });
    const head = await story.store.headPosition();
    expect(verification.ok).toBe(true);
    expect(verification.headPosition).toBe(String(head));
    expect(verification.signatures.checked).toBe(verification.events);
    expect(progress.at(-1)).toMatchObject({
      position: head,
      headPosition: head,
      eventsChecked: verification.events,
      streamsChecked: verification.streams,
    });
    expect(progress.length).toBeGreaterThan(verification.events / 7);
    const positions = progress.map((p) => p.position);
    expect(
      positions.every((position, index) => index === 0 || position > positions[index - 1]!),
    ).toBe(true);
  });

  it('checks every chain from the pages it reads: a removed last event and a gap, and a stream that grew meanwhile', async () => {
    const { removedEventId } = await truncateStreamTail(db, story.store, batchStream());
    const [, second] = await story.store.readStream(`deviation-${story.deviationId}`);
    await tamper(db, 'delete from es_events where event_id = $1', [second!.id]);
    const verification = await verifyAudit(story.store, 'all', { pageSize: 5 });
    expect(verification.ok).toBe(false);
    const chainProblems = verification.problems
      .filter((p) => p.check === 'hash-chain')
      .map((p) => [p.streamId, p.problem]);
    expect(chainProblems).toEqual(
      expect.arrayContaining([[`deviation-${story.deviationId}`, 'version-gap']]),
    );
    // The truncated stream's head was moved back with it: only a kept checkpoint tells (its own
    // spec); the removed event is simply gone from every chain.
    expect(verification.problems.map((p) => p.eventId)).not.toContain(removedEventId);

    // A stream that grows while the verification runs is checked on to its new head.
    await restore();
    let appended = false;
    const grown = await verifyAudit(story.store, 'all', {
      pageSize: 5,
      onProgress: (progress) => {
        if (appended || progress.eventsChecked === 0) return;
        appended = true;
        void story.store.append(batchStream(), [
          { id: randomUUID(), type: 'concord.test.appended.v1', data: {} },
        ]);
      },
    });
    expect(appended).toBe(true);
    expect(grown.problems.filter((p) => p.check === 'hash-chain')).toEqual([]);
  });

  it('fails after a stored value is altered by SQL, naming the link', async () => {
    const version = await versionOf(story.ids.qcResult);
    await tamper(
      db,
      `update es_events set data = jsonb_set(data, '{value}', '99.9') where event_id = $1`,
      [story.ids.qcResult],
    );
    for (const scope of [{ batchId: story.batchId }, 'all'] as const) {
      const verification = await verifyAudit(story.store, scope);
      expect(verification.ok).toBe(false);
      expect(verification.brokenLink).toMatchObject({
        streamId: batchStream(),
        streamVersion: version,
        eventId: story.ids.qcResult,
        check: 'hash-chain',
        problem: 'hash-mismatch',
      });
      // The partner's signature over the original data no longer verifies either.
      expect(verification.problems).toContainEqual(
        expect.objectContaining({
          eventId: story.ids.qcResult,
          check: 'signature',
          problem: 'invalid',
        }),
      );
    }
  });

  it('fails after a byte of a stored signature is flipped', async () => {
    const version = await versionOf(story.ids.disposition);
    await flipStoredSignature(db, story.ids.disposition);
    const verification = await verifyAudit(story.store, { batchId: story.batchId });
    expect(verification.ok).toBe(false);
    expect(verification.brokenLink).toMatchObject({
      streamId: batchStream(),
      streamVersion: version,
      eventId: story.ids.disposition,
      problem: 'hash-mismatch',
    });
    expect(verification.problems).toContainEqual(
      expect.objectContaining({ eventId: story.ids.disposition, check: 'signature' }),
    );
  });

  it('still fails when the insider flips the signature everywhere and rewrites the hash chain', async () => {
    const version = await versionOf(story.ids.disposition);
    const [row] = (
      await db.query<{ signature: string }>(
        `select metadata->>'signature' as signature from es_events where event_id = $1`,
        [story.ids.disposition],
      )
    ).rows;
    const forged = JSON.stringify(flipSignatureByte(row!.signature));
    await tamper(
      db,
      `update es_events set metadata = jsonb_set(jsonb_set(metadata, '{signature}', $2::jsonb),
         '{envelope,signature}', $2::jsonb) where event_id = $1`,
      [story.ids.disposition, forged],
    );
    await rewriteChain(db, story.store, batchStream());
    expect((await story.store.verify({ streamId: batchStream() })).ok).toBe(true);

    const verification = await verifyAudit(story.store, { batchId: story.batchId });
    expect(verification.ok).toBe(false);
    expect(verification.brokenLink).toMatchObject({
      streamId: batchStream(),
      streamVersion: version,
      eventId: story.ids.disposition,
      check: 'signature',
      problem: 'invalid',
      detail: expect.stringMatching(/does not verify/),
    });
  });

  it("fails when a partner's registered key is swapped, even with the chain rewritten", async () => {
    const stranger = Buffer.alloc(32, 7).toString('base64'); // a key the partner never held
    await tamper(
      db,
      `update es_events set data = jsonb_set(data, '{publicKey}', to_jsonb($2::text))
       where stream_id = $1 and event_type = 'concord.organization.signing-key-registered.v1'`,
      [`organization-${CDMO}`, stranger],
    );
    await rewriteChain(db, story.store, `organization-${CDMO}`);
    const verification = await verifyAudit(story.store, { batchId: story.batchId });
    expect(verification.ok).toBe(false);
    expect(verification.brokenLink).toMatchObject({
      streamId: batchStream(),
      streamVersion: 1,
      check: 'signature',
    });
    expect(verification.signatures.problems).toBeGreaterThan(10);
  });

  it('fails when an event is removed from a linked deviation, naming that stream', async () => {
    await tamper(db, `delete from es_events where stream_id = $1 and stream_version = 3`, [
      `deviation-${story.deviationId}`,
    ]);
    const verification = await verifyAudit(story.store, { batchId: story.batchId });
    expect(verification.brokenLink).toMatchObject({
      streamId: `deviation-${story.deviationId}`,
      streamVersion: 3,
      check: 'hash-chain',
      problem: 'version-gap',
    });
  });
});
