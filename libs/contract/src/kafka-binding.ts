// CloudEvents Kafka protocol binding, binary content mode, written here rather than taken from the
// `cloudevents` SDK (10.0.0, checked): its CloudEvent constructor invents a missing `id` (uuid v4)
// and `time` (now), which would hide the missing-attribute errors partners need, and its
// serialization rewrites `time` to UTC, dropping the partner's offset and so changing the signed
// content. It also carries its own Ajv/ajv-formats 2 and browser polyfills. The mapping itself is
// small and fully tested here.
import type { ConcordEvent } from './events.ts';
import { ContractViolationError } from './contract-violation-error.ts';
import { DEFAULT_MAX_EVENT_BYTES, tooLarge } from './size.ts';
import {
  claimedIdentity,
  parseJson,
  validateEvent,
  validateParsedEvent,
  type EventValidationResult,
  type ValidationOptions,
} from './validate.ts';
import type { ValidationError } from './validation-error.ts';

/** Attribute headers are `ce_<attribute>`; `datacontenttype` travels as `content-type`. */
export const KAFKA_HEADER_PREFIX = 'ce_';
export const KAFKA_CONTENT_TYPE_HEADER = 'content-type';
export const JSON_CONTENT_TYPE = 'application/json';

type HeaderValue = Uint8Array | string;

/**
 * A binary-mode event needs a dozen headers (CloudEvents attributes, content type); tracing adds a
 * few. More is not a Concord event, and refusing it before reading any header keeps a hostile
 * record cheap to answer.
 */
export const MAX_KAFKA_HEADERS = 64;
/** A record key is the subject: an id, never kilobytes. */
export const MAX_KAFKA_KEY_BYTES = 1024;

/** A Kafka record as a client delivers it (kafkajs `KafkaMessage` fits). */
export interface KafkaRecordIn {
  readonly key?: HeaderValue | null;
  readonly value: HeaderValue | null;
  readonly headers?: Readonly<Record<string, HeaderValue | readonly HeaderValue[] | undefined>>;
}

/** A Kafka record ready to produce (kafkajs `Message` fits). */
export interface KafkaRecordOut {
  readonly key: Buffer;
  readonly value: Buffer;
  readonly headers: Record<string, Buffer>;
}

/**
 * Encodes an event for Kafka in binary mode: attributes as `ce_` headers, data as the JSON
 * record value, the subject as the record key (one aggregate's events stay in one partition, in
 * order). Takes any candidate (a stored event's envelope, a test's hand-made record) and checks it
 * against the contract first: throws {@link ContractViolationError} if it breaks the contract, so
 * a data-less record (a tombstone on a compacted topic) can never be produced.
 */
