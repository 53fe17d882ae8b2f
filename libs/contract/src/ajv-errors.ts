import type { ErrorObject } from 'ajv';
import {
  capitalize,
  describePath,
  jsonTypeOf,
  pointerToken,
  preview,
  type ValidationError,
} from './validation-error.ts';

const formatHints: Readonly<Record<string, string>> = {
  'date-time': 'an RFC 3339 date-time with an offset (e.g. 2026-03-14T09:30:00+01:00)',
  date: 'a calendar date YYYY-MM-DD (e.g. 2026-06-30)',
  uri: 'an absolute URI',
  'uri-reference': 'a URI reference',
};

function aside(description: string | undefined): string {
  return description ? ` (${description.replace(/\.$/, '')})` : '';
}

function list(values: readonly unknown[]): string {
  return values.map((v) => JSON.stringify(v)).join(', ');
}

function allowedProperties(parentSchema: unknown): string {
  const properties = (parentSchema as { properties?: Record<string, unknown> } | undefined)
    ?.properties;
  return properties ? Object.keys(properties).join(', ') : 'no other fields';
}

/** Converts one Ajv error; `undefined` for wrapper errors whose cause is reported separately. */
function convert(error: ErrorObject, prefix: string): ValidationError | undefined {
  const at = prefix + error.instancePath;
  const field = describePath(at);
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'required': {
      const path = `${at}/${pointerToken(String(params['missingProperty']))}`;
      return { path, code: 'required', message: `${capitalize(describePath(path))} is required.` };
    }
    case 'dependentRequired': {
      const path = `${at}/${pointerToken(String(params['missingProperty']))}`;
      return {
        path,
        code: 'required',
        message: `${capitalize(describePath(path))} is required when ${String(params['property'])} is present.`,
      };
    }
    case 'additionalProperties': {
      const path = `${at}/${pointerToken(String(params['additionalProperty']))}`;
      return {
        path,
        code: 'additional-property',
        message: `${capitalize(describePath(path))} is not allowed; ${at === '' ? 'the event' : at} accepts only: ${allowedProperties(error.parentSchema)}.`,
      };
    }
    case 'enum':
      return {
        path: at,
        code: 'enum',
        message: `${capitalize(field)} must be one of ${list(params['allowedValues'] as unknown[])}, not ${preview(error.data)}.`,
      };
    case 'const':
      return {
        path: at,
        code: 'const',
        message: `${capitalize(field)} must be ${JSON.stringify(params['allowedValue'])}, not ${preview(error.data)}.`,
      };
    case 'type': {
      const expected = String(params['type']);
      const article = /^[aeiou]/.test(expected) ? 'an' : 'a';
      return {
        path: at,
        code: 'type',
        message: `${capitalize(field)} must be ${article} ${expected}, not ${jsonTypeOf(error.data)}.`,
      };
    }
    case 'format': {
      const format = String(params['format']);
      return {
        path: at,
        code: 'format',
        message: `${capitalize(field)} must be ${formatHints[format] ?? `in the ${format} format`}, not ${preview(error.data)}.`,
      };
    }
    case 'pattern': {
      const description = (error.parentSchema as { description?: string } | undefined)?.description;
      return {
        path: at,
        code: 'pattern',
        message: `${capitalize(field)} must match ${String(params['pattern'])}${aside(description)}, not ${preview(error.data)}.`,
      };
    }
    case 'minLength':
      return {
        path: at,
        code: 'too-short',
        message: `${capitalize(field)} must be at least ${String(params['limit'])} characters long.`,
      };
    case 'maxLength':
      return {
        path: at,
        code: 'too-long',
        message: `${capitalize(field)} must be at most ${String(params['limit'])} characters long (it has ${typeof error.data === 'string' ? error.data.length : '?'}).`,
      };
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
      return {
        path: at,
        code: 'out-of-range',
        message: `${capitalize(field)} must be ${String(params['comparison'])} ${String(params['limit'])}, not ${preview(error.data)}.`,
      };
    case 'minItems':
      return {
        path: at,
        code: 'too-few-items',
        message: `${capitalize(field)} must have at least ${String(params['limit'])} item(s).`,
      };
    case 'maxItems':
      return {
        path: at,
        code: 'too-many-items',
        message: `${capitalize(field)} must have at most ${String(params['limit'])} items.`,
      };
    case 'uniqueItems':
      return {
        path: at,
        code: 'duplicate-items',
        message: `${capitalize(field)} must not repeat items (items ${String(params['j'])} and ${String(params['i'])} are equal).`,
      };
    case 'minProperties': {
      const description = (error.parentSchema as { description?: string } | undefined)?.description;
      return {
        path: at,
        code: 'too-few-properties',
        message: `${capitalize(field)} must have at least ${String(params['limit'])} fields${aside(description)}.`,
      };
    }
    // "must match the then/else schema": the failing keyword inside is reported on its own.
    case 'if':
      return undefined;
    default:
      return {
        path: at,
        code: 'invalid',
        message: `${capitalize(field)} is invalid: ${error.message ?? error.keyword}.`,
      };
  }
}

/** Ajv errors as contract errors, paths prefixed (e.g. `/data` for event data). */
export function fromAjvErrors(
  errors: readonly ErrorObject[] | null | undefined,
  prefix = '',
): ValidationError[] {
  const out: ValidationError[] = [];
  for (const error of errors ?? []) {
    const converted = convert(error, prefix);
    if (converted) out.push(converted);
  }
  return out;
}
