import type { TestProject } from 'vitest/node';
import type {} from './provided-context.ts';
import { bringUpServices, targetsToEnv } from './services.ts';

/**
 * Vitest global set-up shared by every project. The first project to run it brings the services
 * up and exports their addresses to this process's environment, so the other projects of the same
 * run reuse them; its teardown stops only what it started.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const services = await bringUpServices({ required: process.env.CI === 'true' });
  Object.assign(process.env, targetsToEnv(services.targets));
  project.provide('concordServices', services.targets);
  return () => services.stop();
}
