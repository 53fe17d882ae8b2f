import { Authenticator, DEV_AUDIENCE, DEV_ISSUER, DevIssuer } from '@concord/auth';
import type { EventStore } from '@concord/event-store';
import { PostgresEventStore } from '@concord/event-store-postgres';
import {
  CheckpointLog,
  generatePlatformKey,
  publicHalf,
  signingAsPlatform,
} from '@concord/evidence';
import {
  CDMO,
  OTHER_CDMO,
  OTHER_SPONSOR,
  PAIR_A,
  PAIR_B,
  partnerExchange,
  personIn,
  SPONSOR,
  type PartnerExchange,
} from '@concord/ingest/test-support';
import { sqlOutcomeLog, type OutcomeLog } from '@concord/ingest';
import {
  migrateReadModel,
  Projector,
  readModelPrisma,
  type ReadModelPrisma,
  type ReadModelPrismaOptions,
} from '@concord/read-model';
import { pgDatabase, pgliteDatabase, type SqlDatabase } from '@concord/sql';
import { createApi, type Api } from '../server.ts';

export const NOW = '2026-05-01T12:00:00.000Z';
/** Pair A (helvion-tx ↔ northbridge-bio) */
export const A1 = `${CDMO}:b-nb-hlv201-26-0301`;
export const A2 = `${CDMO}:b-nb-hlv201-26-0302`;
export const DEV_A = `${CDMO}:dev-nb-26-0301`;
/** Pair B (aurora-bio ↔ caldera-biologics) */
export const B1 = `${OTHER_CDMO}:b-cal-aur310-26-0301`;
export const DEV_B = `${OTHER_CDMO}:dev-cal-26-0301`;

export { CDMO, OTHER_CDMO, OTHER_SPONSOR, SPONSOR };

export interface ApiWorld {
  db: SqlDatabase;
  store: EventStore;
  prisma: ReadModelPrisma;
  exchange: PartnerExchange;
  projector: Projector;
  issuer: DevIssuer;
  authenticator: Authenticator;
  api: Api;
  /** The checkpoints the platform signed and stored (empty until a test signs one). */
  checkpoints: CheckpointLog;
  /** The outcome log the API reads receipts from (the world's own exchange keeps its answers in memory). */
  outcomes: OutcomeLog;
  /** A bearer token for the first person holding `role` at `organizationId`. */
  token(organizationId: string, role?: string): Promise<string>;
  /** A step-up token for that person (the re-entered credential of an e-signature). */
  stepUp(organizationId: string, role: string): Promise<string>;
  /** POSTs a GraphQL operation in-process; `token` null sends no Authorization header. */
  graphql(
    token: string | null,
    query: string,
    variables?: Record<string, unknown>,
  ): Promise<{
    status: number;
    body: { data?: unknown; errors?: { message: string; extensions?: Record<string, unknown> }[] };
  }>;
  /** Opens a subscription over server-sent events in-process; messages accumulate as they arrive. */
  subscribe<Message>(token: string | null, query: string): Promise<SseStream<Message>>;
  close(): Promise<void>;
}

/** A subscription over server-sent events: its messages so far, in order. */
export interface SseStream<Message> {
  messages: (Message & { errors?: { message: string }[] })[];
  ended(): boolean;
  close(): void;
}

/** The world's platform key, valid from before anything it records. */
export const PLATFORM_KEY = generatePlatformKey('2026-01-01T00:00:00.000Z');
export const PLATFORM_KEYRING = [publicHalf(PLATFORM_KEY)];

/**
 * Two partnerships with data in every read model: pair A with a released-ready batch, a batch
 * blocked by an open major deviation (reported late), pair B with a batch and a minor
 * deviation. Everything goes through the real ingest pipeline and the real projector.
 */
