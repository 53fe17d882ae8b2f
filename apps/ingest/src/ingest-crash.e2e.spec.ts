import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { encodeKafkaRecord, type ConcordEvent } from '@concord/contract';
import { PostgresEventStore } from '@concord/event-store-postgres';
import { CDMO, holdResumePath, SPONSOR, seedPartnerWorld } from '@concord/ingest/test-support';
import { pgDatabase } from '@concord/sql';
import { uniqueName, waitFor } from '@concord/test-infra';
import { describeWithKafka, describeWithPostgres } from '@concord/test-infra/vitest';
import { Kafka, logLevel, type Consumer } from 'kafkajs';
import { afterAll, expect, it } from 'vitest';
import { writePlatformKeyFile } from './test-support/ingest-process.ts';

const BATCHES = 100;
const EVENTS_PER_BATCH = 100; // scheduled, started, then held/resumed pairs: 10,000 events in all
const MAIN = fileURLToPath(new URL('./main.ts', import.meta.url));

describeWithKafka(
  'the ingest process killed with SIGKILL during a 10,000-event run',
  ({ brokers }) => {
    describeWithPostgres('and restarted', (database) => {
      const kafka = new Kafka({ brokers, clientId: 'crash-test', logLevel: logLevel.NOTHING });
      const prefix = uniqueName('crash').replace('-', '');
      let child: ChildProcess | undefined;
      const platformKeyFile = writePlatformKeyFile();
      let observer: Consumer | undefined;

      afterAll(async () => {
        child?.kill('SIGKILL');
        await observer?.disconnect();
      });

      const startIngest = async () => {
        child = spawn(process.execPath, ['--experimental-strip-types', '--no-warnings', MAIN], {
          env: {
            ...process.env,
            DATABASE_URL: database().url,
            KAFKA_BROKERS: brokers.join(','),
            CONCORD_TOPIC_PREFIX: prefix,
            CONCORD_INGEST_GROUP: `${prefix}-ingest`,
            CONCORD_KAFKA_SESSION_TIMEOUT_MS: '6000',
            CONCORD_PLATFORM_KEY_FILE: platformKeyFile,
            CONCORD_INGEST_HTTP_PORT: '0',
            // info: the test waits for the 'ingest ready' line.
            LOG_LEVEL: 'info',
          },
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        const current = child;
        current.stderr!.on('data', (chunk: Buffer) => process.stderr.write(chunk));
        await new Promise<void>((resolve, reject) => {
          current.stdout!.on('data', (chunk: Buffer) => {
            if (chunk.toString().includes('ingest ready')) resolve();
          });
          current.once('exit', (code) =>
            reject(new Error(`ingest exited with ${code} before it was ready`)),
          );
        });
      };
      const killIngest = async () => {
        const current = child;
        if (!current || current.exitCode !== null || current.signalCode !== null) return;
        const exited = new Promise((resolve) => current.once('exit', resolve));
        current.kill('SIGKILL');
        await exited;
      };

      it(
        'stores every event exactly once and publishes every outcome',
        { timeout: 600_000 },
        async () => {
          const store = await PostgresEventStore.open(
            pgDatabase({ connectionString: database().url }),
          );
          try {
            const world = await seedPartnerWorld(store);
            const admin = kafka.admin();
            await admin.connect();
            await admin.createTopics({
              waitForLeaders: true,
              topics: [
                `${prefix}.in.${CDMO}`,
                `${prefix}.out.${CDMO}`,
                `${prefix}.out.${SPONSOR}`,
                `${prefix}.rejections.${CDMO}`,
              ].map((topic) => ({ topic, numPartitions: 3 })),
            });
            await admin.disconnect();

            // Every outbound record the sponsor receives, by event id (duplicates are allowed, gaps not).
            const published = new Map<string, number>();
            const rejections: string[] = [];
            observer = kafka.consumer({ groupId: uniqueName('observer') });
            await observer.connect();
            await observer.subscribe({
              topics: [`${prefix}.out.${SPONSOR}`, `${prefix}.rejections.${CDMO}`],
              fromBeginning: true,
            });
            await observer.run({
              eachMessage: async ({ topic, message }) => {
                if (topic.includes('.rejections.')) rejections.push(message.value!.toString());
                else {
                  const id = message.headers!.ce_id!.toString();
                  published.set(id, (published.get(id) ?? 0) + 1);
                }
              },
            });

            // A realistic feed: each batch's lifecycle in order; batches interleaved across partitions.
            const feed: {
              key: string;
              record: ReturnType<typeof encodeKafkaRecord>;
              id: string;
            }[] = [];
            for (let step = 0; step < EVENTS_PER_BATCH; step++) {
              for (let b = 0; b < BATCHES; b++) {
                const batchId = `${CDMO}:b-crash-${b}`;
                const path = holdResumePath(step);
                const event = world.partnerEvent(CDMO, path, { subject: batchId }, { batchId });
                feed.push({
                  key: batchId,
                  id: String(event.id),
                  record: encodeKafkaRecord(event as unknown as ConcordEvent),
                });
              }
            }
            const producer = kafka.producer({ idempotent: true });
            await producer.connect();
            // Offered over a few seconds, so the kills land while the feed is still being processed.
            const sending = (async () => {
              for (let i = 0; i < feed.length; i += 250) {
                await producer.send({
                  topic: `${prefix}.in.${CDMO}`,
                  messages: feed.slice(i, i + 250).map((f) => f.record),
                });
                await new Promise((resolve) => setTimeout(resolve, 200));
              }
            })();

            await startIngest();
            for (let crash = 0; crash < 4; crash++) {
              const stored = Number(await store.headPosition());
              // Kill it somewhere random: after it has recorded some more events, mid-batch.
              const target = Math.min(stored + 100 + Math.floor(Math.random() * 1500), feed.length);
              await waitFor(async () => Number(await store.headPosition()) >= target, {
                timeoutMs: 120_000,
                description: `${target} events recorded before crash ${crash + 1}`,
              });
              await killIngest();
              await startIngest();
            }
            await sending;
            await producer.disconnect();

            await waitFor(() => feed.every((f) => published.has(f.id)), {
              timeoutMs: 300_000,
              intervalMs: 500,
              description: 'every accepted event published to the sponsor',
            });
            for (let b = 0; b < BATCHES; b++) {
              const events = await store.readStream(`batch-${CDMO}:b-crash-${b}`);
              expect(events).toHaveLength(EVENTS_PER_BATCH);
              expect(new Set(events.map((e) => e.id)).size).toBe(EVENTS_PER_BATCH);
            }
            expect(rejections).toEqual([]);
            expect((await store.verify('all')).ok).toBe(true);
          } finally {
            await killIngest();
            await store.close();
          }
        },
      );
    });
  },
);
