// A signed checkpoint of Concord's log on a partner's outbound topic. Not an event of the catalogue
// (nothing records it, no partner may send it), but a CloudEvent on the wire like every other
// outbound record: binary mode, attributes in `ce_` headers, the checkpoint as the JSON value, so
// a consumer routes it by `ce_type` without reading the value.
import { ContractViolationError } from './contract-violation-error.ts';
import { logCheckpointSchemaId } from './generated/catalogue.ts';
import type { LogCheckpointV1 } from './generated/schema-types.ts';
import {
  JSON_CONTENT_TYPE,
  KAFKA_CONTENT_TYPE_HEADER,
  KAFKA_HEADER_PREFIX,
  type KafkaRecordIn,
  type KafkaRecordOut,
} from './kafka-binding.ts';
import { undecodableRecord } from './kafka-binding.ts';
import { parseJson, validateLogCheckpoint } from './validate.ts';
import type { ValidationError } from './validation-error.ts';

/** A signed checkpoint of the log (schemas/log-checkpoint.v1.schema.json). */
export type LogCheckpoint = LogCheckpointV1;

/** The CloudEvents type of a checkpoint record on `concord.out.<organizationId>`. */
export const LOG_CHECKPOINT_TYPE = 'concord.log.checkpoint.v1';
/** The CloudEvents source of what the platform itself publishes. */
export const LOG_CHECKPOINT_SOURCE = 'urn:concord:platform';
/** A checkpoint is a few hundred bytes: a larger record is refused before it is read. */
const MAX_CHECKPOINT_RECORD_BYTES = 4 * 1024;

/**
 * A checkpoint record's CloudEvents id: the log and the size, so the same checkpoint published
 * again (after a restart, to a partner that missed it) is recognized as the same one.
 */
export function logCheckpointId(checkpoint: Pick<LogCheckpoint, 'origin' | 'treeSize'>): string {
  return `${checkpoint.origin}/${checkpoint.treeSize}`;
}

/**
 * Encodes a checkpoint for a partner's outbound topic: `ce_type` concord.log.checkpoint.v1,
 * `ce_id` {@link logCheckpointId}, `ce_subject` and the record key the log's origin (one log's
 * checkpoints stay in one partition, in order), `ce_time` when it was signed, the checkpoint as
 * the JSON value. Throws {@link ContractViolationError} when it breaks its schema.
 */
export function encodeLogCheckpointRecord(checkpoint: LogCheckpoint): KafkaRecordOut {
  const checked = validateLogCheckpoint(checkpoint);
  if (!checked.ok) throw new ContractViolationError(checked.errors);
  const { origin, treeSize, rootHash, timestamp, keyId, signature } = checked.checkpoint;
  const attributes: Record<string, string> = {
    specversion: '1.0',
    id: logCheckpointId({ origin, treeSize }),
    source: LOG_CHECKPOINT_SOURCE,
    type: LOG_CHECKPOINT_TYPE,
    subject: origin,
    time: timestamp,
    dataschema: logCheckpointSchemaId,
  };
  const headers: Record<string, Buffer> = {
    [KAFKA_CONTENT_TYPE_HEADER]: Buffer.from(JSON_CONTENT_TYPE),
  };
  for (const [name, value] of Object.entries(attributes))
    headers[KAFKA_HEADER_PREFIX + name] = Buffer.from(value, 'utf8');
  return {
    key: Buffer.from(origin, 'utf8'),
    // Only the checkpoint's own fields, in a fixed order.
    value: Buffer.from(
      JSON.stringify({ origin, treeSize, rootHash, timestamp, keyId, signature }),
      'utf8',
    ),
    headers,
  };
}

export type LogCheckpointRecordResult =
  | { readonly ok: true; readonly checkpoint: LogCheckpoint }
  | { readonly ok: false; readonly errors: readonly ValidationError[] };

type HeaderValue = Uint8Array | string;

/** A header's text (names compared case-insensitively, as `decodeKafkaRecord` does). */
function header(record: KafkaRecordIn, name: string): string | undefined {
  const found = Object.entries(record.headers ?? {}).find(([key]) => key.toLowerCase() === name);
  const raw = found?.[1];
  const value = Array.isArray(raw) ? undefined : (raw as HeaderValue | undefined);
  if (value === undefined) return undefined;
  return typeof value === 'string' ? value : Buffer.from(value).toString('utf8');
}

/** Whether an outbound record is a checkpoint of the log (by its `ce_type` header). */
export function isLogCheckpointRecord(record: KafkaRecordIn): boolean {
  return header(record, `${KAFKA_HEADER_PREFIX}type`) === LOG_CHECKPOINT_TYPE;
}

/**
 * Decodes a checkpoint record: undefined when the record is not one (its `ce_type` is not
 * concord.log.checkpoint.v1: an event, to decode with `decodeKafkaRecord`), else the checkpoint
 * or why it does not satisfy its schema. Checks the form only: whether Concord signed it is
 * `verifyCheckpointSignature` of `@concord/verifier`, against Concord's keyring. Never throws.
 */
export function decodeLogCheckpointRecord(
  record: KafkaRecordIn,
): LogCheckpointRecordResult | undefined {
  try {
    if (!isLogCheckpointRecord(record)) return undefined;
    const refuse = (error: ValidationError): LogCheckpointRecordResult => ({
      ok: false,
      errors: [error],
    });
    const contentType = header(record, KAFKA_CONTENT_TYPE_HEADER);
    if ((contentType?.split(';')[0] ?? '').trim().toLowerCase() !== JSON_CONTENT_TYPE)
      return refuse({
        path: '/datacontenttype',
        code: 'unsupported-content-type',
        message: `A checkpoint record carries content-type: ${JSON_CONTENT_TYPE} (it is ${JSON.stringify(contentType ?? null)}).`,
      });
    const value = record.value;
    if (value === null || value === undefined)
      return refuse({ path: '/data', code: 'missing-data', message: 'The record has no value.' });
    const size = typeof value === 'string' ? Buffer.byteLength(value, 'utf8') : value.byteLength;
    if (size > MAX_CHECKPOINT_RECORD_BYTES)
      return refuse({
        path: '/data',
        code: 'too-large',
        message: `The record value is ${size} bytes; a checkpoint is at most ${MAX_CHECKPOINT_RECORD_BYTES}.`,
      });
    const parsed = parseJson(value, 'The record value');
    if (!parsed.ok) return refuse({ ...parsed.error, path: '/data' });
    const checked = validateLogCheckpoint(parsed.value);
    if (checked.ok) return checked;
    return {
      ok: false,
      errors: checked.errors.map((error) => ({ ...error, path: `/data${error.path}` })),
    };
  } catch (error) {
    return undecodableRecord(error);
  }
}
