import { describe, expect, it } from 'vitest';
import { ContractViolationError } from './contract-violation-error.ts';
import { decodeKafkaRecord, encodeKafkaRecord } from './kafka-binding.ts';
import {
  decodeLogCheckpointRecord,
  encodeLogCheckpointRecord,
  isLogCheckpointRecord,
  LOG_CHECKPOINT_TYPE,
  type LogCheckpoint,
} from './log-checkpoint.ts';
import { example } from './test-support/examples.ts';
import { validateLogCheckpoint } from './validate.ts';

const checkpoint: LogCheckpoint = {
  origin: 'concord.example/log',
  treeSize: 42,
  rootHash: Buffer.alloc(32, 7).toString('base64'),
  timestamp: '2026-06-01T00:00:00.000Z',
  keyId: 'concord:2026-01-01-abcdef',
  signature: Buffer.alloc(64, 9).toString('base64'),
};

const codes = (result: ReturnType<typeof decodeLogCheckpointRecord>) =>
  result && !result.ok ? result.errors.map((error) => [error.path, error.code]) : result;

describe('a checkpoint of the log on an outbound topic', () => {
  it('is a binary-mode CloudEvent: attributes in ce_ headers, the checkpoint as the value, keyed by the log', () => {
    const record = encodeLogCheckpointRecord(checkpoint);
    expect(record.key.toString()).toBe('concord.example/log');
    expect(JSON.parse(record.value.toString())).toEqual(checkpoint);
    expect(
      Object.fromEntries(Object.entries(record.headers).map(([k, v]) => [k, String(v)])),
    ).toEqual({
      'content-type': 'application/json',
      ce_specversion: '1.0',
      ce_id: 'concord.example/log/42',
      ce_source: 'urn:concord:platform',
      ce_type: LOG_CHECKPOINT_TYPE,
      ce_subject: 'concord.example/log',
      ce_time: checkpoint.timestamp,
      ce_dataschema: 'https://concord.example/schemas/log-checkpoint.v1.schema.json',
    });
  });

  it('round-trips, with headers as buffers or strings', () => {
    const record = encodeLogCheckpointRecord(checkpoint);
    expect(decodeLogCheckpointRecord(record)).toEqual({ ok: true, checkpoint });
    const asStrings = Object.fromEntries(
      Object.entries(record.headers).map(([k, v]) => [k.toUpperCase(), v.toString()]),
    );
    expect(
      decodeLogCheckpointRecord({ key: 'x', value: record.value.toString(), headers: asStrings }),
    ).toEqual({ ok: true, checkpoint });
  });

  it('writes only the checkpoint fields, and refuses to encode a malformed checkpoint', () => {
    const withExtra = { ...checkpoint, note: 'x' } as LogCheckpoint;
    expect(() => encodeLogCheckpointRecord(withExtra)).toThrow(ContractViolationError);
    expect(() => encodeLogCheckpointRecord({ ...checkpoint, treeSize: 0 })).toThrow(
      ContractViolationError,
    );
    expect(() => encodeLogCheckpointRecord({ ...checkpoint, rootHash: 'abc' })).toThrow(
      ContractViolationError,
    );
  });

  it('is told apart from events by ce_type: each decoder leaves the other kind alone', () => {
    const event = encodeKafkaRecord(example('concord.batch.scheduled.v1'));
    expect(isLogCheckpointRecord(event)).toBe(false);
    expect(decodeLogCheckpointRecord(event)).toBeUndefined();
    const record = encodeLogCheckpointRecord(checkpoint);
    expect(isLogCheckpointRecord(record)).toBe(true);
    // A client that only knows events finds no event in it (and skips it).
    expect(decodeKafkaRecord(record).ok).toBe(false);
  });

  it('says what is wrong with a malformed checkpoint record, never throwing', () => {
    const { headers } = encodeLogCheckpointRecord(checkpoint);
    expect(codes(decodeLogCheckpointRecord({ value: '{oops', headers }))).toEqual([
      ['/data', 'undecodable'],
    ]);
    expect(codes(decodeLogCheckpointRecord({ value: null, headers }))).toEqual([
      ['/data', 'missing-data'],
    ]);
    expect(
      codes(
        decodeLogCheckpointRecord({
          value: JSON.stringify({ ...checkpoint, treeSize: 'many' }),
          headers,
        }),
      ),
    ).toEqual([['/data/treeSize', 'type']]);
    expect(
      codes(
        decodeLogCheckpointRecord({
          value: JSON.stringify(checkpoint),
          headers: { ...headers, 'content-type': 'application/cloudevents+json' },
        }),
      ),
    ).toEqual([['/datacontenttype', 'unsupported-content-type']]);
    expect(codes(decodeLogCheckpointRecord({ value: 'x'.repeat(10_000), headers }))).toEqual([
      ['/data', 'too-large'],
    ]);
  });

  it('validates the checkpoint fields as the schema states them', () => {
    expect(validateLogCheckpoint(checkpoint).ok).toBe(true);
    for (const broken of [
      { ...checkpoint, origin: 'two words' },
      { ...checkpoint, keyId: 'northbridge-bio:2026' },
      { ...checkpoint, signature: 'c2ln' },
      { ...checkpoint, timestamp: 'yesterday' },
      { ...checkpoint, treeSize: 1.5 },
    ])
      expect(validateLogCheckpoint(broken).ok, JSON.stringify(broken)).toBe(false);
  });
});
