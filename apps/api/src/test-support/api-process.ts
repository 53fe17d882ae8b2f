import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const MAIN = fileURLToPath(new URL('../main.ts', import.meta.url));

export interface ApiProcessOptions {
  databaseUrl: string;
  /** The platform key file (`CONCORD_PLATFORM_KEY_FILE`). */
  platformKeyFile: string;
  /** The development issuer's key file: the first process creates it, the others read it. */
  devIssuerKeyFile: string;
  /** Extra environment. */
  env?: Record<string, string>;
}

/** The API process (`src/main.ts`) as production runs it, on a free port: started, killed. */
export class ApiProcess {
  readonly #options: ApiProcessOptions;
  #child: ChildProcess | undefined;
  /** e.g. http://127.0.0.1:41234, once started. */
  url = '';

  constructor(options: ApiProcessOptions) {
    this.#options = options;
  }

  get running(): boolean {
    const child = this.#child;
    return child !== undefined && child.exitCode === null && child.signalCode === null;
  }

  /** Resolves once the process logged 'api ready' (migrations applied, listening). */
  async start(): Promise<void> {
    const { databaseUrl, platformKeyFile, devIssuerKeyFile, env } = this.#options;
    const child = spawn(process.execPath, ['--experimental-strip-types', '--no-warnings', MAIN], {
      env: {
        ...process.env,
        DATABASE_URL: databaseUrl,
        CONCORD_PLATFORM_KEY_FILE: platformKeyFile,
        CONCORD_DEV_ISSUER_KEY: devIssuerKeyFile,
        CONCORD_API_PORT: '0',
        LOG_LEVEL: 'info',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.#child = child;
    child.stderr!.on('data', (chunk: Buffer) => process.stderr.write(chunk));
    let pending = '';
    this.url = await new Promise<string>((resolve, reject) => {
      child.stdout!.on('data', (chunk: Buffer) => {
        pending += chunk.toString();
        const lines = pending.split('\n');
        pending = lines.pop() ?? '';
        for (const text of lines) {
          let line: { msg?: string; url?: string; level?: number };
          try {
            line = JSON.parse(text) as typeof line;
          } catch {
            continue;
          }
          if (line.msg === 'api ready' && line.url) resolve(line.url.replace(/\/graphql$/, ''));
          if ((line.level ?? 0) >= 50) process.stderr.write(`${text}\n`);
        }
      });
      child.once('exit', (code) =>
        reject(new Error(`the API exited with ${code} before it was ready`)),
      );
    });
  }

  /** The roles this process leads, from its /health. */
  async leading(): Promise<string[]> {
    const response = await fetch(`${this.url}/health`);
    return ((await response.json()) as { leading: string[] }).leading;
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
