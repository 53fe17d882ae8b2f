import { createRequire } from 'node:module';
import { mergeConfig } from 'vitest/config';
import { concordProject } from '../../vitest.shared.ts';

// graphql 16 has no "exports": Node (and so Pothos and graphql-yoga, loaded by Node) gets its
// CommonJS build through "main", while Vite would hand our sources the "module" (ESM) build.
// Two copies make the schema's types come "from another module or realm"; use Node's choice.
const graphqlAsNodeLoadsIt = createRequire(import.meta.url).resolve('graphql');

// Unit specs of the dashboard's helpers, and the browser tests (*.e2e.spec.ts) that drive the
// machine's Chromium against a real server serving the built dashboard.
export default mergeConfig(concordProject('web', { include: ['src/**/*.spec.ts'] }), {
  resolve: { alias: [{ find: /^graphql$/, replacement: graphqlAsNodeLoadsIt }] },
});
