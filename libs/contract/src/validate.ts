import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsPlugin from 'ajv-formats';
import { fromAjvErrors } from './ajv-errors.ts';
import type { ConcordEvent } from './events.ts';
import {
  dataSchemaIdByType,
  envelopeSchemaId,
  eventTypes,
  logCheckpointSchemaId,
  rejectionSchemaId,
  schemaDocuments,
  type EventType,
} from './generated/catalogue.ts';
import type { EventDataByType, LogCheckpointV1 } from './generated/schema-types.ts';
import type { Rejection } from './rejection.ts';
import {
  checkValueSize,
  DEFAULT_MAX_EVENT_BYTES,
  exceedsUtf8Bytes,
  tooLarge,
  utf8ByteLength,
} from './size.ts';
import { isUnicodeText, loneSurrogatePath, notUnicodeText } from './unicode-text.ts';
import {
  capitalize,
  describePath,
  jsonTypeOf,
  pointerToken,
  type ValidationError,
} from './validation-error.ts';

// ajv-formats is CommonJS: Node's ESM default import is `module.exports`, TypeScript's is the
// module object; the plugin is also `module.exports.default`, which both agree on.
const addFormats = addFormatsPlugin.default;

export interface ValidationOptions {
  /** Largest accepted event, in bytes of UTF-8 JSON. @default 1 MiB */
  readonly maxEventBytes?: number;
}

export type EventValidationResult =
  | { readonly ok: true; readonly event: ConcordEvent }
  | {
      readonly ok: false;
      readonly errors: readonly ValidationError[];
      /** What the invalid event says it is, where readable: its rejection names it. */
      readonly claimed?: ClaimedIdentity;
    };

/** The `id`, `source` and `type` an event claims, kept only when they are strings. */
export interface ClaimedIdentity {
  readonly id?: string;
  readonly source?: string;
  readonly type?: string;
}

/** The identity attributes of a would-be event, for answering it even when it is invalid. */
export function claimedIdentity(input: unknown): ClaimedIdentity | undefined {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return undefined;
  const claimed: { id?: string; source?: string; type?: string } = {};
  // Bounded as the rejection schema bounds them: an absurd claim is not repeated back.
  const limits = { id: 256, source: 1024, type: 256 } as const;
  for (const name of ['id', 'source', 'type'] as const) {
    const value = (input as Record<string, unknown>)[name];
    // Nor one that is not Unicode text: the rejection repeating it could not be signed.
    if (
      typeof value === 'string' &&
      value.length > 0 &&
      value.length <= limits[name] &&
      isUnicodeText(value)
    )
      claimed[name] = value;
  }
  return Object.keys(claimed).length > 0 ? claimed : undefined;
}

export type DataValidationResult<T extends EventType> =
  | { readonly ok: true; readonly data: EventDataByType[T] }
  | { readonly ok: false; readonly errors: readonly ValidationError[] };

interface CompiledSchemas {
  readonly envelope: ValidateFunction;
  readonly rejection: ValidateFunction;
  readonly logCheckpoint: ValidateFunction;
  readonly data: ReadonlyMap<string, ValidateFunction>;
}

let catalogue: Ajv2020 | undefined;
let compiled: CompiledSchemas | undefined;

/**
 * Every published schema, added but not compiled: Ajv compiles a schema the first time it is
 * asked for (and keeps it), so a process compiles the types it meets, not the whole catalogue at
 * start (a third of a second of the embedded platform's start went to compiling all of it).
 */
function schemaCatalogue(): Ajv2020 {
  if (catalogue) return catalogue;
  // allErrors: partners get every problem at once; the size limit bounds the work.
  // strict: a typo in a schema keyword fails loudly instead of being ignored. strictRequired is
  // off because `then: { required: [...] }` (conditional requirements) is standard JSON Schema.
  const ajv = new Ajv2020({ allErrors: true, verbose: true, strict: true, strictRequired: false });
  addFormats(ajv, ['date-time', 'date', 'uri', 'uri-reference']);
  for (const schema of Object.values(schemaDocuments)) ajv.addSchema(schema);
  catalogue = ajv;
  return ajv;
}

