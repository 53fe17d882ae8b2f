import { randomUUID } from 'node:crypto';
import {
  ConcurrencyError,
  InvalidAppendError,
  eventHash,
  type NewEvent,
} from '@concord/event-store';
import {
  ANY,
  MaxAppendSizeExceededError,
  NO_STREAM,
  STREAM_EXISTS,
  StreamDeletedError,
  UnavailableError,
  WrongExpectedVersionError,
  type RecordedEvent as KurrentRecordedEvent,
} from '@kurrent/kurrentdb-client';
import { describe, expect, it } from 'vitest';
import {
  ENVELOPE_KEY,
  STREAM_METADATA_KEY,
  assertStorableInKurrentDb,
  bigIntToPosition,
  concordStreamMetadata,
  fromKurrentStreamState,
  kurrentEventId,
  positionToBigInt,
  revisionOf,
  toConcordError,
  toKurrentStreamState,
  toRecordedEvent,
  unwrapMetadata,
  versionOf,
  versionOfRevision,
  withConcordStreamMetadata,
  wrapMetadata,
  type ConcordEnvelope,
} from './mapping.ts';

const envelope: ConcordEnvelope = {
  id: 'evt-1',
  hash: 'a'.repeat(64),
  previousHash: null,
  recordedAt: '2026-03-01T08:00:00.000Z',
};

const newEvent = (overrides: Partial<NewEvent> = {}): NewEvent => ({
  id: randomUUID(),
  type: 'concord.test.happened.v1',
  data: { note: 'x' },
  metadata: { source: 'urn:concord:test' },
  ...overrides,
});

describe('expected version <-> KurrentDB stream state', () => {
  it('maps the named expectations to the constants and version N to revision N-1', () => {
    expect(toKurrentStreamState('no-stream')).toBe(NO_STREAM);
    expect(toKurrentStreamState('any')).toBe(ANY);
    expect(toKurrentStreamState('stream-exists')).toBe(STREAM_EXISTS);
    expect(toKurrentStreamState(0)).toBe(NO_STREAM);
    expect(toKurrentStreamState(1)).toBe(0n);
    expect(toKurrentStreamState(42)).toBe(41n);
  });

  it('maps back (version 0 is no-stream)', () => {
    for (const expected of ['no-stream', 'any', 'stream-exists', 1, 2, 1000] as const) {
      expect(fromKurrentStreamState(toKurrentStreamState(expected))).toBe(expected);
    }
    expect(fromKurrentStreamState(toKurrentStreamState(0))).toBe('no-stream');
  });

  it('refuses versions that are not whole numbers >= 0', () => {
    expect(() => toKurrentStreamState(-1)).toThrow(RangeError);
    expect(() => toKurrentStreamState(1.5)).toThrow(RangeError);
    expect(() => revisionOf(0)).toThrow(RangeError);
  });

  it('counts a stream version as revision + 1, and 0 without a stream', () => {
    expect(versionOf(NO_STREAM)).toBe(0);
    expect(versionOf(-1n)).toBe(0);
    expect(versionOf(0n)).toBe(1);
    expect(versionOf(9n)).toBe(10);
    expect(versionOfRevision(4n)).toBe(5);
    expect(revisionOf(5)).toBe(4n);
  });
});

describe('$all position <-> bigint', () => {
  it('uses the commit position, which equals the prepare position of a gRPC append', () => {
    expect(positionToBigInt({ commit: 1234n, prepare: 1234n })).toBe(1234n);
    expect(bigIntToPosition(1234n)).toEqual({ commit: 1234n, prepare: 1234n });
    const big = 2n ** 62n + 17n;
    expect(positionToBigInt(bigIntToPosition(big))).toBe(big);
  });

  it('refuses an explicit-transaction position (shared commit) and a missing one', () => {
    expect(() => positionToBigInt({ commit: 2000n, prepare: 1500n })).toThrow(
      /explicit transaction/,
    );
    expect(() => positionToBigInt(undefined)).toThrow(/without a \$all position/);
    expect(() => bigIntToPosition(-1n)).toThrow(RangeError);
  });
});

describe('event ids', () => {
  it('derives a stable RFC 9562 version-8 UUID from any Concord id', () => {
    const id = kurrentEventId('urn:partner:batch-17/event 3');
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(kurrentEventId('urn:partner:batch-17/event 3')).toBe(id);
    expect(kurrentEventId('urn:partner:batch-17/event 4')).not.toBe(id);
    const uuid = randomUUID();
    expect(kurrentEventId(uuid)).not.toBe(kurrentEventId(uuid.toUpperCase()));
  });
});

