// The operators' desk in GraphQL, on the embedded platform with Kafka: ingest's quarantine is
// listed with where each record came from and why, one record is sent to ingest again exactly as
// the partner sent it, another skipped with a reason; both acts are recorded with who and why.
// Partners are refused all of it.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { QUARANTINE_HEADERS } from '@concord/contract';
import { uniqueName, waitFor } from '@concord/test-infra';
import { describeWithKafka } from '@concord/test-infra/vitest';
import { Kafka, logLevel, type Consumer, type KafkaMessage } from 'kafkajs';
import { pino } from 'pino';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startPlatform, type Platform } from './platform.ts';
import { platformClient } from './test-support/platform-client.ts';

describeWithKafka("the operators' desk: ingest's quarantine in GraphQL", ({ brokers }) => {
  const topicPrefix = uniqueName('desk').replaceAll('-', '');
  const inbound = `${topicPrefix}.in.northbridge-bio`;
  let dataDir: string;
  let platform: Platform;
  let observer: Consumer;
  const resent: KafkaMessage[] = [];
  const { operator, graphql } = platformClient(() => platform);
  const partner = () =>
    platform.issuer.mint({ personId: 'nb-qa', organizationId: 'northbridge-bio', roles: ['qa'] });

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'concord-desk-'));
    const kafka = new Kafka({ brokers, logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({
      waitForLeaders: true,
      topics: [inbound, `${topicPrefix}.quarantine`].map((topic) => ({ topic, numPartitions: 1 })),
    });
    await admin.disconnect();
    const producer = kafka.producer();
    await producer.connect();
    // Two records as ingest sets them aside: the partner's record, plus where from, why, when.
    await producer.send({
      topic: `${topicPrefix}.quarantine`,
      messages: [1, 2].map((n) => ({
        key: `northbridge-bio:b-${n}`,
        value: JSON.stringify({ batchId: `northbridge-bio:b-${n}` }),
        headers: {
          ce_id: `ev-quarantined-${n}`,
          ce_type: 'concord.batch.scheduled.v1',
          ce_source: 'urn:concord:northbridge-bio:mes',
          'content-type': 'application/json',
          [QUARANTINE_HEADERS.topic]: inbound,
          [QUARANTINE_HEADERS.partition]: '0',
          [QUARANTINE_HEADERS.offset]: String(40 + n),
          [QUARANTINE_HEADERS.reason]: 'TypeError: a defect this record triggers',
          [QUARANTINE_HEADERS.at]: '2026-12-05T10:00:00.000Z',
        },
      })),
    });
    await producer.disconnect();
    observer = kafka.consumer({ groupId: uniqueName('observer') });
    await observer.connect();
    await observer.subscribe({ topic: inbound, fromBeginning: true });
    await observer.run({ eachMessage: async ({ message }) => void resent.push(message) });
    platform = await startPlatform({
      dataDir,
      port: 0,
      logger: pino({ level: 'warn' }),
      demo: false,
      webRoot: false,
      kafkaBrokers: brokers,
      topicPrefix,
    });
  });
  afterAll(async () => {
    await observer?.disconnect();
    await platform?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  const LIST = `{ quarantine { ... on QueryQuarantineSuccess { data {
      ref eventId eventType from reason value resolutions { action actor reason } } }
    ... on Refusal { code } } }`;

  it('lists the quarantine for operators, and refuses partners', async () => {
    const { quarantine } = await graphql(operator(), LIST);
    expect((quarantine as { data: unknown[] }).data).toEqual([
      {
        ref: '0:0',
        eventId: 'ev-quarantined-1',
        eventType: 'concord.batch.scheduled.v1',
        from: `${inbound}/0/41`,
        reason: 'TypeError: a defect this record triggers',
        value: JSON.stringify({ batchId: 'northbridge-bio:b-1' }),
        resolutions: [],
      },
      expect.objectContaining({ ref: '0:1', eventId: 'ev-quarantined-2' }),
    ]);
    expect((await graphql(partner(), LIST)).quarantine).toEqual({
      code: 'administration.operator-required',
    });
  });

  it('sends one to ingest again and skips the other, each recorded with who and why', async () => {
    const act = (field: string, ref: string, reason: string) =>
      graphql(
        operator(),
        `mutation($ref: String!, $reason: String!) { ${field}(ref: $ref, reason: $reason) {
          ... on Mutation${field[0]!.toUpperCase()}${field.slice(1)}Success { data { ref } }
          ... on Refusal { code } } }`,
        { ref, reason },
      );
    expect(await act('retryQuarantined', '0:0', 'Defect fixed in 1.4.2')).toEqual({
      retryQuarantined: { data: { ref: '0:0' } },
    });
    await waitFor(() => (resent.length === 1 ? true : undefined), {
      description: 'the record on its inbound topic again',
    });
    expect(resent[0]!.headers?.[QUARANTINE_HEADERS.reason]).toBeUndefined();
    expect(await act('skipQuarantined', '0:1', 'Test record sent by mistake')).toEqual({
      skipQuarantined: { data: { ref: '0:1' } },
    });
    expect(await act('skipQuarantined', '0:7', 'No such record')).toEqual({
      skipQuarantined: { code: 'operations.not-quarantined' },
    });
    expect(await act('skipQuarantined', '0:1', ' ')).toEqual({
      skipQuarantined: { code: 'administration.reason-required' },
    });
    const { quarantine } = await graphql(operator(), LIST);
    expect(
      (quarantine as { data: { ref: string; resolutions: unknown[] }[] }).data.map((record) => [
        record.ref,
        record.resolutions,
      ]),
    ).toEqual([
      ['0:0', [{ action: 'retried', actor: 'ops-olga', reason: 'Defect fixed in 1.4.2' }]],
      ['0:1', [{ action: 'skipped', actor: 'ops-olga', reason: 'Test record sent by mistake' }]],
    ]);
  });
});
