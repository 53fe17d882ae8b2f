import { defineConfig } from 'vitest/config';

// The whole suite in one run (npm test): every project, one service harness, one summary line.
export default defineConfig({
  test: {
    projects: ['libs/*/vitest.config.ts', 'apps/*/vitest.config.ts', 'deploy/vitest.config.ts'],
    reporters: ['default', './test/summary-reporter.ts'],
  },
});