describe('metadata envelope', () => {
  it('adds the envelope under the reserved key and strips it again on read', () => {
    const metadata = { source: 'urn:concord:test', actorid: 'person-1', skipped: undefined };
    const stored = wrapMetadata(metadata, envelope);
    expect(stored).toEqual({
      source: 'urn:concord:test',
      actorid: 'person-1',
      [ENVELOPE_KEY]: envelope,
    });
    expect(Object.hasOwn(stored, 'skipped')).toBe(false);
    const read = unwrapMetadata(JSON.parse(JSON.stringify(stored)));
    expect(read.metadata).toEqual({ source: 'urn:concord:test', actorid: 'person-1' });
    expect(read.envelope).toEqual(envelope);
  });

  it('refuses caller metadata that already has the reserved key', () => {
    const smuggled = { source: 'urn:partner', [ENVELOPE_KEY]: { ...envelope, hash: 'forged' } };
    expect(() => wrapMetadata(smuggled, envelope)).toThrow(InvalidAppendError);
    expect(() => assertStorableInKurrentDb('batch-1', [newEvent({ metadata: smuggled })])).toThrow(
      InvalidAppendError,
    );
  });

  it('refuses $ stream ids and event types (KurrentDB system streams and events)', () => {
    expect(() => assertStorableInKurrentDb('$settings', [newEvent()])).toThrow(InvalidAppendError);
    expect(() => assertStorableInKurrentDb('batch-1', [newEvent({ type: '$metadata' })])).toThrow(
      InvalidAppendError,
    );
    expect(() => assertStorableInKurrentDb('batch-1', [newEvent()])).not.toThrow();
  });

  it('reads metadata without an envelope (or with a malformed one) as no envelope', () => {
    expect(unwrapMetadata({ source: 'x' })).toEqual({
      metadata: { source: 'x' },
      envelope: undefined,
    });
    expect(unwrapMetadata({ [ENVELOPE_KEY]: { id: 1 } })).toEqual({
      metadata: {},
      envelope: undefined,
    });
    expect(unwrapMetadata(undefined)).toEqual({ metadata: {}, envelope: undefined });
    expect(unwrapMetadata(new Uint8Array([1, 2]))).toEqual({ metadata: {}, envelope: undefined });
  });

  it('turns a stored KurrentDB event into a Concord event whose hash verifies', () => {
    const fields = {
      streamId: 'batch-1',
      streamVersion: 3,
      id: 'evt-3',
      type: 'concord.test.happened.v1',
      data: { note: 'x', n: 1.5 },
      metadata: { source: 'urn:concord:test' },
      recordedAt: '2026-03-01T08:00:00.000Z',
      previousHash: 'b'.repeat(64),
    };
    const hash = eventHash(fields);
    const stored = {
      streamId: 'batch-1',
      id: kurrentEventId('evt-3'),
      isJson: true,
      revision: 2n,
      type: fields.type,
      created: new Date('2026-03-01T08:00:01.000Z'),
      data: fields.data,
      metadata: wrapMetadata(fields.metadata, {
        id: 'evt-3',
        hash,
        previousHash: fields.previousHash,
        recordedAt: fields.recordedAt,
      }),
      position: { commit: 777n, prepare: 777n },
    } as KurrentRecordedEvent;
    const event = toRecordedEvent(stored);
    expect(event).toEqual({ ...fields, hash, globalPosition: 777n });
    expect(eventHash(event)).toBe(event.hash);
  });

  it('keeps KurrentDB id and time for an event written behind Concord, with an empty hash', () => {
    const event = toRecordedEvent({
      streamId: 'batch-1',
      id: '0b8c3f0e-0000-4000-8000-000000000000',
      isJson: true,
      revision: 0n,
      type: 'foreign',
      created: new Date('2026-03-01T08:00:01.000Z'),
      data: {},
      metadata: undefined,
      position: { commit: 5n, prepare: 5n },
    } as KurrentRecordedEvent);
    expect(event).toMatchObject({
      id: '0b8c3f0e-0000-4000-8000-000000000000',
      recordedAt: '2026-03-01T08:00:01.000Z',
      hash: '',
      previousHash: null,
      streamVersion: 1,
    });
  });
});

describe('stream metadata', () => {
  it("keeps Concord's metadata under its own key beside KurrentDB's settings", () => {
    const current = { maxAge: 3600, acl: { readRoles: ['$admins'] }, [STREAM_METADATA_KEY]: {} };
    const next = withConcordStreamMetadata(current, { maxCount: 2, sponsorId: 'a' });
    expect(next).toEqual({
      maxAge: 3600,
      acl: { readRoles: ['$admins'] },
      [STREAM_METADATA_KEY]: { maxCount: 2, sponsorId: 'a' },
    });
    expect(concordStreamMetadata(next)).toEqual({ maxCount: 2, sponsorId: 'a' });
    expect(concordStreamMetadata({ maxAge: 3600 })).toBeUndefined();
    expect(concordStreamMetadata(undefined)).toBeUndefined();
  });
});

describe('errors', () => {
  it('turns a wrong expected version into a ConcurrencyError with the actual version', () => {
    const wrong = (current: bigint | typeof NO_STREAM) =>
      new WrongExpectedVersionError(undefined, {
        streamName: 'batch-1',
        expected: 0n,
        current,
      });
    const error = toConcordError(wrong(4n), 'batch-1', 1);
    expect(error).toBeInstanceOf(ConcurrencyError);
    expect(error).toMatchObject({ streamId: 'batch-1', expectedVersion: 1, actualVersion: 5 });
    expect(toConcordError(wrong(NO_STREAM), 'batch-1', 'stream-exists')).toMatchObject({
      actualVersion: 0,
      expectedVersion: 'stream-exists',
    });
  });

  it('turns content KurrentDB refuses into InvalidAppendError and passes other errors on', () => {
    expect(
      toConcordError(MaxAppendSizeExceededError.fromMaxAppendSize(1024), 'batch-1', 'any'),
    ).toBeInstanceOf(InvalidAppendError);
    expect(
      toConcordError(StreamDeletedError.fromStreamName('batch-1'), 'batch-1', 'any'),
    ).toBeInstanceOf(InvalidAppendError);
    const unavailable = new UnavailableError();
    expect(toConcordError(unavailable, 'batch-1', 'any')).toBe(unavailable);
  });
});
