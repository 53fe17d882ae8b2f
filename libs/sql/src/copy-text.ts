/**
 * PostgreSQL's COPY text format: one line per row, values separated by tabs, `\N` for null, and
 * a backslash, tab, newline or carriage return inside a value escaped with a backslash. Each
 * value is already its column's text form (what the type's input function reads).
 */
export function copyLine(values: readonly (string | null)[]): string {
  let line = '';
  for (let i = 0; i < values.length; i++) {
    const value = values[i];
    if (i > 0) line += '\t';
    line += value === null || value === undefined ? '\\N' : escapeCopyValue(value);
  }
  return `${line}\n`;
}

const COPY_SPECIAL = /[\\\t\n\r]/;
const COPY_ESCAPES: Record<string, string> = {
  '\\': '\\\\',
  '\t': '\\t',
  '\n': '\\n',
  '\r': '\\r',
};

function escapeCopyValue(value: string): string {
  // Most values hold none of the four: test once rather than replace always.
  return COPY_SPECIAL.test(value) ? value.replace(/[\\\t\n\r]/g, (c) => COPY_ESCAPES[c]!) : value;
}

/** A text array's literal (`{"a","b"}`), each element quoted, a null element as NULL. */
export function textArrayLiteral(values: readonly (string | null)[]): string {
  const elements = values.map((value) =>
    value === null ? 'NULL' : `"${value.replace(/["\\]/g, (c) => `\\${c}`)}"`,
  );
  return `{${elements.join(',')}}`;
}

/**
 * Any text as a dollar-quoted string constant (`$q$…$q$`), read by PostgreSQL exactly as written:
 * nothing inside is an escape, whatever the server's settings. The tag is one the text does not
 * hold, so no text can end the constant early. For large texts (a projector chunk's rows as
 * JSON): `pg.escapeLiteral` builds its copy one character at a time, this looks the text over
 * natively and copies it once.
 */
export function dollarQuoted(text: string): string {
  let tag = 'q';
  for (let n = 0; text.includes(`$${tag}$`); n++) tag = `q${n}`;
  return `$${tag}$${text}$${tag}$`;
}

/** An identifier as PostgreSQL reads it quoted: any name is taken literally, never as SQL. */
export function quoteIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** `copy <table> (<columns>) from <source>`, every name quoted. */
export function copyStatement(table: string, columns: readonly string[], source: string): string {
  return `copy ${quoteIdentifier(table)} (${columns.map(quoteIdentifier).join(', ')}) from ${source}`;
}

/** The rows as COPY text, in pieces of about 64 KiB (a stream's worth, not one huge string). */
export function* copyChunks(rows: Iterable<readonly (string | null)[]>): Generator<string> {
  let chunk = '';
  for (const row of rows) {
    chunk += copyLine(row);
    if (chunk.length >= 65_536) {
      yield chunk;
      chunk = '';
    }
  }
  if (chunk.length > 0) yield chunk;
}
