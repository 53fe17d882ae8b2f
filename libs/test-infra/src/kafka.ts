import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import { dockerAvailable } from './docker.ts';

const run = promisify(execFile);

export type KafkaTarget =
  | {
      available: true;
      brokers: string[];
      source: 'KAFKA_BROKERS' | 'testcontainers' | 'local broker';
    }
  | { available: false; reason: string };

export interface ResolvedKafka {
  target: KafkaTarget;
  stop?: () => Promise<void>;
}

/** The script that runs a single-node KRaft broker from Maven Central jars (see test/kafka/README.md). */
export const LOCAL_KAFKA_SCRIPT = fileURLToPath(
  new URL('../../../test/kafka/kafka.sh', import.meta.url),
);

/** Whether the brokers answer a metadata request (not just a TCP connect). */
export async function kafkaAnswers(brokers: string[], timeoutMs = 5_000): Promise<boolean> {
  const admin = new Kafka({
    brokers,
    clientId: 'concord-test-probe',
    connectionTimeout: timeoutMs,
    retry: { retries: 0 },
    logLevel: logLevel.NOTHING,
  }).admin();
  try {
    await admin.connect();
    await admin.describeCluster();
    return true;
  } catch {
    return false;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

async function hasCommand(command: string): Promise<boolean> {
  try {
    await run('sh', ['-c', `command -v ${command}`]);
    return true;
  } catch {
    return false;
  }
}

/**
 * Chooses the Kafka for this test run: `KAFKA_BROKERS` if set; else a testcontainers broker if a
 * Docker engine answers; else a local single-node KRaft broker from Maven Central run with the
 * machine's JDK; else unavailable, with the reason.
 */
export async function resolveKafka(env = process.env): Promise<ResolvedKafka> {
  if (env.KAFKA_BROKERS) {
    const brokers = env.KAFKA_BROKERS.split(',').map((b) => b.trim());
    if (await kafkaAnswers(brokers)) {
      return { target: { available: true, brokers, source: 'KAFKA_BROKERS' } };
    }
    return {
      target: { available: false, reason: `KAFKA_BROKERS=${env.KAFKA_BROKERS} does not answer` },
    };
  }
  if (env.CONCORD_KAFKA_UNAVAILABLE) {
    return { target: { available: false, reason: env.CONCORD_KAFKA_UNAVAILABLE } };
  }
  if (await dockerAvailable()) {
    const { KafkaContainer } = await import('@testcontainers/kafka');
    const container = await new KafkaContainer('confluentinc/cp-kafka:7.9.0').withKraft().start();
    const brokers = [`${container.getHost()}:${container.getMappedPort(9093)}`];
    return {
      target: { available: true, brokers, source: 'testcontainers' },
      stop: async () => {
        await container.stop();
      },
    };
  }
  const missing = [];
  for (const command of ['java', 'mvn']) if (!(await hasCommand(command))) missing.push(command);
  if (missing.length > 0) {
    return {
      target: {
        available: false,
        reason: `no KAFKA_BROKERS, no Docker engine, and no ${missing.join('/')} to run a local broker`,
      },
    };
  }
  try {
    const { stdout, stderr } = await run('bash', [LOCAL_KAFKA_SCRIPT, 'start'], {
      env,
      timeout: 10 * 60_000,
      maxBuffer: 16 * 1024 * 1024,
    });
    const brokers = /^KAFKA_BROKERS=(.+)$/m.exec(stdout)?.[1]?.split(',');
    if (!brokers) throw new Error(`kafka.sh printed no KAFKA_BROKERS line:\n${stdout}`);
    // A broker another run started (a parallel Nx task, `services up`) is theirs to stop.
    const startedHere = !/already running/.test(stderr);
    return {
      target: { available: true, brokers, source: 'local broker' },
      stop: startedHere
        ? async () => {
            await run('bash', [LOCAL_KAFKA_SCRIPT, 'stop'], { env });
          }
        : undefined,
    };
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    return {
      target: { available: false, reason: `the local Kafka broker did not start: ${detail}` },
    };
  }
}

/** A broker of one test's own, which it may stop and restart without disturbing other suites. */
export interface PrivateKafkaBroker {
  brokers: string[];
  /** Stops the broker (SIGTERM) and starts it again on the data it had. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Starts a single-node KRaft broker of the test's own on `port` (the controller on `port + 1`),
 * from the same cached jars as the run's broker. Resolves to undefined, with the reason, where the
 * machine cannot run one (no java or mvn); the caller skips, or fails under CI.
 */
export async function startPrivateKafkaBroker(
  port: number,
): Promise<PrivateKafkaBroker | { unavailable: string }> {
  const missing = [];
  for (const command of ['java', 'mvn']) if (!(await hasCommand(command))) missing.push(command);
  if (missing.length > 0) return { unavailable: `no ${missing.join('/')} to run a private broker` };
  const env = {
    ...process.env,
    KAFKA_PORT: String(port),
    KAFKA_CONTROLLER_PORT: String(port + 1),
  };
  const script = (command: 'start' | 'stop', extra: Record<string, string> = {}) =>
    run('bash', [LOCAL_KAFKA_SCRIPT, command], {
      env: { ...env, ...extra },
      timeout: 10 * 60_000,
      maxBuffer: 16 * 1024 * 1024,
    });
  await script('stop'); // a broker a killed run left behind on this port
  await script('start');
  return {
    brokers: [`127.0.0.1:${port}`],
    async restart() {
      await script('stop');
      await script('start', { KAFKA_KEEP_DATA: '1' });
    },
    async stop() {
      await script('stop');
    },
  };
}
