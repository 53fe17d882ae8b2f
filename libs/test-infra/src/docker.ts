import { existsSync } from 'node:fs';

let dockerAnswer: Promise<boolean> | undefined;

/**
 * Whether a Docker engine answers, so testcontainers can start containers. Checked once per
 * process; a machine with only the Docker client (as on the project's machines) answers false fast.
 */
export function dockerAvailable(): Promise<boolean> {
  dockerAnswer ??= (async () => {
    if (!process.env.DOCKER_HOST && !existsSync('/var/run/docker.sock')) return false;
    try {
      const { getContainerRuntimeClient } = await import('testcontainers');
      await getContainerRuntimeClient();
      return true;
    } catch {
      return false;
    }
  })();
  return dockerAnswer;
}
