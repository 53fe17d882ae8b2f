/** Where a command writes: the process's streams, or a test's. */
export interface CliIo {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  env: Readonly<Record<string, string | undefined>>;
  /** @default () => new Date() */
  clock?: () => Date;
  /** Stops a long-running command (`outcomes`). @default SIGINT or SIGTERM */
  signal?: AbortSignal;
}

/** Exit codes, documented in apps/cli/README.md. */
export const EXIT = {
  ok: 0,
  /** Some line was invalid, or Concord rejected some event. */
  rejected: 1,
  /** The command line, a file or a key cannot be used. */
  usage: 2,
  /** Events could not be delivered (network, refused token, broker). */
  delivery: 3,
  /** A bug in the CLI. */
  internal: 70,
} as const;

/** A problem with what the user asked for: printed as one line, exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export function processIo(): CliIo {
  return { stdout: process.stdout, stderr: process.stderr, env: process.env };
}
