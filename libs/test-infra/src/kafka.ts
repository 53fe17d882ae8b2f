import { randomBytes } from 'node:crypto';
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

/** A KRaft cluster of the test's own: every node broker and controller, topics replicated 3 times. */
export interface PrivateKafkaCluster {
  /** Every node's bootstrap address. */
  brokers: string[];
  /** SIGKILLs node `index` (0-based): a broker and a controller lost at once. */
  kill(index: number): Promise<void>;
  /**
   * The index (0-based) of the node coordinating consumer group `groupId` now: the leader of the
   * group's `__consumer_offsets` partition (the group must have joined once).
   */
  groupCoordinator(groupId: string): Promise<number>;
  stop(): Promise<void>;
}

/** Java's `String.hashCode`, as Kafka places a group on a `__consumer_offsets` partition. */
function javaHashCode(text: string): number {
  let hash = 0;
  for (let i = 0; i < text.length; i++) hash = (Math.imul(31, hash) + text.charCodeAt(i)) | 0;
  return hash;
}

/**
 * Starts a cluster of `size` nodes of the test's own on `basePort`, `basePort + 2`, … (each
 * node's controller one port above its broker), from the same cached jars as the run's broker:
 * one cluster id, a quorum of all nodes, replication factor 3 (2 below three nodes) and a minimum
 * of 2 in-sync replicas, so the cluster keeps taking writes with acks=all after losing one node.
 * Resolves to the reason where the machine cannot run one (no java or mvn).
 */
export async function startPrivateKafkaCluster(
  basePort: number,
  size = 3,
): Promise<PrivateKafkaCluster | { unavailable: string }> {
  const missing = [];
  for (const command of ['java', 'mvn']) if (!(await hasCommand(command))) missing.push(command);
  if (missing.length > 0)
    return { unavailable: `no ${missing.join('/')} to run a private cluster` };
  const nodes = Array.from({ length: size }, (_, index) => ({
    id: index + 1,
    port: basePort + 2 * index,
  }));
  const voters = nodes.map(({ id, port }) => `${id}@127.0.0.1:${port + 1}`).join(',');
  const clusterId = randomBytes(16).toString('base64url').replace(/^-/, 'A');
  const script = (node: (typeof nodes)[number], command: 'start' | 'stop' | 'kill') =>
    run('bash', [LOCAL_KAFKA_SCRIPT, command], {
      env: {
        ...process.env,
        KAFKA_PORT: String(node.port),
        KAFKA_CONTROLLER_PORT: String(node.port + 1),
        KAFKA_NODE_ID: String(node.id),
        KAFKA_QUORUM_VOTERS: voters,
        KAFKA_CLUSTER_ID: clusterId,
        KAFKA_REPLICATION: String(Math.min(3, size)),
        // Three JVMs on a 2-core machine beside the platform: small heaps.
        KAFKA_HEAP_OPTS: '-Xms64m -Xmx256m',
      },
      timeout: 10 * 60_000,
      maxBuffer: 16 * 1024 * 1024,
    });
  // Nodes a killed run left behind on these ports; then all at once (each waits for the quorum).
  await Promise.all(nodes.map((node) => script(node, 'stop')));
  await Promise.all(nodes.map((node) => script(node, 'start')));
  const brokers = nodes.map(({ port }) => `127.0.0.1:${port}`);
  return {
    brokers,
    async kill(index) {
      await script(nodes[index]!, 'kill');
    },
    async groupCoordinator(groupId) {
      const admin = new Kafka({ brokers, logLevel: logLevel.NOTHING }).admin();
      await admin.connect();
      try {
        const { topics } = await admin.fetchTopicMetadata({ topics: ['__consumer_offsets'] });
        const partitions = topics[0]!.partitions;
        // Kafka's Utils.abs: the smallest int has no positive counterpart and maps to 0.
        const hash = javaHashCode(groupId);
        const at = (hash === -2147483648 ? 0 : Math.abs(hash)) % partitions.length;
        const leader = partitions.find((partition) => partition.partitionId === at)!.leader;
        return nodes.findIndex((node) => node.id === leader);
      } finally {
        await admin.disconnect();
      }
    },
    async stop() {
      await Promise.all(nodes.map((node) => script(node, 'stop')));
    },
  };
}
