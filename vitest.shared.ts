import { fileURLToPath } from 'node:url';
import { defineProject, type UserWorkspaceConfig } from 'vitest/config';

const globalSetup = fileURLToPath(new URL('./test/global-setup.ts', import.meta.url));

/**
 * The vitest settings every project shares: the service harness as global set-up and generous
 * timeouts for integration tiers (readiness is awaited with wait-for helpers, never sleeps).
 */
export function concordProject(name: string, overrides: UserWorkspaceConfig['test'] = {}) {
  return defineProject({
    test: {
      name,
      include: ['src/**/*.spec.ts', 'test/**/*.spec.ts'],
      globalSetup: [globalSetup],
      testTimeout: 60_000,
      hookTimeout: 120_000,
      ...overrides,
    },
  });
}
