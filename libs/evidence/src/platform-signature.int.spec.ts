import { randomUUID } from 'node:crypto';
import { generateSigningKey, signEvent } from '@concord/contract';
import { eventHash, type RecordedEvent } from '@concord/event-store';
import { PostgresEventStore } from '@concord/event-store-postgres';
import { pgDatabase, type SqlDatabase } from '@concord/sql';
import { describeWithPostgres } from '@concord/test-infra/vitest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generatePlatformKey, publicHalf, rotatePlatformKey } from './platform-key.ts';
import {
  isPlatformSigned,
  signAsPlatform,
  signingAsPlatform,
  verifyPlatformSignature,
} from './platform-signature.ts';

const key = generatePlatformKey('2026-01-01T00:00:00.000Z');
const keyring = [publicHalf(key)];

const platformEvent = (type = 'concord.agreement.version-approved.v1') => ({
  id: randomUUID(),
  type,
  data: { agreementId: 'qa-1', notificationDeadlineHours: 24 },
  metadata: { source: 'urn:concord:platform', time: '2026-03-01T10:00:00Z', actororg: 'concord' },
});

describe('a platform signature', () => {
  const recorded = (event: ReturnType<typeof platformEvent>, streamId = 'agreement-qa-1') =>
    ({
      ...signAsPlatform(event, streamId, key),
      streamId,
      streamVersion: 1,
      globalPosition: 1n,
      recordedAt: '2026-03-01T10:00:01.000Z',
      hash: '',
      previousHash: null,
    }) as RecordedEvent;

  it('covers id, type, stream, data and every attribute', () => {
    const event = recorded(platformEvent());
    expect(isPlatformSigned(event)).toBe(true);
    expect(verifyPlatformSignature(event, keyring)).toEqual({ status: 'valid', keyId: key.keyId });
    const changes: ((e: RecordedEvent) => RecordedEvent)[] = [
      (e) => ({ ...e, data: { ...e.data, notificationDeadlineHours: 240 } }),
      (e) => ({ ...e, type: 'concord.agreement.terminated.v1' }),
      (e) => ({ ...e, id: randomUUID() }),
      (e) => ({ ...e, streamId: 'agreement-qa-2' }),
      (e) => ({ ...e, metadata: { ...e.metadata, actororg: 'helvion-tx' } }),
      (e) => ({ ...e, metadata: { ...e.metadata, time: '2026-03-02T10:00:00Z' } }),
    ];
    for (const change of changes)
      expect(verifyPlatformSignature(change(event), keyring).status).toBe('invalid');
  });

  it('leaves a partner-signed event as the partner signed it', () => {
    const partner = signEvent(
      { id: 'e-1', type: 'concord.batch.scheduled.v1', data: {} },
      { keyId: 'northbridge-bio:1', ...generateSigningKey() },
    );
    const event = {
      id: 'ev-1',
      type: partner.type,
      data: {},
      metadata: { signature: partner.signature, signaturekeyid: partner.signaturekeyid },
    };
    expect(signAsPlatform(event, 'batch-b-1', key)).toBe(event);
  });

  it('is refused for a key outside the keyring, or one that was not the platform key then', () => {
    const insider = generatePlatformKey('2026-01-01T00:00:00.000Z');
    const forged = {
      ...recorded(platformEvent()),
      ...signAsPlatform(platformEvent(), 'agreement-qa-1', insider),
    } as RecordedEvent;
    expect(verifyPlatformSignature(forged, keyring)).toMatchObject({
      status: 'key-not-valid',
      problem: `${insider.keyId} is not one of the platform's keys`,
    });
    const rotated = rotatePlatformKey(keyring, '2026-02-01T00:00:00.000Z').keyring;
    expect(verifyPlatformSignature(recorded(platformEvent()), rotated)).toMatchObject({
      status: 'key-not-valid',
    });
  });
});

describeWithPostgres('a store signing as the platform, on PostgreSQL', (database) => {
  let db: SqlDatabase;
  let store: PostgresEventStore;
  beforeAll(async () => {
    db = pgDatabase({ connectionString: database().url });
    store = await PostgresEventStore.open(db);
  });
  afterAll(async () => {
    await store.close();
  });

  it('signs what is appended to many streams at once too', async () => {
    const signing = signingAsPlatform(store, key);
    const streams = [`agreement-${randomUUID()}`, `organization-${randomUUID()}`];
    const answers = await signing.appendMany(
      streams.map((streamId) => ({ streamId, events: [platformEvent()] })),
    );
    expect(answers.map((answer) => answer.status)).toEqual(['appended', 'appended']);
    for (const streamId of streams) {
      const [event] = await store.readStream(streamId);
      expect(verifyPlatformSignature(event!, keyring)).toEqual({
        status: 'valid',
        keyId: key.keyId,
      });
    }
  });

  it('records every event it is given signed, and the insider’s rewrite is caught', async () => {
    const signing = signingAsPlatform(store, key);
    const streamId = `agreement-${randomUUID()}`;
    await signing.append(streamId, [platformEvent(), platformEvent()], {
      expectedVersion: 'no-stream',
    });
    // The rest of the store works through the signing one: reads, head, verification.
    const events = await signing.readStream(streamId);
    expect(events).toHaveLength(2);
    expect(await signing.headPosition()).toBeGreaterThanOrEqual(events[1]!.globalPosition);
    for (const event of events)
      expect(verifyPlatformSignature(event, keyring)).toEqual({
        status: 'valid',
        keyId: key.keyId,
      });

    // An insider changes the agreement's terms and recomputes the hash chain: the store's own
    // verification no longer notices, the platform's signature does.
    const last = events[1]!;
    const data = { ...last.data, notificationDeadlineHours: 240 };
    const hash = eventHash({ ...last, data });
    await db.transaction(async (tx) => {
      await tx.query('set local session_replication_role = replica');
      await tx.query(
        'update es_events set data = $2, hash = $3 where stream_id = $1 and stream_version = 2',
        [streamId, JSON.stringify(data), hash],
      );
      await tx.query('update es_streams set head_hash = $2 where stream_id = $1', [streamId, hash]);
    });
    expect((await store.verify({ streamId })).ok).toBe(true);
    const rewritten = (await store.readStream(streamId))[1]!;
    expect(rewritten.data.notificationDeadlineHours).toBe(240);
    expect(verifyPlatformSignature(rewritten, keyring)).toMatchObject({
      status: 'invalid',
      problem: expect.stringContaining('changed after it was signed'),
    });
  });
});
