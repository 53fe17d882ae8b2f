// CloudEvents HTTP protocol binding, structured content mode (single events and batches). See the
// comment in kafka-binding.ts for why this is not the `cloudevents` SDK.
import { ContractViolationError } from './contract-violation-error.ts';
import type { ConcordEvent } from './events.ts';
import { DEFAULT_MAX_EVENT_BYTES, checkValueSize } from './size.ts';
import {
  checkRawSize,
  parseJson,
  validateEvent,
  validateParsedEvent,
  type EventValidationResult,
  type ValidationOptions,
} from './validate.ts';
import type { ValidationError } from './validation-error.ts';

export const CLOUDEVENTS_JSON = 'application/cloudevents+json';
export const CLOUDEVENTS_BATCH_JSON = 'application/cloudevents-batch+json';

export interface HttpBatchOptions extends ValidationOptions {
  /** Largest accepted batch body, in bytes. @default 10 MiB */
  readonly maxBatchBytes?: number;
  /** Most events in one batch. @default 1000 */
  readonly maxBatchEvents?: number;
}

export const DEFAULT_MAX_BATCH_BYTES = 10 * 1024 * 1024;
export const DEFAULT_MAX_BATCH_EVENTS = 1000;

export interface HttpBody {
  /** The Content-Type header value (parameters such as charset are allowed). */
  readonly contentType: string;
  readonly body: string;
}

export interface HttpBodyIn {
  readonly contentType: string | null | undefined;
  readonly body: string | Uint8Array;
}

/** Per event; the batch as a whole failed only when it could not be read at all. */
export type HttpBatchDecodeResult =
  | { readonly ok: true; readonly results: readonly EventValidationResult[] }
  | { readonly ok: false; readonly errors: readonly ValidationError[] };

function mediaType(contentType: string | null | undefined): string {
  return (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
}

function wrongContentType(
  contentType: string | null | undefined,
  expected: string,
): ValidationError {
  const got = mediaType(contentType);
  const hint =
    got === 'application/json'
      ? ' (HTTP binary mode with ce- headers is not accepted; send structured mode)'
      : got === CLOUDEVENTS_BATCH_JSON || got === CLOUDEVENTS_JSON
        ? ` (use the ${got === CLOUDEVENTS_JSON ? 'single-event' : 'batch'} endpoint or decodeHttp)`
        : '';
  return {
    path: '',
    code: 'unsupported-content-type',
    message: `The content type must be ${expected}, not ${contentType ? JSON.stringify(contentType) : 'missing'}${hint}.`,
  };
}

function checked(event: ConcordEvent, options: ValidationOptions): ConcordEvent {
  const result = validateEvent(event, options);
  if (!result.ok) throw new ContractViolationError(result.errors);
  return event;
}

/** Encodes one event in structured mode. Throws {@link ContractViolationError} if it is invalid. */
export function encodeHttpStructured(
  event: ConcordEvent,
  options: ValidationOptions = {},
): HttpBody {
  return {
    contentType: `${CLOUDEVENTS_JSON}; charset=utf-8`,
    body: JSON.stringify(checked(event, options)),
  };
}

/** Encodes a batch in structured mode. Throws {@link ContractViolationError} if one is invalid. */
export function encodeHttpBatch(
  events: readonly ConcordEvent[],
  options: ValidationOptions = {},
): HttpBody {
  return {
    contentType: `${CLOUDEVENTS_BATCH_JSON}; charset=utf-8`,
    body: JSON.stringify(events.map((event) => checked(event, options))),
  };
}

function failed(error: unknown): ValidationError {
  return {
    path: '',
    code: 'invalid',
    message: `The request could not be decoded: ${error instanceof Error ? error.message : String(error)}.`,
  };
}

/** Decodes and validates one structured-mode event. Never throws. */
export function decodeHttpStructured(
  input: HttpBodyIn,
  options: ValidationOptions = {},
): EventValidationResult {
  try {
    if (mediaType(input.contentType) !== CLOUDEVENTS_JSON) {
      return { ok: false, errors: [wrongContentType(input.contentType, CLOUDEVENTS_JSON)] };
    }
    const tooBig = checkRawSize(input.body, options.maxEventBytes ?? DEFAULT_MAX_EVENT_BYTES);
    if (tooBig) return { ok: false, errors: [tooBig] };
    const parsed = parseJson(input.body);
    if (!parsed.ok) return { ok: false, errors: [parsed.error] };
    return validateParsedEvent(parsed.value);
  } catch (error) {
    return { ok: false, errors: [failed(error)] };
  }
}

/** Decodes a structured-mode batch; each event is validated on its own. Never throws. */
export function decodeHttpBatch(
  input: HttpBodyIn,
  options: HttpBatchOptions = {},
): HttpBatchDecodeResult {
  try {
    if (mediaType(input.contentType) !== CLOUDEVENTS_BATCH_JSON) {
      return { ok: false, errors: [wrongContentType(input.contentType, CLOUDEVENTS_BATCH_JSON)] };
    }
    const tooBig = checkRawSize(
      input.body,
      options.maxBatchBytes ?? DEFAULT_MAX_BATCH_BYTES,
      'The batch',
    );
    if (tooBig) return { ok: false, errors: [tooBig] };
    const parsed = parseJson(input.body, 'The batch');
    if (!parsed.ok) return { ok: false, errors: [parsed.error] };
    if (!Array.isArray(parsed.value)) {
      return {
        ok: false,
        errors: [{ path: '', code: 'type', message: 'The batch must be a JSON array of events.' }],
      };
    }
    const maxEvents = options.maxBatchEvents ?? DEFAULT_MAX_BATCH_EVENTS;
    if (parsed.value.length > maxEvents) {
      return {
        ok: false,
        errors: [
          {
            path: '',
            code: 'too-many-items',
            message: `The batch has ${parsed.value.length} events, more than the limit of ${maxEvents}.`,
          },
        ],
      };
    }
    const limit = options.maxEventBytes ?? DEFAULT_MAX_EVENT_BYTES;
    const results = parsed.value.map((item: unknown): EventValidationResult => {
      const itemTooBig = checkValueSize(item, limit);
      return itemTooBig ? { ok: false, errors: [itemTooBig] } : validateParsedEvent(item);
    });
    return { ok: true, results };
  } catch (error) {
    return { ok: false, errors: [failed(error)] };
  }
}

/** Decodes a request body by its content type: one event or a batch. Never throws. */
export function decodeHttp(
  input: HttpBodyIn,
  options: HttpBatchOptions = {},
): HttpBatchDecodeResult {
  const type = mediaType(input.contentType);
  if (type === CLOUDEVENTS_BATCH_JSON) return decodeHttpBatch(input, options);
  if (type === CLOUDEVENTS_JSON)
    return { ok: true, results: [decodeHttpStructured(input, options)] };
  return {
    ok: false,
    errors: [
      wrongContentType(input.contentType, `${CLOUDEVENTS_JSON} or ${CLOUDEVENTS_BATCH_JSON}`),
    ],
  };
}
