import { randomUUID } from 'node:crypto';
import { generateSigningKey, signEvent } from '@concord/contract';
import { PostgresEventStore } from '@concord/event-store-postgres';
import { generatePlatformKey, publicHalf, signingAsPlatform } from '@concord/evidence';
import { storedEventId } from '@concord/ingest';
import { CDMO } from '@concord/ingest/test-support';
import { pgDatabase, type SqlDatabase } from '@concord/sql';
import { describeWithPostgres } from '@concord/test-infra/vitest';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { deviationHistory } from './history.ts';
import { recordBatchStory, type BatchStory } from './test-support/batch-story.ts';
import { backUpStore, rewriteAgreementTerms } from './test-support/tamper.ts';
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
    story = await recordBatchStory(async (clock) => {
      raw = await PostgresEventStore.open(db, { clock });
      return signingAsPlatform(raw, platformKey);
    });
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
    const insiderKey = { keyId: `${CDMO}:insider`, ...generateSigningKey() };
    await raw.append(`organization-${CDMO}`, [
      {
        id: randomUUID(),
        type: 'concord.organization.signing-key-registered.v1',
        data: {
          organizationId: CDMO,
          keyId: insiderKey.keyId,
          algorithm: 'Ed25519',
          publicKey: insiderKey.publicKey,
          validFrom: '2026-01-01T00:00:00Z',
        },
        metadata: { source: 'urn:concord:platform', actororg: 'concord' },
      },
    ]);
    const [genuine] = (await raw.readStream(`batch-${story.batchId}`)).filter(
      (event) => event.type === 'concord.batch.qc-result-recorded.v1',
    );
    const envelope = genuine!.metadata.envelope as Record<string, unknown>;
    const data = { ...genuine!.data, value: 99.9, resultId: 'qc-forged' };
    const { signature: _signature, signaturekeyid: _keyId, ...unsigned } = envelope;
    const forged = signEvent({ ...unsigned, id: `forged-${randomUUID()}`, data }, insiderKey);
    const { data: _data, ...forgedEnvelope } = forged;
    await raw.append(`batch-${story.batchId}`, [
      {
        id: storedEventId(String(envelope.source), forged.id),
        type: genuine!.type,
        data,
        metadata: {
          ...genuine!.metadata,
          signature: forged.signature,
          signaturekeyid: forged.signaturekeyid,
          envelope: forgedEnvelope as never,
        },
      },
    ]);

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
