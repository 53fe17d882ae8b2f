import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// The dashboard builds into dist/, which the API server serves at / (its `webRoot` option).
// In development `vite` proxies the API (run `pnpm --filter @concord/web run dev:api` beside it).
const api = process.env.CONCORD_API_URL ?? 'http://127.0.0.1:4000';

export default defineConfig({
  plugins: [react()],
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: true, chunkSizeWarningLimit: 900 },
  server: {
    port: 5173,
    proxy: {
      '/graphql': { target: api, ws: true },
      '/dev': { target: api },
      '/audit': { target: api },
      '/log/': { target: api },
    },
  },
});
