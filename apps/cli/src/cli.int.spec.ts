import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  decodeKafkaRecord,
  encodeKafkaRecord,
  generateSigningKey,
  verifyEventSignature,
  type Rejection,
} from '@concord/contract';
import { exampleEvent } from '@concord/contract/examples';
import { CDMO } from '@concord/ingest/test-support';
import { randomGroupId, randomTopic, uniqueName, waitFor } from '@concord/test-infra';
import { describeWithKafka } from '@concord/test-infra/vitest';
import { Kafka, logLevel, type Consumer, type KafkaMessage } from 'kafkajs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { run } from './cli.ts';
import { captureIo } from './test-support/capture.ts';

describeWithKafka(
  'concord publish --kafka and concord outcomes, through a real broker',
  ({ brokers }) => {
    const kafka = new Kafka({ brokers, clientId: 'cli-test', logLevel: logLevel.WARN });
    const consumers: Consumer[] = [];
    let dir: string;

    async function createTopics(...topics: string[]) {
      const admin = kafka.admin();
      await admin.connect();
      try {
        await admin.createTopics({
          topics: topics.map((topic) => ({ topic, numPartitions: 3 })),
          waitForLeaders: true,
        });
      } finally {
        await admin.disconnect();
      }
    }

    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'concord-cli-kafka-'));
    });
    afterAll(async () => {
      await Promise.all(consumers.map((consumer) => consumer.disconnect()));
      await rm(dir, { recursive: true, force: true });
    });

    it('produces every line as a signed binary-mode record keyed by subject, in file order', async () => {
      const topic = randomTopic('cli-in');
      await createTopics(topic);
      const key = { keyId: `${CDMO}:cli`, ...generateSigningKey() };
      const keyFile = join(dir, 'cdmo.pem');
      await writeFile(keyFile, key.privateKeyPem, { mode: 0o600 });
      const {
        id: _id,
        signature: _s,
        signaturekeyid: _k,
        ...qc
      } = exampleEvent('concord.batch.qc-result-recorded.v1');
      const subjects = ['b-1', 'b-2'];
      const lines = Array.from({ length: 12 }, (_, i) =>
        JSON.stringify({
          ...qc,
          subject: subjects[i % 2],
          data: { ...qc.data, batchId: subjects[i % 2], resultId: `r-${i}` },
        }),
      );
      const file = join(dir, 'events.ndjson');
      await writeFile(file, `${lines.join('\n')}\n`);

      const { io, stdout, stderr } = captureIo();
      const code = await run(
        [
          'publish',
          file,
          '--org',
          CDMO,
          '--key',
          keyFile,
          '--key-id',
          key.keyId,
          '--kafka',
          brokers.join(','),
          '--topic',
          topic,
          '--batch-size',
          '5',
        ],
        io,
      );
      expect(stderr.text).toBe('');
      expect(code).toBe(0);
      expect(stdout.text).toContain('lines: 12 read, 0 invalid, 12 sent');
      expect(stdout.text).toContain(`concord.rejections.${CDMO}`);

      const received: KafkaMessage[] = [];
      const consumer = kafka.consumer({ groupId: randomGroupId('cli') });
      consumers.push(consumer);
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({ eachMessage: async ({ message }) => void received.push(message) });
      await waitFor(() => received.length === 12, { description: '12 records' });
      const events = received.map((message) => {
        const decoded = decodeKafkaRecord(message);
        if (!decoded.ok) throw new Error(JSON.stringify(decoded.errors));
        expect(message.key?.toString()).toBe(decoded.event.subject);
        expect(verifyEventSignature(decoded.event as never, key.publicKey)).toBe(true);
        return decoded.event;
      });
      for (const subject of subjects) {
        const resultIds = events
          .filter((e) => e.subject === subject)
          .map((e) => (e.data as { resultId: string }).resultId);
        const expected = lines
          .map((l) => JSON.parse(l) as { subject: string; data: { resultId: string } })
          .filter((e) => e.subject === subject)
          .map((e) => e.data.resultId);
        expect(resultIds).toEqual(expected);
      }
    });

    it('prints the outcomes Concord publishes for the organization, one JSON line each', async () => {
      const prefix = uniqueName('cli');
      const outbound = `${prefix}.out.${CDMO}`;
      const rejections = `${prefix}.rejections.${CDMO}`;
      await createTopics(outbound, rejections);
      const event = exampleEvent('concord.batch.scheduled.v1');
      const rejection: Rejection = {
        rejectedEventId: 'evt-1',
        rejectedEventSource: `urn:concord:${CDMO}:mes`,
        code: 'sender.invalid-signature',
        message: 'The signature does not verify.',
        path: '/signature',
        receivedAt: '2026-03-02T08:15:01Z',
      };
      const producer = kafka.producer();
      await producer.connect();
      try {
        await producer.send({ topic: outbound, messages: [encodeKafkaRecord(event)] });
        await producer.send({
          topic: rejections,
          messages: [{ key: 'evt-1', value: JSON.stringify(rejection) }],
        });
      } finally {
        await producer.disconnect();
      }

      const { io, stdout } = captureIo();
      const code = await run(
        [
          'outcomes',
          '--org',
          CDMO,
          '--kafka',
          brokers.join(','),
          '--topic-prefix',
          prefix,
          '--group',
          randomGroupId('cli-outcomes'),
          '--from-beginning',
          '--max',
          '2',
        ],
        io,
      );
      expect(code).toBe(0);
      const printed = stdout.text
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { kind: string });
      expect(printed).toHaveLength(2);
      expect(printed).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ kind: 'event', topic: outbound, event }),
          expect.objectContaining({ kind: 'rejection', topic: rejections, rejection }),
        ]),
      );
    });
  },
);
