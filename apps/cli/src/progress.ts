import { MultiBar, Presets, type SingleBar } from 'cli-progress';

export interface ProgressPayload {
  lines: number;
  problems: number;
}

/** A progress bar on a terminal; plain lines otherwise. Messages never tear the bar. */
export interface Progress {
  update(bytes: number, payload: ProgressPayload): void;
  /** Prints a message line above the bar (or just prints it). */
  log(message: string): void;
  stop(): void;
}

export function createProgress(
  stream: NodeJS.WritableStream & { isTTY?: boolean },
  totalBytes: number,
  enabled: boolean,
): Progress {
  if (!enabled) {
    return {
      update: () => undefined,
      log: (message) => void stream.write(`${message}\n`),
      stop: () => undefined,
    };
  }
  const bars = new MultiBar(
    {
      stream,
      format:
        'publishing |{bar}| {percentage}% | {lines} lines | {problems} problems | ETA {eta_formatted}',
      hideCursor: true,
      barsize: 30,
      etaBuffer: 50,
    },
    Presets.shades_classic,
  );
  const bar: SingleBar = bars.create(totalBytes, 0, { lines: 0, problems: 0 });
  return {
    update: (bytes, payload) => bar.update(Math.min(bytes, totalBytes), payload),
    log: (message) => bars.log(`${message}\n`),
    stop: () => {
      bar.update(totalBytes);
      bars.stop();
    },
  };
}
