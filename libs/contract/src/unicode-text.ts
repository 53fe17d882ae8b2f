/**
 * Text holding half of a UTF-16 surrogate pair alone is not Unicode: it has no UTF-8 form, so no
 * canonical form to sign or hash and no jsonb to store it in. JSON lets a sender write one
 * (`"\ud800"`), and JavaScript strings hold it; every way in refuses it with this rule.
 */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Whether `text` is Unicode text (holds no lone surrogate). */
export function isUnicodeText(text: string): boolean {
  return !LONE_SURROGATE.test(text);
}

/**
 * Where the first key or string holding a lone surrogate is, as the keys and array indices
 * leading to it (a key is named by the object that holds it: its own text cannot go into a
 * message); `[]` when `value` itself is such a string; undefined when there is none.
 */
export function loneSurrogatePath(value: unknown): (string | number)[] | undefined {
  if (typeof value === 'string') return isUnicodeText(value) ? undefined : [];
  if (value === null || typeof value !== 'object') return undefined;
  // Walked in place, without a [key, value] pair per member: every event is checked on its way
  // in and out, and the pairs were a twentieth of what the ingest process allocated.
  if (Array.isArray(value)) {
    for (let index = 0; index < value.length; index++) {
      const found = loneSurrogatePath(value[index]);
      if (found !== undefined) return [index, ...found];
    }
    return undefined;
  }
  const members = value as Record<string, unknown>;
  for (const key of Object.keys(members)) {
    if (!isUnicodeText(key)) return [];
    const found = loneSurrogatePath(members[key]);
    if (found !== undefined) return [key, ...found];
  }
  return undefined;
}

/** The sentence refusing such text, after what holds it (`The field /data/x`, `Variable "$x"`). */
export function notUnicodeText(what: string): string {
  return `${what} holds a lone UTF-16 surrogate (a \\uD800-\\uDFFF escape without its other half): it is not Unicode text.`;
}
