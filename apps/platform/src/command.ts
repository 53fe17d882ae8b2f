// The platform's command line (`npm start` loads it through main.ts). See --help.
import { Command, Option } from 'commander';
import { pino } from 'pino';
import { tracingFromEnv } from '@concord/telemetry';
import { startPlatform } from './platform.ts';
import { printBanner } from './banner.ts';

const program = new Command('concord-platform')
  .description(
    'Run Concord in one process: event store, projector, GraphQL API (GraphiQL), HTTP ingest and a live demo feed',
  )
  .option('--data <dir>', 'where the embedded database and development keys live', '.data')
  .option('--port <port>', 'HTTP port (0: any free port)', '4000')
  .option('--host <host>', 'interface to listen on', '127.0.0.1')
  .option('--database-url <url>', 'use this PostgreSQL instead of the embedded PGlite')
  .option('--store <url>', 'use a KurrentDB event store (kurrentdb://host:2113?tls=false)')
  .option('--kafka <brokers>', 'also ingest from and publish to Kafka (host:port,...)')
  .option('--no-demo', 'do not run the demo feed')
  .addOption(
    new Option('--demo-pace <pace>', 'how fast the demo feed plays')
      .choices(['demo', 'fast'])
      .default('demo'),
  )
  .option(
    '--dev-sign-in',
    'mount the development sign-in (anyone reaching the port signs in as any demo person); the embedded demo only, where it is on by default',
  )
  .option('--no-dev-sign-in', 'do not mount the development sign-in')
  .addOption(
    new Option(
      '--checkpoint-interval <seconds>',
      'how often the whole log is checkpointed (signed) when it grew; with --kafka each checkpoint goes to every partner',
    )
      .default('60')
      .env('CONCORD_CHECKPOINT_INTERVAL_SECONDS'),
  )
  .addOption(new Option('--log-level <level>', 'log level').default('info').env('LOG_LEVEL'))
  .parse();

const options = program.opts<{
  data: string;
  port: string;
  host: string;
  databaseUrl?: string;
  store?: string;
  kafka?: string;
  demo: boolean;
  demoPace: 'demo' | 'fast';
  devSignIn?: boolean;
  checkpointInterval: string;
  logLevel: string;
}>();
const checkpointSeconds = Number(options.checkpointInterval);
if (!(Number.isFinite(checkpointSeconds) && checkpointSeconds > 0))
  program.error('--checkpoint-interval must be a positive number of seconds');

const logger = pino({ name: 'concord', level: options.logLevel });
const started = Date.now();
// Traces go to an OpenTelemetry collector when OTEL_EXPORTER_OTLP_ENDPOINT names one; off otherwise.
const stopTracing = tracingFromEnv('concord-platform');
const platform = await startPlatform({
  dataDir: options.data,
  port: Number(options.port),
  host: options.host,
  ...(options.databaseUrl ? { databaseUrl: options.databaseUrl } : {}),
  ...(options.store ? { storeUrl: options.store } : {}),
  ...(options.kafka ? { kafkaBrokers: options.kafka.split(',') } : {}),
  demo: options.demo ? { pace: options.demoPace } : false,
  ...(options.devSignIn === undefined ? {} : { devSignIn: options.devSignIn }),
  checkpointIntervalMs: checkpointSeconds * 1_000,
  logger,
}).catch((error: unknown) => {
  logger.fatal(error instanceof Error ? error.message : String(error));
  process.exit(2);
});
await printBanner(platform, {
  startedMs: Date.now() - started,
  personas: platform.personas,
  out: process.stdout,
});

let stopping = false;
const shutdown = async () => {
  if (stopping) return;
  stopping = true;
  await platform.close().catch((error: unknown) => logger.error({ err: error }, 'stop failed'));
  await stopTracing().catch(() => undefined);
  process.exit(0);
};
process.once('SIGINT', () => void shutdown());
process.once('SIGTERM', () => void shutdown());
