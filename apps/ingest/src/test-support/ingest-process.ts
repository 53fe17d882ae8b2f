import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generatePlatformKey } from '@concord/evidence';

const MAIN = fileURLToPath(new URL('../main.ts', import.meta.url));

export interface IngestProcessOptions {
  databaseUrl: string;
  brokers: string[];
  topicPrefix: string;
  groupId: string;
  /** Extra environment (CONCORD_TOPIC_REFRESH_MS, …). */
  env?: Record<string, string>;
  /** Every line the process logs, parsed (pino JSON). */
  onLog?: (line: Record<string, unknown>) => void;
  /** @default one key file shared by every process of the test file: one platform, one key */
  platformKeyFile?: string;
}

/** A platform key file, as an operator provides one to the process (CONCORD_PLATFORM_KEY_FILE). */
export function writePlatformKeyFile(): string {
  const file = join(mkdtempSync(join(tmpdir(), 'concord-ingest-key-')), 'key.json');
  writeFileSync(file, JSON.stringify(generatePlatformKey(new Date().toISOString())), {
    mode: 0o600,
  });
  return file;
}

let sharedPlatformKeyFile: string | undefined;

/** The ingest process (`src/main.ts`) as production runs it: started, killed, started again. */
export class IngestProcess {
  readonly #options: IngestProcessOptions;
  #child: ChildProcess | undefined;
  /** How many times the process was started. */
  starts = 0;
  /** The platform key file every start of this process signs with, as an operator provides it. */
  readonly platformKeyFile: string;

  constructor(options: IngestProcessOptions) {
    this.#options = options;
    // Instances of one platform share its key: one whose key is not in the keyring could not
    // take the checkpoints of the log over from the others.
    this.platformKeyFile =
      options.platformKeyFile ?? (sharedPlatformKeyFile ??= writePlatformKeyFile());
  }

  get running(): boolean {
    const child = this.#child;
    return child !== undefined && child.exitCode === null && child.signalCode === null;
  }

  get exitCode(): number | null | undefined {
    return this.#child?.exitCode;
  }

  /** Resolves once the process logged 'ingest ready'. */
  async start(): Promise<void> {
    const { databaseUrl, brokers, topicPrefix, groupId, env, onLog } = this.#options;
    const child = spawn(process.execPath, ['--experimental-strip-types', '--no-warnings', MAIN], {
      env: {
        ...process.env,
        DATABASE_URL: databaseUrl,
        KAFKA_BROKERS: brokers.join(','),
        CONCORD_TOPIC_PREFIX: topicPrefix,
        CONCORD_INGEST_GROUP: groupId,
        CONCORD_KAFKA_SESSION_TIMEOUT_MS: '6000',
        CONCORD_PLATFORM_KEY_FILE: this.platformKeyFile,
        // Several instances run side by side: each its own free port for /health, /ready, /metrics.
        CONCORD_INGEST_HTTP_PORT: '0',
        LOG_LEVEL: 'info',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.#child = child;
    this.starts++;
    // For a failure to explain itself: every line the process writes, kafkajs's included.
    const logs = process.env.CONCORD_TEST_LOGS;
    if (logs) {
      const file = createWriteStream(join(logs, `ingest-${child.pid}.log`));
      child.stdout!.on('data', (chunk: Buffer) => file.write(chunk));
      child.stderr!.on('data', (chunk: Buffer) => file.write(chunk));
      child.once('exit', () => file.end());
    }
    // kafkajs logs every refused connection while a broker restarts: only the rest is shown.
    child.stderr!.on('data', (chunk: Buffer) => {
      for (const text of chunk.toString().split('\n'))
        if (text.trim() !== '' && !text.includes('"logger":"kafkajs"'))
          process.stderr.write(`${text}\n`);
    });
    let pending = '';
    await new Promise<void>((resolve, reject) => {
      child.stdout!.on('data', (chunk: Buffer) => {
        pending += chunk.toString();
        const lines = pending.split('\n');
        pending = lines.pop() ?? '';
        for (const text of lines) {
          let line: Record<string, unknown>;
          try {
            line = JSON.parse(text) as Record<string, unknown>;
          } catch {
            continue;
          }
          if (line.msg === 'ingest ready') resolve();
          if (typeof line.level === 'number' && line.level >= 50) process.stderr.write(`${text}\n`);
          onLog?.(line);
        }
      });
      child.once('exit', (code) =>
        reject(new Error(`ingest exited with ${code} before it was ready`)),
      );
    });
  }

  /** Ends the process with `signal` and resolves when it has exited. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const child = this.#child;
    if (!child || !this.running) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill(signal);
    await exited;
  }
}