export function encodeKafkaRecord(
  candidate: ConcordEvent | Readonly<Record<string, unknown>>,
  options: ValidationOptions = {},
): KafkaRecordOut {
  const checked = validateEvent(candidate, options);
  if (!checked.ok) throw new ContractViolationError(checked.errors);
  const { event } = checked;
  const headers: Record<string, Buffer> = {
    [KAFKA_CONTENT_TYPE_HEADER]: Buffer.from(JSON_CONTENT_TYPE),
  };
  for (const [name, value] of Object.entries(event)) {
    if (name === 'data' || name === 'datacontenttype' || value === undefined) continue;
    headers[KAFKA_HEADER_PREFIX + name] = Buffer.from(String(value), 'utf8');
  }
  return {
    key: Buffer.from(event.subject, 'utf8'),
    value: Buffer.from(JSON.stringify(event.data), 'utf8'),
    headers,
  };
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function headerText(value: HeaderValue): string | undefined {
  if (typeof value === 'string') return value;
  try {
    return utf8.decode(value);
  } catch {
    return undefined;
  }
}

function byteLength(value: HeaderValue | null | undefined): number {
  if (value === null || value === undefined) return 0;
  return typeof value === 'string' ? Buffer.byteLength(value, 'utf8') : value.byteLength;
}

function mediaType(contentType: string): string {
  return (contentType.split(';')[0] ?? '').trim().toLowerCase();
}

/**
 * Decodes a binary-mode Kafka record into an event and validates it. Never throws. Decoded
 * events always carry `datacontenttype: 'application/json'` (from the `content-type` header).
 */
export function decodeKafkaRecord(
  record: KafkaRecordIn,
  options: ValidationOptions = {},
): EventValidationResult {
  try {
    const limit = options.maxEventBytes ?? DEFAULT_MAX_EVENT_BYTES;
    if (record.value === null || record.value === undefined) {
      return {
        ok: false,
        errors: [
          {
            path: '/data',
            code: 'missing-data',
            message:
              'The record has no value: Concord events always carry data (a value-less record is a tombstone).',
          },
        ],
      };
    }
    const headers = record.headers ?? {};
    const claimed = claimedFromHeaders(headers);
    const refuse = (error: ValidationError): EventValidationResult => ({
      ok: false,
      errors: [error],
      ...(claimed ? { claimed } : {}),
    });
    let headerCount = 0;
    for (const value of Object.values(headers))
      headerCount += Array.isArray(value) ? value.length : 1;
    if (headerCount > MAX_KAFKA_HEADERS) {
      return refuse({
        path: '',
        code: 'too-many-headers',
        message: `The record carries ${headerCount} headers; a Concord event carries at most ${MAX_KAFKA_HEADERS}.`,
      });
    }
    const keyBytes = byteLength(record.key);
    if (keyBytes > MAX_KAFKA_KEY_BYTES) {
      return refuse({
        path: '/subject',
        code: 'too-large',
        message: `The record key is ${keyBytes} bytes; a key (the subject) is at most ${MAX_KAFKA_KEY_BYTES} bytes.`,
      });
    }
    let size = byteLength(record.value) + keyBytes;
    for (const [name, value] of Object.entries(headers)) {
      size += name.length;
      for (const item of Array.isArray(value) ? value : [value])
        size += byteLength(item as HeaderValue | undefined);
    }
    if (size > limit) return refuse(tooLarge(size, limit, 'The record'));

    const errors: ValidationError[] = [];
    const attributes: Record<string, unknown> = {};
    let contentType: string | undefined;
    for (const [rawName, rawValue] of Object.entries(headers)) {
      const name = rawName.toLowerCase();
      const isAttribute = name.startsWith(KAFKA_HEADER_PREFIX);
      if (!isAttribute && name !== KAFKA_CONTENT_TYPE_HEADER) continue;
      if (rawValue === undefined) continue;
      const attribute = isAttribute ? name.slice(KAFKA_HEADER_PREFIX.length) : 'datacontenttype';
      if (Array.isArray(rawValue)) {
        errors.push({
          path: `/${attribute}`,
          code: 'invalid',
          message: `The header ${rawName} appears more than once; each attribute must appear once.`,
        });
        continue;
      }
      const text = headerText(rawValue as HeaderValue);
      if (text === undefined) {
        errors.push({
          path: `/${attribute}`,
          code: 'undecodable',
          message: `The header ${rawName} is not valid UTF-8.`,
        });
        continue;
      }
      if (attribute === 'data' || attribute === 'data_base64') {
        errors.push({
          path: `/${attribute}`,
          code: 'additional-property',
          message: `The header ${rawName} is not allowed: data travels as the record value.`,
        });
        continue;
      }
      if (isAttribute) attributes[attribute] = text;
      else contentType = text;
    }
    if (contentType === undefined) {
      errors.push({
        path: '/datacontenttype',
        code: 'unsupported-content-type',
        message: `The content-type header is missing; binary-mode Concord records carry content-type: ${JSON_CONTENT_TYPE}.`,
      });
    } else if (mediaType(contentType) !== JSON_CONTENT_TYPE) {
      errors.push({
        path: '/datacontenttype',
        code: 'unsupported-content-type',
        message: `The content-type header is ${JSON.stringify(contentType)}; Concord Kafka records use binary mode with content-type: ${JSON_CONTENT_TYPE}${mediaType(contentType) === 'application/cloudevents+json' ? ' (structured mode is for HTTP)' : ''}.`,
      });
    }
    if (errors.length > 0) return { ok: false, errors, ...(claimed ? { claimed } : {}) };

    const data = parseJson(record.value, 'The record value');
    if (!data.ok) return refuse({ ...data.error, path: '/data' });
    const result = validateParsedEvent({
      ...attributes,
      datacontenttype: JSON_CONTENT_TYPE,
      data: data.value,
    });

    const key =
      record.key === null || record.key === undefined ? undefined : headerText(record.key);
    const subject = attributes['subject'];
    if (typeof subject === 'string' && key !== subject) {
      const keyError: ValidationError = {
        path: '/subject',
        code: 'key-mismatch',
        message: `The record key must equal the subject ${JSON.stringify(subject)} (it is ${key === undefined ? 'missing or not UTF-8' : JSON.stringify(key.slice(0, 200))}), so one aggregate's events stay in one partition.`,
      };
      return {
        ok: false,
        errors: [...(result.ok ? [] : result.errors), keyError],
        ...(claimed ? { claimed } : {}),
      };
    }
    return result;
  } catch (error) {
    return undecodableRecord(error);
  }
}

/** The `ce_id`, `ce_source` and `ce_type` headers, when present once and readable. */
function claimedFromHeaders(headers: NonNullable<KafkaRecordIn['headers']>) {
  const attribute = (name: string) => {
    const value = headers[`${KAFKA_HEADER_PREFIX}${name}`];
    return value === undefined || Array.isArray(value)
      ? undefined
      : headerText(value as HeaderValue);
  };
  return claimedIdentity({
    id: attribute('id'),
    source: attribute('source'),
    type: attribute('type'),
  });
}

/** The answer for a record that could not be read at all: one error, saying why. */
export function undecodableRecord(error: unknown): { ok: false; errors: ValidationError[] } {
  return {
    ok: false,
    errors: [
      {
        path: '',
        code: 'invalid',
        message: `The record could not be decoded: ${error instanceof Error ? error.message : String(error)}.`,
      },
    ],
  };
}
