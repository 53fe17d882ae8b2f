import type { PostgresEventStore } from '@concord/event-store-postgres';
import { generatePlatformKey, publicHalf } from '@concord/evidence';
import { CDMO } from '@concord/ingest/test-support';
import { pgDatabase, type SqlDatabase } from '@concord/sql';
import { describeWithPostgres } from '@concord/test-infra/vitest';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { deviationHistory } from './history.ts';
import { recordSignedStory, type BatchStory } from './test-support/batch-story.ts';
import { backUpStore, forgeWithInsiderKey, rewriteAgreementTerms } from './test-support/tamper.ts';
import { verifyAudit } from './verify-audit.ts';

// The record kept by a platform that signs what it records, audited with the platform's keyring
// (which comes from outside the database), against an insider who can write to the database
// but does not hold the platform's private key.
const platformKey = generatePlatformKey('2026-01-01T00:00:00.000Z');
const platformKeyring = [publicHalf(platformKey)];

describeWithPostgres('platform signatures in the audit, on PostgreSQL', (database) => {
  let db: SqlDatabase;
  let raw: PostgresEventStore;
  let story: BatchStory;
  let restore: () => Promise<void>;

  beforeAll(async () => {
    db = pgDatabase({ connectionString: database().url });
    ({ raw, story } = await recordSignedStory(db, platformKey));
    restore = await backUpStore(db);
  });
  afterEach(async () => restore());
  afterAll(async () => raw?.close());

  it('verifies every event the platform recorded with its key, and says so', async () => {
    const verification = await verifyAudit(
      story.store,
      { batchId: story.batchId },
      { platformKeyring },
    );
    expect(verification).toMatchObject({ ok: true, problems: [] });
    expect(verification.signatures.platform).toBeGreaterThan(5);
    const history = await deviationHistory(story.store, story.deviationId, { platformKeyring });
    const late = history.entries.find((e) => e.type === 'concord.deviation.reported-late.v1')!;
    expect(late.signature).toMatchObject({
      status: 'platform',
      platformKeyId: platformKey.keyId,
    });
  });

  it("catches an agreement's terms changed and the hash chain recomputed", async () => {
    const { streamId, eventId } = await rewriteAgreementTerms(db, raw);
    // The chain holds again: without the platform's keys the rewrite goes unnoticed.
    expect((await verifyAudit(raw, { batchId: story.batchId })).ok).toBe(true);
    const verification = await verifyAudit(raw, { batchId: story.batchId }, { platformKeyring });
    expect(verification.ok).toBe(false);
    expect(verification.brokenLink).toMatchObject({
      streamId,
      eventId,
      check: 'signature',
      problem: 'invalid',
    });
  });

  it("catches a key registration the insider inserted, and the partner's events forged with it", async () => {
    // The insider registers a key of their own for the CDMO, appending straight to the database
    // (the store's API keeps the chain intact), and records a forged QC result signed with it.
    await forgeWithInsiderKey(
      raw,
      CDMO,
      `batch-${story.batchId}`,
      'concord.batch.qc-result-recorded.v1',
    );

    // Without the platform's keys, the inserted registration is believed and the forgery passes.
    expect((await verifyAudit(raw, { batchId: story.batchId })).ok).toBe(true);
    const verification = await verifyAudit(raw, { batchId: story.batchId }, { platformKeyring });
    expect(verification.ok).toBe(false);
    const problems = verification.problems.map((p) => [p.streamId, p.check, p.problem]);
    expect(problems).toContainEqual([`organization-${CDMO}`, 'signature', 'unsigned']);
    // The forged event names a key the audit does not believe: not in any signed registration.
    expect(problems).toContainEqual([`batch-${story.batchId}`, 'signature', 'key-not-valid']);
  });
});
