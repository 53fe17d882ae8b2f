import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startApiServer, type ApiServer } from '@concord/api';
import {
  Authenticator,
  DEV_AUDIENCE,
  DEV_ISSUER,
  DevIssuer,
  type ApiKeyRecord,
  type DevTokenClaims,
} from '@concord/auth';
import type { EventStore } from '@concord/event-store';
import {
  demoApiKeyRecords,
  demoPersonas,
  loadOrCreateDemoKeys,
  seedDemoWorld,
  startDemoFeed,
  type DemoFeed,
} from '@concord/demo';
import { PostgresEventStore } from '@concord/event-store-postgres';
import {
  CheckpointLog,
  openEmbeddedPlatformKey,
  receiptSigner,
  signingAsPlatform,
} from '@concord/evidence';
import { sqlOutcomeLog, sqlQuarantineResolutions } from '@concord/ingest';
import {
  DEFAULT_CHECKPOINT_INTERVAL_MS,
  QuarantineDesk,
  startIngestService,
  startLogCheckpoints,
  type IngestService,
  type LogCheckpoints,
} from '@concord/ingest-app';
import { readModelPrisma, type ReadModelPrisma } from '@concord/read-model';
import {
  logLeadership,
  pgDatabase,
  pgliteDatabase,
  sqlLeaderElections,
  type SqlDatabase,
} from '@concord/sql';
import type { Logger } from 'pino';
import type { Persona } from './banner.ts';

/** Where `vite build` puts the dashboard (apps/web). */
const BUILT_DASHBOARD = fileURLToPath(new URL('../../web/dist/', import.meta.url));

export interface PlatformOptions {
  /** Where the embedded database and the development keys live. @default '.data' */
  dataDir?: string;
  /** A PostgreSQL server instead of the embedded PGlite (event store and read model). */
  databaseUrl?: string;
  /** A KurrentDB event store (`kurrentdb://…`); the read model stays in SQL. */
  storeUrl?: string;
  /** Also take partner events from Kafka and publish outcomes there (`host:port,…`). */
  kafkaBrokers?: string[];
  /**
   * The topics' prefix (`<prefix>.in.<org>`, `<prefix>.out.<org>`, …) and the ingest consumer
   * group's (`<prefix>-ingest`): platforms sharing a broker keep apart by it. @default 'concord'
   */
  topicPrefix?: string;
  /** @default 4000 (0: any free port) */
  port?: number;
  /** @default '127.0.0.1' */
  host?: string;
  /** API keys of partner systems for HTTP ingest (the demo feed brings its own). */
  apiKeys?: ApiKeyRecord[];
  /**
   * Seed the demo world and run the live demo feed through HTTP ingest. `pace: 'fast'` is for
   * tests. @default { pace: 'demo' }; false: no demo
   */
  demo?: false | { pace?: 'demo' | 'fast' };
  /** Serve the dashboard from this folder at /. @default apps/web/dist when it is built */
  webRoot?: string | false;
  /**
   * Mount the development sign-in (`/dev/personas`, `/dev/token`, `/dev/step-up`): anyone who
   * reaches the port can then sign in as any demo person. Only for the embedded demo (the demo
   * on, PGlite, no KurrentDB); asking for it otherwise is refused.
   * @default true for the embedded demo, false otherwise
   */
  devSignIn?: boolean;
  /**
   * How often the whole log is checkpointed (signed with the platform key) when it grew; each
   * checkpoint is kept for GraphQL and HTTP and, with Kafka, published to every partner.
   * @default 60000
   */
  checkpointIntervalMs?: number;
  /**
   * The deadline process's clock and round (due-soon and overdue warnings of deviations).
   * @default the real clock, every 30 s
   */
  deadlines?: { clock?: () => Date; intervalMs?: number };
  logger: Logger;
}

/** Why `devSignIn` cannot be had with these options, if it cannot. */
export function devSignInRefusal(options: PlatformOptions): string | undefined {
  if (options.demo === false)
    return 'the development sign-in is only for the demo (not with --no-demo)';
  if (options.databaseUrl)
    return 'the development sign-in is only for the embedded demo (not with --database-url)';
  if (options.storeUrl)
    return 'the development sign-in is only for the embedded demo (not with --store)';
  return undefined;
}

