/** A JSON value, as events carry it. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** The reference tokens of an RFC 6901 JSON pointer (`/a/b~1c` → `a`, `b/c`). */
export function pointerSegments(pointer: string): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) throw new RangeError(`${pointer} is not a JSON pointer`);
  return pointer
    .slice(1)
    .split('/')
    .map((segment) => segment.replaceAll('~1', '/').replaceAll('~0', '~'));
}

/** The value a pointer names, or undefined when nothing is there. */
export function valueAt(document: Json | undefined, pointer: string): Json | undefined {
  let current: Json | undefined = document;
  for (const segment of pointerSegments(pointer)) {
    if (current === null || typeof current !== 'object') return undefined;
    current = Array.isArray(current)
      ? current[Number(segment)]
      : Object.hasOwn(current, segment)
        ? current[segment]
        : undefined;
  }
  return current;
}

/**
 * A copy of the document with the value at each pointer replaced (created where the parent
 * exists). The original is never touched: a correction is a new fact, the corrected record stays.
 */
export function withValues(
  document: Json,
  changes: readonly { path: string; newValue: unknown }[],
): Json {
  const copy = structuredClone(document);
  for (const { path, newValue } of changes) {
    // A stored correction is what it is: a path that is no pointer changes nothing.
    if (path !== '' && !path.startsWith('/')) continue;
    const segments = pointerSegments(path);
    const last = segments.pop();
    if (last === undefined) continue;
    let parent: Json | undefined = copy;
    for (const segment of segments) {
      if (parent === null || typeof parent !== 'object') break;
      parent = Array.isArray(parent) ? parent[Number(segment)] : parent[segment];
    }
    if (parent === null || typeof parent !== 'object' || parent === undefined) continue;
    if (Array.isArray(parent)) parent[Number(last)] = newValue as Json;
    else parent[last] = newValue as Json;
  }
  return copy;
}
