// One partner event traced across the whole path, in one process with spans kept in memory:
// Kafka (the partner's own traceparent header) → ingest → the store → the projector → the GraphQL
// push to a subscriber. Every span of Concord's joins the partner's trace: the ingest span as
// the child of the partner's, the store append and the projector chunk linked to it, the push as
// its child (the event carries the context in its metadata, the change log carries it on).
import { Authenticator, DEV_AUDIENCE, DEV_ISSUER, DevIssuer } from '@concord/auth';
import { encodeKafkaRecord, type ConcordEvent } from '@concord/contract';
import { PostgresEventStore } from '@concord/event-store-postgres';
import { startApiServer, type ApiServer } from '@concord/api';
import { sqlOutcomeLog } from '@concord/ingest';
import { CDMO, personIn, seedPartnerWorld, SPONSOR } from '@concord/ingest/test-support';
import { startIngestService, type IngestService } from '@concord/ingest-app';
import { readModelPrisma, type ReadModelPrisma } from '@concord/read-model';
import { pgDatabase, type SqlDatabase } from '@concord/sql';
import { traceInMemory, type ReadableSpan, type SpansInMemory } from '@concord/telemetry';
import { uniqueName, waitFor } from '@concord/test-infra';
import { describeWithKafka, describeWithPostgres } from '@concord/test-infra/vitest';
import { createClient, type Client } from 'graphql-ws';
import { Kafka, logLevel } from 'kafkajs';
import { pino } from 'pino';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { WebSocket } from 'ws';

const PARTNER_TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const PARTNER_SPAN = '00f067aa0ba902b7';

describeWithKafka('a partner event traced end to end', ({ brokers }) => {
  describeWithPostgres(
    'through ingest, the store, the projector and a subscription',
    (database) => {
      const prefix = uniqueName('trace').replace('-', '');
      let memory: SpansInMemory;
      let db: SqlDatabase;
      let store: PostgresEventStore;
      let prisma: ReadModelPrisma;
      let server: ApiServer;
      let ingest: IngestService;
      let client: Client | undefined;
      let issuer: DevIssuer;

      beforeAll(async () => {
        memory = traceInMemory();
        db = pgDatabase({ connectionString: database().url });
        store = await PostgresEventStore.open(db);
        prisma = readModelPrisma({ connectionString: database().url });
        issuer = await DevIssuer.open();
        server = await startApiServer({
          store,
          db,
          prisma,
          authenticator: new Authenticator({
            issuer: DEV_ISSUER,
            audience: DEV_AUDIENCE,
            keys: issuer.jwks(),
          }),
          logger: pino({ level: 'silent' }),
          port: 0,
        });
        const kafka = new Kafka({ brokers, clientId: 'trace-test', logLevel: logLevel.NOTHING });
        const admin = kafka.admin();
        await admin.connect();
        await admin.createTopics({
          waitForLeaders: true,
          topics: ['in', 'out', 'rejections'].flatMap((kind) =>
            [CDMO, SPONSOR].map((org) => ({ topic: `${prefix}.${kind}.${org}`, numPartitions: 1 })),
          ),
        });
        await admin.disconnect();
        ingest = await startIngestService({
          store,
          outcomes: await sqlOutcomeLog(db),
          brokers,
          logger: pino({ level: 'silent' }),
          topicPrefix: prefix,
          groupId: uniqueName('ingest'),
        });
      });

      afterAll(async () => {
        await client?.dispose();
        await ingest?.stop();
        await server?.close();
        await prisma?.$disconnect();
        await store?.close();
        await memory?.stop();
      });

      it('joins the partner trace at every step, to the subscriber', async () => {
        const world = await seedPartnerWorld(store);
        const qa = personIn(SPONSOR, 'qa');
        const token = await issuer.mint({
          personId: qa.personId,
          organizationId: SPONSOR,
          roles: ['qa'],
          name: qa.printedName,
        });
        client = createClient({
          url: `${server.url.replace('http', 'ws')}/graphql`,
          webSocketImpl: WebSocket,
          connectionParams: { authorization: `Bearer ${token}` },
        });
        const heard: string[] = [];
        client.subscribe<{ batchChanged: { batchId: string } }>(
          { query: 'subscription { batchChanged { batchId } }' },
          {
            next: ({ data }) => void (data && heard.push(data.batchChanged.batchId)),
            error: () => undefined,
            complete: () => undefined,
          },
        );
        await waitFor(() => server.api.changes.subscribers === 1, {
          description: 'the subscription registered',
        });

        const batchId = `${CDMO}:b-${prefix}`;
        const event = world.partnerEvent(
          CDMO,
          'batch/scheduled.v1',
          { subject: batchId },
          { batchId },
        );
        const record = encodeKafkaRecord(event as unknown as ConcordEvent);
        const producer = new Kafka({ brokers, logLevel: logLevel.NOTHING }).producer();
        await producer.connect();
        await producer.send({
          topic: `${prefix}.in.${CDMO}`,
          messages: [
            {
              ...record,
              headers: { ...record.headers, traceparent: `00-${PARTNER_TRACE}-${PARTNER_SPAN}-01` },
            },
          ],
        });
        await producer.disconnect();
        await waitFor(() => heard.includes(batchId), {
          description: 'the subscriber hearing the batch',
          timeoutMs: 30_000,
        });
        await waitFor(() => named('concord.graphql.push').length > 0, {
          description: 'the push span ended',
        });

        function named(name: string): ReadableSpan[] {
          return memory.spans().filter((span) => span.name === name);
        }
        const inTrace = (span: ReadableSpan) => span.spanContext().traceId === PARTNER_TRACE;
        const linksToTrace = (span: ReadableSpan) =>
          span.links.some((link) => link.context.traceId === PARTNER_TRACE);

        const ingested = named('concord.ingest').filter(inTrace);
        expect(ingested).toHaveLength(1);
        const ingestSpan = ingested[0]!;
        expect(ingestSpan.parentSpanContext?.spanId).toBe(PARTNER_SPAN);
        expect(ingestSpan.attributes['concord.outcome']).toBe('accepted');
        const ingestSpanId = ingestSpan.spanContext().spanId;

        // The stored event carries the ingest span's context.
        const [stored] = await store.readStream(`batch-${batchId}`);
        expect((stored!.metadata as { traceparent?: string }).traceparent).toBe(
          `00-${PARTNER_TRACE}-${ingestSpanId}-01`,
        );
        // The append and the chunk that projected it are linked to the event's trace.
        expect(named('concord.store.append').filter(linksToTrace)).toHaveLength(1);
        expect(named('concord.projector.chunk').some(linksToTrace)).toBe(true);
        // The push to the subscriber is a child of the ingest span, in the partner's trace.
        const pushes = named('concord.graphql.push').filter(inTrace);
        expect(pushes.length).toBeGreaterThanOrEqual(1);
        expect(pushes.every((push) => push.parentSpanContext?.spanId === ingestSpanId)).toBe(true);
        expect(pushes[0]!.attributes['concord.subscriber.organization']).toBe(SPONSOR);
      });
    },
  );
});
