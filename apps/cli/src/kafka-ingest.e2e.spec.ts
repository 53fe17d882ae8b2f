// The partner's Kafka path end to end: `concord publish --kafka` into the real ingest process
// (apps/ingest) over the real broker, and `concord outcomes` reading Concord's answers back.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeLogCheckpointRecord } from '@concord/contract';
import { InMemoryEventStore } from '@concord/event-store';
import { generatePlatformKey, logTreeHead, signCheckpoint } from '@concord/evidence';
import { inMemoryOutcomeLog } from '@concord/ingest';
import { startIngestService, type IngestService } from '@concord/ingest-app';
import { CDMO, example, seedPartnerWorld } from '@concord/ingest/test-support';
import { uniqueName, waitFor } from '@concord/test-infra';
import { describeWithKafka } from '@concord/test-infra/vitest';
import { verifyCheckpointSignature, type SignedCheckpoint } from '@concord/verifier';
import { Kafka, logLevel } from 'kafkajs';
import { pino } from 'pino';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { run } from './cli.ts';
import { captureIo } from './test-support/capture.ts';
import { registerSigningKey } from './test-support/ingest-server.ts';

describeWithKafka('concord publish --kafka through the ingest process', ({ brokers }) => {
  const prefix = uniqueName('cli').replace('-', '');
  const store = new InMemoryEventStore();
  let service: IngestService | undefined;
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'concord-cli-ingest-'));
    await seedPartnerWorld(store);
    const kafka = new Kafka({ brokers, clientId: 'cli-e2e', logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    try {
      await admin.createTopics({
        waitForLeaders: true,
        topics: ['in', 'out', 'rejections'].map((kind) => ({
          topic: `${prefix}.${kind}.${CDMO}`,
          numPartitions: 3,
        })),
      });
    } finally {
      await admin.disconnect();
    }
    service = await startIngestService({
      store,
      outcomes: inMemoryOutcomeLog(),
      brokers,
      logger: pino({ level: 'silent' }),
      topicPrefix: prefix,
      groupId: uniqueName('ingest'),
      outboundSubscriberId: uniqueName('outbound'),
    });
  });

  afterAll(async () => {
    await service?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('is accepted or rejected by ingest, and outcomes shows both', async () => {
    const keys = captureIo();
    const generate = ['keys', 'generate', '--org', CDMO, '--out', dir, '--json'];
    expect(await run([...generate, '--valid-from', '2026-01-01T00:00:00Z'], keys.io)).toBe(0);
    const key = JSON.parse(keys.stdout.text);
    await registerSigningKey(store, key.registration);

    const lines = ['batch/scheduled.v1', 'batch/manufacturing-started.v1', 'batch/shipped.v1'].map(
      (path) => {
        const { id: _id, signature: _s, signaturekeyid: _k, ...event } = example(path);
        return JSON.stringify(event);
      },
    );
    const file = join(dir, 'events.ndjson');
    await writeFile(file, `${lines.join('\n')}\n`);
    const kafkaArgs = ['--org', CDMO, '--kafka', brokers.join(',')];
    const published = captureIo();
    const args = ['publish', file, '--key', key.privateKeyFile, '--key-id', key.keyId];
    const topic = ['--topic', `${prefix}.in.${CDMO}`];
    expect(await run([...args, ...kafkaArgs, ...topic], published.io)).toBe(0);
    expect(published.stdout.text).toContain('lines: 3 read, 0 invalid, 3 sent');

    const follow = ['outcomes', ...kafkaArgs, '--topic-prefix', prefix, '--from-beginning'];
    const rejections = captureIo();
    const rejectionsArgs = [...follow, '--only', 'rejections', '--max', '1'];
    expect(await run([...rejectionsArgs, '--group', uniqueName('r')], rejections.io)).toBe(0);
    expect(JSON.parse(rejections.stdout.text)).toMatchObject({
      kind: 'rejection',
      rejection: { code: 'batch.out-of-order', rejectedEventType: 'concord.batch.shipped.v1' },
    });

    const events = captureIo();
    const stop = new AbortController();
    events.io.signal = stop.signal;
    const following = run([...follow, '--only', 'events', '--group', uniqueName('e')], events.io);
    await waitFor(() => events.stdout.text.includes('concord.batch.manufacturing-started.v1'), {
      timeoutMs: 30_000,
      description: 'the accepted events on the outbound topic',
    });
    stop.abort();
    expect(await following).toBe(0);
    const batchTypes = events.stdout.text
      .trim()
      .split('\n')
      .map((l) => (JSON.parse(l) as { event: { type: string } }).event.type)
      .filter((type) => type.startsWith('concord.batch.'));
    expect(batchTypes).toEqual([
      'concord.batch.scheduled.v1',
      'concord.batch.manufacturing-started.v1',
    ]);
  });

  it('outcomes shows the signed checkpoints on the outbound topic, which verify with the platform key', async () => {
    const key = generatePlatformKey('2026-01-01T00:00:00.000Z');
    const checkpoint = signCheckpoint(await logTreeHead(store), key, '2026-06-01T00:00:00.000Z');
    const kafka = new Kafka({
      brokers,
      clientId: 'cli-e2e-checkpoint',
      logLevel: logLevel.NOTHING,
    });
    const producer = kafka.producer();
    await producer.connect();
    try {
      await producer.send({
        topic: `${prefix}.out.${CDMO}`,
        messages: [encodeLogCheckpointRecord(checkpoint)],
      });
    } finally {
      await producer.disconnect();
    }
    const follow = [
      ...['outcomes', '--org', CDMO, '--kafka', brokers.join(','), '--topic-prefix', prefix],
      ...['--from-beginning', '--only', 'checkpoints', '--max', '1', '--group', uniqueName('c')],
    ];
    const checkpoints = captureIo();
    expect(await run(follow, checkpoints.io)).toBe(0);
    const line = JSON.parse(checkpoints.stdout.text) as {
      kind: string;
      checkpoint: SignedCheckpoint;
    };
    expect(line).toMatchObject({ kind: 'checkpoint', checkpoint });
    expect(await verifyCheckpointSignature(line.checkpoint, key.publicKey)).toBe(true);
  });
});
