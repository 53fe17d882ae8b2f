// Development back end for `vite` (which proxies /graphql and /dev to it): the web world's API
// server on port 4000 with its demo exchange, and pair A's live batch moving every 15 s.
// Run: node --experimental-strip-types apps/web/scripts/dev-api.ts [--web-root apps/web/dist]
import { pino } from 'pino';
import { openWebWorld } from '../src/test-support/web-world.ts';

const rootFlag = process.argv.indexOf('--web-root');
const webRoot = rootFlag > 0 ? process.argv[rootFlag + 1] : undefined;
const logger = pino({ level: process.env.LOG_LEVEL ?? 'info' });
const world = await openWebWorld({
  port: Number(process.env.PORT ?? 4000),
  logger,
  ...(webRoot ? { webRoot } : {}),
});
logger.info({ url: world.url }, 'development API with demo data ready');
const timer = setInterval(() => {
  void world
    .advanceLiveBatch()
    .then((step) => (step ? logger.info({ step }, 'live batch advanced') : clearInterval(timer)));
}, 15_000);
const stop = async () => {
  clearInterval(timer);
  await world.close();
  process.exit(0);
};
process.once('SIGINT', () => void stop());
process.once('SIGTERM', () => void stop());