export async function openApiWorld(
  database: { url: string } | 'pglite',
  options: ReadModelPrismaOptions = {},
): Promise<ApiWorld> {
  const db =
    database === 'pglite' ? await pgliteDatabase() : pgDatabase({ connectionString: database.url });
  // As a server runs: what the platform records is signed with its key.
  const store = signingAsPlatform(await PostgresEventStore.open(db), PLATFORM_KEY);
  await migrateReadModel(db);
  const prisma =
    database === 'pglite'
      ? readModelPrisma(
          { pglite: (db as Awaited<ReturnType<typeof pgliteDatabase>>).pglite },
          options,
        )
      : readModelPrisma({ connectionString: database.url }, options);
  const exchange = await partnerExchange(store, { secondPair: true, clock: () => new Date(NOW) });
  const issuer = await DevIssuer.open();
  const authenticator = new Authenticator({
    issuer: DEV_ISSUER,
    audience: DEV_AUDIENCE,
    keys: issuer.jwks(),
  });
  const checkpoints = await CheckpointLog.open(db);
  const outcomes = await sqlOutcomeLog(db);
  const api = createApi({
    prisma,
    store,
    authenticator,
    clock: () => new Date(NOW),
    platformKey: PLATFORM_KEY,
    platformKeyring: PLATFORM_KEYRING,
    checkpoints,
    outcomes,
  });
  const projector = new Projector({
    store,
    db,
    onChange: (changes) => api.changes.publish(changes),
  });

  const { batch, deviation } = exchange.feed;
  const a1 = batch(PAIR_A, A1);
  const a2 = batch(PAIR_A, A2);
  const b1 = batch(PAIR_B, B1);
  const devA = deviation(PAIR_A, DEV_A);
  const devB = deviation(PAIR_B, DEV_B);
  await exchange.publish([
    a1.scheduled('2026-04-10T08:00:00Z'),
    a1.started('2026-04-12T06:00:00Z'),
    a1.completed('2026-04-14T18:00:00Z'),
    a1.reviewed('2026-04-16T09:00:00Z'),
    a1.qc('2026-04-20T10:00:00Z', 98.1),
    a1.coa('2026-04-21T09:00:00Z'),
    a2.scheduled('2026-04-11T08:00:00Z'),
    a2.started('2026-04-13T06:00:00Z'),
    devA.reported('2026-04-27T08:00:00Z', 'major', [A2], '2026-04-27T08:00:00Z'),
    b1.scheduled('2026-04-15T08:00:00Z'),
    b1.started('2026-04-16T08:00:00Z'),
    devB.reported('2026-04-30T08:00:00Z', 'minor', [B1], '2026-04-30T07:00:00Z'),
  ]);
  await projector.catchUp();

  const person = (organizationId: string, role: string) => {
    const found = personIn(organizationId, role);
    return { personId: found.personId, organizationId, roles: [role], name: found.printedName };
  };
  return {
    db,
    store,
    prisma,
    exchange,
    projector,
    issuer,
    authenticator,
    api,
    checkpoints,
    outcomes,
    token: (organizationId, role = 'qa') => issuer.mint(person(organizationId, role)),
    stepUp: (organizationId, role) => issuer.mintStepUp(person(organizationId, role)),
    async graphql(token, query, variables) {
      const response = await api.yoga.fetch('http://concord.test/graphql', {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(token === null ? {} : { authorization: `Bearer ${token}` }),
        },
        body: JSON.stringify({ query, variables }),
      });
      return { status: response.status, body: (await response.json()) as never };
    },
    async subscribe<Message>(token: string | null, query: string) {
      const abort = new AbortController();
      const response = await api.yoga.fetch('http://concord.test/graphql', {
        method: 'POST',
        signal: abort.signal,
        headers: {
          'content-type': 'application/json',
          accept: 'text/event-stream',
          ...(token === null ? {} : { authorization: `Bearer ${token}` }),
        },
        body: JSON.stringify({ query }),
      });
      const type = response.headers.get('content-type');
      if (!type?.includes('text/event-stream'))
        throw new Error(`a subscription was answered ${response.status} ${type}, not a stream`);
      const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
      const messages: SseStream<Message>['messages'] = [];
      let ended = false;
      void (async () => {
        let buffer = '';
        try {
          for (;;) {
            const { value, done } = await reader.read();
            if (done) break;
            buffer += value;
            for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
              const lines = buffer.slice(0, end).split('\n');
              buffer = buffer.slice(end + 2);
              const data = lines.find((line) => line.startsWith('data: '));
              if (lines.includes('event: next') && data) messages.push(JSON.parse(data.slice(6)));
            }
          }
        } catch {
          // Aborted by close().
        } finally {
          ended = true;
        }
      })();
      return {
        messages,
        ended: () => ended,
        close: () => {
          abort.abort();
          void reader.cancel().catch(() => undefined);
        },
      };
    },
    async close() {
      await prisma.$disconnect();
      await store.close();
    },
  };
}