/** The validator of one published schema, compiled on first use. */
function validatorOf(id: string): ValidateFunction {
  const validate = schemaCatalogue().getSchema(id);
  if (!validate) throw new Error(`Schema ${id} is missing from the catalogue`);
  return validate;
}

/**
 * Compiles every published schema, once per process (later calls return the same functions, the
 * ones validation uses). Throws only when the published schemas themselves are broken, which a
 * unit test rules out.
 */
export function compiledSchemas(): CompiledSchemas {
  compiled ??= {
    envelope: validatorOf(envelopeSchemaId),
    rejection: validatorOf(rejectionSchemaId),
    logCheckpoint: validatorOf(logCheckpointSchemaId),
    data: new Map(eventTypes.map((type) => [type, validatorOf(dataSchemaIdByType[type])])),
  };
  return compiled;
}

const knownTypes: ReadonlySet<string> = new Set(eventTypes);

export function isEventType(value: unknown): value is EventType {
  return typeof value === 'string' && knownTypes.has(value);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function unexpected(error: unknown): ValidationError {
  return {
    path: '',
    code: 'invalid',
    message: `The event could not be validated: ${error instanceof Error ? error.message : String(error)}.`,
  };
}

/** Validates the data of one event type (paths start at the data, e.g. `/plannedQuantity`). */
export function validateEventData<T extends EventType>(
  type: T,
  data: unknown,
): DataValidationResult<T> {
  try {
    const validate = isEventType(type) ? validatorOf(dataSchemaIdByType[type]) : undefined;
    if (!validate) {
      return {
        ok: false,
        errors: [
          { path: '', code: 'unknown-type', message: `Unknown event type ${String(type)}.` },
        ],
      };
    }
    if (validate(data)) return { ok: true, data: data as EventDataByType[T] };
    return { ok: false, errors: fromAjvErrors(validate.errors) };
  } catch (error) {
    return { ok: false, errors: [unexpected(error)] };
  }
}

/**
 * Envelope, type and data checks without the size check, for callers that measured the raw bytes
 * already (the bindings). Never throws.
 */
export function validateParsedEvent(input: unknown): EventValidationResult {
  let result: EventValidationResult;
  try {
    result = validateParsed(input);
  } catch (error) {
    result = { ok: false, errors: [unexpected(error)] };
  }
  return withClaimedIdentity(result, input);
}

function withClaimedIdentity(result: EventValidationResult, input: unknown) {
  if (result.ok) return result;
  const claimed = claimedIdentity(input);
  return claimed ? { ...result, claimed } : result;
}

function validateParsed(input: unknown): EventValidationResult {
  if (!isPlainObject(input)) {
    return {
      ok: false,
      errors: [
        {
          path: '',
          code: 'type',
          message: `The event must be a JSON object, not ${jsonTypeOf(input)}.`,
        },
      ],
    };
  }
  const lone = loneSurrogatePath(input);
  if (lone !== undefined) {
    const path = lone.map((key) => `/${pointerToken(String(key))}`).join('');
    return {
      ok: false,
      errors: [
        { path, code: 'lone-surrogate', message: notUnicodeText(capitalize(describePath(path))) },
      ],
    };
  }
  const envelope = validatorOf(envelopeSchemaId);
  let errors: ValidationError[] = envelope(input) ? [] : fromAjvErrors(envelope.errors);
  const type = input['type'];
  if (typeof type === 'string' && !isEventType(type)) {
    errors = errors.filter((e) => e.path !== '/type');
    errors.push({
      path: '/type',
      code: 'unknown-type',
      message: `The field /type names an unknown event type ${JSON.stringify(type.slice(0, 200))}; known types are concord.<aggregate>.<event>.v<N> as listed in schemas/README.md.`,
    });
  }
  if (isEventType(type)) {
    const dataschema = input['dataschema'];
    if (typeof dataschema === 'string' && dataschema !== dataSchemaIdByType[type]) {
      errors.push({
        path: '/dataschema',
        code: 'dataschema-mismatch',
        message: `The field /dataschema must be ${dataSchemaIdByType[type]} for type ${type}.`,
      });
    }
    const data = input['data'];
    if (isPlainObject(data)) {
      const validate = validatorOf(dataSchemaIdByType[type]);
      if (!validate(data)) errors.push(...fromAjvErrors(validate.errors, '/data'));
    }
  }
  return errors.length === 0 ? { ok: true, event: input as ConcordEvent } : { ok: false, errors };
}

/**
 * Validates a parsed event in structured-mode form (attributes plus `data`) against the envelope
 * and the schema of its type. Never throws.
 */
export function validateEvent(
  input: unknown,
  options: ValidationOptions = {},
): EventValidationResult {
  let result: EventValidationResult;
  try {
    const tooBig = checkValueSize(input, options.maxEventBytes ?? DEFAULT_MAX_EVENT_BYTES);
    result = tooBig ? { ok: false, errors: [tooBig] } : validateParsed(input);
  } catch (error) {
    result = { ok: false, errors: [unexpected(error)] };
  }
  return withClaimedIdentity(result, input);
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Decodes UTF-8 (rejecting malformed bytes) and parses JSON. */
export function parseJson(
  input: string | Uint8Array,
  what = 'The event',
): { ok: true; value: unknown } | { ok: false; error: ValidationError } {
  let text: string;
  try {
    text = typeof input === 'string' ? input : utf8.decode(input);
  } catch {
    return {
      ok: false,
      error: { path: '', code: 'undecodable', message: `${what} is not valid UTF-8.` },
    };
  }
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (error) {
    return {
      ok: false,
      error: {
        path: '',
        code: 'undecodable',
        message: `${what} is not valid JSON (${error instanceof Error ? error.message : 'parse error'}).`,
      },
    };
  }
}

/** Checks the size of raw JSON before anything else looks at it. */
export function checkRawSize(
  input: string | Uint8Array,
  limit: number,
  what = 'The event',
): ValidationError | undefined {
  if (typeof input === 'string') {
    return exceedsUtf8Bytes(input, limit)
      ? tooLarge(utf8ByteLength(input), limit, what)
      : undefined;
  }
  return input.byteLength > limit ? tooLarge(input.byteLength, limit, what) : undefined;
}

/** Size check, UTF-8 and JSON decoding, then {@link validateEvent}. Never throws. */
export function parseEvent(
  input: string | Uint8Array,
  options: ValidationOptions = {},
): EventValidationResult {
  try {
    const tooBig = checkRawSize(input, options.maxEventBytes ?? DEFAULT_MAX_EVENT_BYTES);
    if (tooBig) return { ok: false, errors: [tooBig] };
    const parsed = parseJson(input);
    if (!parsed.ok) return { ok: false, errors: [parsed.error] };
    return validateParsed(parsed.value);
  } catch (error) {
    return { ok: false, errors: [unexpected(error)] };
  }
}

/** Validates a rejection record against the newest rejection schema. Never throws. */
export function validateRejection(
  input: unknown,
): { ok: true; rejection: Rejection } | { ok: false; errors: readonly ValidationError[] } {
  try {
    const validate = validatorOf(rejectionSchemaId);
    if (validate(input)) return { ok: true, rejection: input as Rejection };
    return { ok: false, errors: fromAjvErrors(validate.errors) };
  } catch (error) {
    return { ok: false, errors: [unexpected(error)] };
  }
}

/**
 * Validates a checkpoint of the log against its schema (its form only: whether Concord signed it
 * is `verifyCheckpointSignature` of `@concord/verifier`). Never throws.
 */
export function validateLogCheckpoint(
  input: unknown,
): { ok: true; checkpoint: LogCheckpointV1 } | { ok: false; errors: readonly ValidationError[] } {
  try {
    const validate = validatorOf(logCheckpointSchemaId);
    if (validate(input)) return { ok: true, checkpoint: input as LogCheckpointV1 };
    return { ok: false, errors: fromAjvErrors(validate.errors) };
  } catch (error) {
    return { ok: false, errors: [unexpected(error)] };
  }
}
