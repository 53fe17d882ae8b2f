import type { ValidationError } from './validation-error.ts';

/** The default per-event size limit: 1 MiB of UTF-8 JSON. */
export const DEFAULT_MAX_EVENT_BYTES = 1024 * 1024;

/** UTF-8 length of a string without allocating an encoded copy. */
export function utf8ByteLength(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit < 0x80) bytes += 1;
    else if (unit < 0x800) bytes += 2;
    else if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        bytes += 4;
        i++;
      } else bytes += 3;
    } else bytes += 3;
  }
  return bytes;
}

/** True when a string's UTF-8 form is longer than `limit`, counting no further than needed. */
export function exceedsUtf8Bytes(text: string, limit: number): boolean {
  // Every UTF-16 code unit is at least one UTF-8 byte and at most three.
  if (text.length > limit) return true;
  if (text.length * 3 <= limit) return false;
  return utf8ByteLength(text) > limit;
}

export function tooLarge(bytes: number, limit: number, what = 'The event'): ValidationError {
  return {
    path: '',
    code: 'too-large',
    message: `${what} is ${bytes} bytes, more than the limit of ${limit} bytes.`,
  };
}

/**
 * Checks the size of an already-parsed value by its JSON text. Returns an error when it is too
 * large or cannot be serialized as JSON (cycles, BigInt, nesting deeper than the stack).
 */
export function checkValueSize(value: unknown, limit: number): ValidationError | undefined {
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch {
    return {
      path: '',
      code: 'invalid',
      message: 'The event cannot be represented as JSON (a cycle, a BigInt or too deep nesting).',
    };
  }
  if (text !== undefined && exceedsUtf8Bytes(text, limit)) {
    return tooLarge(utf8ByteLength(text), limit);
  }
  return undefined;
}