export interface Platform {
  url: string;
  /** Where the dashboard is served (undefined when it is not built). */
  dashboardUrl: string | undefined;
  graphqlUrl: string;
  ingestUrl: string;
  store: EventStore;
  db: SqlDatabase;
  prisma: ReadModelPrisma;
  server: ApiServer;
  issuer: DevIssuer;
  /** Whether the development sign-in routes are mounted. */
  devSignIn: boolean;
  /** The signed checkpoints of the log (kept in `db`) and their periodic signing. */
  checkpoints: { log: CheckpointLog } & LogCheckpoints;
  /** The demo feed, when it runs. */
  demoFeed: DemoFeed | undefined;
  /** Who to sign in as: the demo organizations' people (empty without the demo). */
  personas: Persona[];
  /** Mints a development token (the embedded platform's stand-in identity provider). */
  mintToken(claims: DevTokenClaims): Promise<string>;
  /** What backs the platform, for the banner. */
  describe(): { database: string; store: string; kafka: string };
  close(): Promise<void>;
}

/**
 * Starts the whole platform in one process: by default everything embedded (PGlite persisted
 * under the data folder, migrations applied on start), else the real services named in the
 * options. The development issuer signs the demo tokens; its key is kept in the data folder.
 */
export async function startPlatform(options: PlatformOptions): Promise<Platform> {
  const refusal = devSignInRefusal(options);
  if (options.devSignIn && refusal) throw new Error(refusal);
  const devSignIn = options.devSignIn ?? refusal === undefined;
  const dataDir = resolve(options.dataDir ?? '.data');
  await mkdir(dataDir, { recursive: true });
  const { logger } = options;

  const db: SqlDatabase = options.databaseUrl
    ? pgDatabase({ connectionString: options.databaseUrl })
    : await pgliteDatabase({ dataDir: join(dataDir, 'pglite') });
  const prisma = options.databaseUrl
    ? readModelPrisma({ connectionString: options.databaseUrl })
    : readModelPrisma({ pglite: (db as Awaited<ReturnType<typeof pgliteDatabase>>).pglite });
  // Everything this process records is signed with the platform's key, kept in the data folder
  // (generated there on first start); its public keys are what the audit checks against.
  const signing = await openEmbeddedPlatformKey(dataDir);
  const store: EventStore = signingAsPlatform(
    options.storeUrl
      ? await openKurrentDbStore(options.storeUrl, db)
      : await PostgresEventStore.open(db),
    signing.key,
  );

  const demo = options.demo === false ? undefined : (options.demo ?? {});
  const demoKeys = demo ? await loadOrCreateDemoKeys(join(dataDir, 'demo-keys.json')) : undefined;
  if (demoKeys) await seedDemoWorld(store, { keys: demoKeys });

  const issuer = await DevIssuer.open(join(dataDir, 'dev-issuer.json'));
  const authenticator = new Authenticator({
    issuer: DEV_ISSUER,
    audience: DEV_AUDIENCE,
    keys: issuer.jwks(),
    apiKeys: [...(options.apiKeys ?? []), ...(demoKeys ? demoApiKeyRecords(demoKeys) : [])],
  });
  const webRoot =
    options.webRoot === false
      ? undefined
      : (options.webRoot ??
        (existsSync(join(BUILT_DASHBOARD, 'index.html')) ? BUILT_DASHBOARD : undefined));
  // On a PostgreSQL server, other Concord processes may share the database: one of them at a time
  // runs the projector, the process manager and the outbound publisher.
  const elector = sqlLeaderElections(db, { onEvent: logLeadership(logger) });
  const server = await startApiServer({
    store,
    db,
    prisma,
    authenticator,
    logger,
    elector,
    platformKeyring: signing.keyring,
    platformKey: signing.key,
    port: options.port ?? 4000,
    host: options.host ?? '127.0.0.1',
    // The embedded demo is a development set-up: its issuer hands out demo tokens to anyone.
    ...(devSignIn ? { devIssuer: issuer } : {}),
    ...(webRoot ? { webRoot } : {}),
    ...(options.deadlines ? { deadlines: options.deadlines } : {}),
    // With Kafka, the operators' desk reaches ingest's quarantine too.
    ...(options.kafkaBrokers?.length
      ? {
          quarantine: new QuarantineDesk({
            brokers: options.kafkaBrokers,
            topicPrefix: options.topicPrefix ?? 'concord',
            resolutions: await sqlQuarantineResolutions(db),
          }),
        }
      : {}),
  });

  let ingest: IngestService | undefined;
  if (options.kafkaBrokers?.length) {
    ingest = await startIngestService({
      store,
      outcomes: await sqlOutcomeLog(db),
      receipts: receiptSigner(signing.key),
      brokers: options.kafkaBrokers,
      ...(options.topicPrefix
        ? { topicPrefix: options.topicPrefix, groupId: `${options.topicPrefix}-ingest` }
        : {}),
      logger,
      elector,
    });
  }
  // The one signer of checkpoints in this process (the ingest service is not given one): always,
  // for GraphQL and HTTP to serve; with Kafka, each also goes to every partner's outbound topic.
  const checkpointLog = await CheckpointLog.open(db);
  const checkpointing = startLogCheckpoints({
    store,
    log: checkpointLog,
    key: signing.key,
    keyring: signing.keyring,
    intervalMs: options.checkpointIntervalMs ?? DEFAULT_CHECKPOINT_INTERVAL_MS,
    logger,
    ...(ingest ? { publish: ingest.publishCheckpoint } : {}),
  });

  const demoFeed =
    demo && demoKeys
      ? startDemoFeed({
          ingestUrl: `${server.url}/ingest`,
          keys: demoKeys,
          pace: demo.pace ?? 'demo',
          stateFile: join(dataDir, 'demo-feed.json'),
          logger: logger.child({ component: 'demo-feed' }),
        })
      : undefined;
  const personas: Persona[] = demo
    ? demoPersonas().map(({ organizationName, primary }) => ({
        organizationId: primary.organizationId,
        organizationName,
        personId: primary.personId,
        printedName: primary.printedName,
        roles: primary.roles,
      }))
    : [];

  return {
    url: server.url,
    dashboardUrl: webRoot ? `${server.url}/` : undefined,
    graphqlUrl: `${server.url}/graphql`,
    ingestUrl: `${server.url}/ingest`,
    store,
    db,
    prisma,
    server,
    issuer,
    devSignIn,
    checkpoints: { log: checkpointLog, ...checkpointing },
    demoFeed,
    personas,
    mintToken: (claims) => issuer.mint(claims),
    describe: () => ({
      database: options.databaseUrl
        ? `PostgreSQL ${redact(options.databaseUrl)}`
        : `PGlite (embedded) in ${join(dataDir, 'pglite')}`,
      store: options.storeUrl ? `KurrentDB ${redact(options.storeUrl)}` : 'the same database',
      kafka: options.kafkaBrokers?.length
        ? `Kafka ${options.kafkaBrokers.join(',')}`
        : 'off (HTTP ingest only)',
    }),
    async close() {
      await demoFeed?.stop();
      await checkpointing.stop();
      await ingest?.stop();
      await server.close();
      await prisma.$disconnect();
      await store.close();
      // The PostgreSQL store closes its database; a KurrentDB store leaves the read model's.
      if (options.storeUrl) await db.close();
    },
  };
}

/** A connection string without its password, for printing. */
function redact(url: string): string {
  return url.replace(/\/\/([^:/@]+):[^@]*@/, '//$1:***@');
}

/**
 * The KurrentDB adapter, loaded only when asked for: its gRPC client is about 150 ms of the
 * embedded platform's start, which never uses it.
 */
async function openKurrentDbStore(connectionString: string, checkpoints: SqlDatabase) {
  const { KurrentDbEventStore } = await import('@concord/event-store-kurrentdb');
  return KurrentDbEventStore.open({ connectionString, checkpoints });
}
