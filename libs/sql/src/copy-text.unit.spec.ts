import { describe, expect, it } from 'vitest';
import { copyLine, dollarQuoted, quoteIdentifier, textArrayLiteral } from './copy-text.ts';

describe('the COPY text format', () => {
  it('separates values by tabs, ends the row with a newline and writes null as \\N', () => {
    expect(copyLine(['a', null, '', '42'])).toBe('a\t\\N\t\t42\n');
  });

  it('escapes the backslash, tab, newline and carriage return inside a value', () => {
    expect(copyLine(['C:\\dir', 'a\tb', 'line 1\nline 2\r\n'])).toBe(
      'C:\\\\dir\ta\\tb\tline 1\\nline 2\\r\\n\n',
    );
    // A JSON text keeps its own escapes, doubled for COPY: PostgreSQL reads the JSON back.
    expect(copyLine([JSON.stringify({ note: 'a "quoted"\nword' })])).toBe(
      '{"note":"a \\\\"quoted\\\\"\\\\nword"}\n',
    );
  });

  it('quotes every element of a text array and escapes its quotes and backslashes', () => {
    expect(textArrayLiteral([])).toBe('{}');
    expect(textArrayLiteral(['ev-1', 'say "hi"', 'a\\b', null])).toBe(
      '{"ev-1","say \\"hi\\"","a\\\\b",NULL}',
    );
  });

  it('quotes identifiers so that a name is never read as SQL', () => {
    expect(quoteIdentifier('rm_timeline')).toBe('"rm_timeline"');
    expect(quoteIdentifier('x"; drop table y; --')).toBe('"x""; drop table y; --"');
  });

  it('dollar-quotes text with a tag the text does not hold', () => {
    expect(dollarQuoted(`it's \\ "x"`)).toBe(`$q$it's \\ "x"$q$`);
    expect(dollarQuoted('a $q$ b')).toBe('$q0$a $q$ b$q0$');
    expect(dollarQuoted('$q$ $q0$ $q1$')).toBe('$q2$$q$ $q0$ $q1$$q2$');
    expect(dollarQuoted('')).toBe('$q$$q$');
  });
});
