import { createReadStream, type ReadStream } from 'node:fs';
import { createInterface } from 'node:readline';

export type NdjsonLine =
  | { line: number; ok: true; value: unknown }
  | { line: number; ok: false; message: string };

/**
 * The JSON values of an NDJSON file, one line at a time (never the whole file in memory), with
 * their 1-based line numbers. Blank lines are skipped; a line that is not JSON is reported, not
 * thrown. `bytesRead` tells how far the file has been read (for a progress bar).
 */
export function readNdjson(path: string): {
  lines: AsyncIterable<NdjsonLine>;
  bytesRead: () => number;
} {
  const stream: ReadStream = createReadStream(path);
  async function* lines(): AsyncGenerator<NdjsonLine> {
    const reader = createInterface({ input: stream, crlfDelay: Infinity });
    let line = 0;
    try {
      for await (const raw of reader) {
        line++;
        const text = line === 1 ? raw.replace(/^\uFEFF/, '') : raw;
        if (text.trim() === '') continue;
        try {
          yield { line, ok: true, value: JSON.parse(text) as unknown };
        } catch (error) {
          yield { line, ok: false, message: `not valid JSON (${(error as Error).message})` };
        }
      }
    } finally {
      reader.close();
      stream.destroy();
    }
  }
  return { lines: lines(), bytesRead: () => stream.bytesRead };
}
