import { defineProject } from 'vitest/config';

// Its own settings, not the workspace's service harness: the verifier needs no service.
export default defineProject({
  test: { name: 'verifier', include: ['src/**/*.spec.ts'] },
});
