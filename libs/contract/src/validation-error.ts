/** Why a value does not satisfy the contract. Stable strings: ingest maps them to rejection codes. */
export type ValidationErrorCode =
  | 'required'
  | 'additional-property'
  | 'enum'
  | 'const'
  | 'type'
  | 'format'
  | 'pattern'
  | 'too-short'
  | 'too-long'
  | 'out-of-range'
  | 'too-few-items'
  | 'too-many-items'
  | 'duplicate-items'
  | 'too-few-properties'
  | 'too-large'
  | 'too-many-headers'
  | 'unknown-type'
  | 'dataschema-mismatch'
  | 'undecodable'
  | 'unsupported-content-type'
  | 'missing-data'
  | 'key-mismatch'
  /** Text holding half of a UTF-16 surrogate pair: only a JSON `\uD800`-`\uDFFF` escape makes one. */
  | 'lone-surrogate'
  | 'invalid';

export interface ValidationError {
  /** JSON Pointer into the event in structured-mode form, e.g. `/data/plannedQuantity/value`. */
  readonly path: string;
  readonly code: ValidationErrorCode;
  /** A sentence naming the field and what was expected. */
  readonly message: string;
}

/** Escapes one JSON Pointer reference token (RFC 6901). */
export function pointerToken(token: string): string {
  return token.replace(/~/g, '~0').replace(/\//g, '~1');
}

/** How a path is named in messages: the pointer, or "the event" for the root. */
export function describePath(path: string): string {
  return path === '' ? 'the event' : `the field ${path}`;
}

export function capitalize(sentence: string): string {
  return sentence.charAt(0).toUpperCase() + sentence.slice(1);
}

/** A short, printable rendering of an offending value (huge values are truncated). */
export function preview(value: unknown): string {
  let text: string;
  if (value === undefined) text = 'undefined';
  else if (typeof value === 'string')
    text = JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}…` : value);
  else if (value === null || typeof value !== 'object') text = String(value);
  else text = Array.isArray(value) ? `an array of ${value.length}` : 'an object';
  return text;
}

export function jsonTypeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  switch (typeof value) {
    case 'object':
      return 'an object';
    case 'string':
      return 'a string';
    case 'number':
      return Number.isInteger(value) ? 'an integer' : 'a number';
    case 'boolean':
      return 'a boolean';
    default:
      return `a ${typeof value} (not JSON)`;
  }
}
