import { dockerAvailable } from './docker.ts';
import { tcpAnswers } from './net.ts';

export type KurrentDbTarget =
  | { available: true; connectionString: string; source: 'KURRENTDB_URL' | 'testcontainers' }
  | { available: false; reason: string };

export interface ResolvedKurrentDb {
  target: KurrentDbTarget;
  stop?: () => Promise<void>;
}

/** First host:port of a `kurrentdb://` / `esdb://` connection string. */
function firstEndpoint(connectionString: string): { host: string; port: number } | undefined {
  const match = /^[a-z+]+:\/\/(?:[^@/]*@)?([^:/,?]+)(?::(\d+))?/i.exec(connectionString);
  if (!match?.[1]) return undefined;
  return { host: match[1], port: Number(match[2] ?? 2113) };
}

/**
 * Chooses the KurrentDB for this test run: `KURRENTDB_URL` if set; else a testcontainers server if
 * Docker answers; else unavailable (no KurrentDB server can be installed on machines without Docker).
 */
export async function resolveKurrentDb(env = process.env): Promise<ResolvedKurrentDb> {
  const fromEnv = env.KURRENTDB_URL;
  if (fromEnv) {
    const endpoint = firstEndpoint(fromEnv);
    if (endpoint && (await tcpAnswers(endpoint.host, endpoint.port, 3_000))) {
      return { target: { available: true, connectionString: fromEnv, source: 'KURRENTDB_URL' } };
    }
    return { target: { available: false, reason: `KURRENTDB_URL=${fromEnv} does not answer` } };
  }
  if (await dockerAvailable()) {
    const { GenericContainer, Wait } = await import('testcontainers');
    const container = await new GenericContainer('docker.kurrent.io/kurrent-latest/kurrentdb:25.1')
      // Concord events may be up to 1 MiB each; KurrentDB refuses appends over 1 MiB by default.
      .withEnvironment({
        KURRENTDB_INSECURE: 'true',
        KURRENTDB_RUN_PROJECTIONS: 'None',
        KURRENTDB_MAX_APPEND_SIZE: '16777216',
      })
      .withExposedPorts(2113)
      .withWaitStrategy(Wait.forHttp('/health/live', 2113).forStatusCode(204))
      .start();
    const connectionString = `kurrentdb://${container.getHost()}:${container.getMappedPort(2113)}?tls=false`;
    return {
      target: { available: true, connectionString, source: 'testcontainers' },
      stop: async () => {
        await container.stop();
      },
    };
  }
  return {
    target: {
      available: false,
      reason:
        'no KURRENTDB_URL and no Docker engine (a KurrentDB server cannot be installed on this machine)',
    },
  };
}
