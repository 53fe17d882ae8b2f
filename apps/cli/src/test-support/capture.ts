import { Writable } from 'node:stream';
import type { CliIo } from '../io.ts';

/** A Writable that keeps what is written, optionally claiming to be a terminal. */
export class Captured extends Writable {
  text = '';
  isTTY: boolean;
  columns = 120;
  constructor(isTTY = false) {
    super();
    this.isTTY = isTTY;
  }
  override _write(chunk: Buffer | string, _encoding: string, callback: () => void): void {
    this.text += chunk.toString();
    callback();
  }
}

export function captureIo(options: { ttyStderr?: boolean; env?: Record<string, string> } = {}) {
  const stdout = new Captured();
  const stderr = new Captured(options.ttyStderr ?? false);
  const io: CliIo = { stdout, stderr, env: options.env ?? {} };
  return { io, stdout, stderr };
}
