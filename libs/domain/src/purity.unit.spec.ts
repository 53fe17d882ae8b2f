import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// The eslint boundary rule keeps I/O libraries out of the domain; this keeps out what it cannot
// see: reading the clock, randomness, the process environment.
const forbidden = [
  /Date\.now\(/,
  /new Date\(\s*\)/,
  /Math\.random\(/,
  /performance\.now\(/,
  /crypto\./,
  /process\./,
  /from 'node:/,
];

function sources(directory: string): string[] {
  return readdirSync(directory, { withFileTypes: true }).flatMap((entry) => {
    const path = join(directory, entry.name);
    if (entry.isDirectory()) return entry.name === 'test-support' ? [] : sources(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts') ? [path] : [];
  });
}

describe('the domain is pure', () => {
  const files = sources(fileURLToPath(new URL('.', import.meta.url)));

  it('has sources to check', () => {
    expect(files.length).toBeGreaterThan(20);
  });

  it('reads no clock, draws no random number, touches no process or file', () => {
    const offences = files.flatMap((file) =>
      readFileSync(file, 'utf8')
        .split('\n')
        .flatMap((line, index) =>
          forbidden.some((pattern) => pattern.test(line))
            ? [`${file}:${index + 1}: ${line.trim()}`]
            : [],
        ),
    );
    expect(offences).toEqual([]);
  });
});
