// `concord quarantine` against the real broker: a record ingest set aside is listed with where it
// came from and why, shown as the partner sent it, and sent to ingest again exactly as it came.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { QUARANTINE_HEADERS } from '@concord/contract';
import { uniqueName, waitFor } from '@concord/test-infra';
import { describeWithKafka } from '@concord/test-infra/vitest';
import { Kafka, logLevel, type KafkaMessage } from 'kafkajs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { run } from './cli.ts';
import { captureIo } from './test-support/capture.ts';

describeWithKafka('concord quarantine', ({ brokers }) => {
  const prefix = uniqueName('quar').replace('-', '');
  const inbound = `${prefix}.in.northbridge-bio`;
  const kafka = new Kafka({ brokers, clientId: 'quarantine-test', logLevel: logLevel.NOTHING });
  const partnerHeaders = {
    ce_id: 'ev-quarantined-1',
    ce_type: 'concord.batch.scheduled.v1',
    ce_source: 'urn:concord:northbridge-bio:mes',
    'content-type': 'application/json',
  };
  const value = JSON.stringify({ batchId: 'northbridge-bio:b-1', batchNumber: 'B-1' });
  const resent: KafkaMessage[] = [];
  const observer = kafka.consumer({ groupId: uniqueName('observer') });

  beforeAll(async () => {
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({
      waitForLeaders: true,
      topics: [inbound, `${prefix}.quarantine`].map((topic) => ({ topic, numPartitions: 1 })),
    });
    await admin.disconnect();
    const producer = kafka.producer();
    await producer.connect();
    // As ingest sets a record aside: the partner's record, plus where from, why and when.
    await producer.send({
      topic: `${prefix}.quarantine`,
      messages: [
        {
          key: 'northbridge-bio:b-1',
          value,
          headers: {
            ...partnerHeaders,
            [QUARANTINE_HEADERS.topic]: inbound,
            [QUARANTINE_HEADERS.partition]: '0',
            [QUARANTINE_HEADERS.offset]: '41',
            [QUARANTINE_HEADERS.reason]: 'TypeError: a defect this record triggers',
            [QUARANTINE_HEADERS.at]: '2026-12-05T10:00:00.000Z',
          },
        },
      ],
    });
    await producer.disconnect();
    await observer.connect();
    await observer.subscribe({ topic: inbound, fromBeginning: true });
    await observer.run({ eachMessage: async ({ message }) => void resent.push(message) });
  });

  afterAll(async () => {
    await observer.disconnect();
  });

  const cli = async (...args: string[]) => {
    const { io, stdout, stderr } = captureIo();
    const code = await run(
      ['quarantine', ...args, '--kafka', brokers.join(','), '--topic-prefix', prefix],
      io,
    );
    return { code, stdout: stdout.text, stderr: stderr.text };
  };

  it('lists each quarantined record with where it came from and why', async () => {
    const listed = await cli('list', '--json');
    expect(listed.code).toBe(0);
    const rows = listed.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, string>);
    expect(rows).toEqual([
      {
        ref: '0:0',
        quarantinedAt: '2026-12-05T10:00:00.000Z',
        from: `${inbound}/0/41`,
        eventId: 'ev-quarantined-1',
        eventType: 'concord.batch.scheduled.v1',
        source: 'urn:concord:northbridge-bio:mes',
        reason: 'TypeError: a defect this record triggers',
      },
    ]);
    expect((await cli('list')).stdout).toContain('1 record(s)');
  });

  it("shows one with the partner's record as it came", async () => {
    const shown = await cli('show', '0:0');
    expect(shown.code).toBe(0);
    expect(JSON.parse(shown.stdout)).toMatchObject({
      ref: '0:0',
      key: 'northbridge-bio:b-1',
      value,
      headers: { ce_id: 'ev-quarantined-1', [QUARANTINE_HEADERS.offset]: '41' },
    });
  });

  it('sends it to ingest again exactly as the partner sent it, without the quarantine’s headers', async () => {
    const retried = await cli('retry', '0:0');
    expect(retried.code).toBe(0);
    expect(retried.stdout).toContain(`sent ev-quarantined-1 to ${inbound} again`);
    await waitFor(() => resent.length === 1, { description: 'the record on its inbound topic' });
    const [record] = resent;
    expect(record!.key?.toString()).toBe('northbridge-bio:b-1');
    expect(record!.value?.toString()).toBe(value);
    expect(
      Object.fromEntries(
        Object.entries(record!.headers ?? {}).map(([name, header]) => [name, String(header)]),
      ),
    ).toEqual(partnerHeaders);
  });

  it('says which record it does not know, refuses a reference that is none, and an empty quarantine', async () => {
    const unknown = await cli('show', '0:7');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('no quarantined record at 0:7');
    const bad = await cli('retry', 'latest');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("latest is not a quarantined record's <partition>:<offset>");
    const { io, stdout } = captureIo();
    expect(
      await run(
        ['quarantine', 'list', '--kafka', brokers.join(','), '--topic-prefix', `${prefix}x`],
        io,
      ),
    ).toBe(0);
    expect(stdout.text).toBe('the quarantine is empty\n');
  });

  it('skips one for good with a reason, recorded with who and why, and lists it as handled', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'concord-quarantine-'));
    try {
      expect((await cli('skip', '0:0')).code).toBe(2);
      expect(await cli('skip', '0:0', '--reason', 'Partner resent it corrected')).toMatchObject({
        code: 2,
        stderr: expect.stringContaining('--database-url or --pglite'),
      });
      const skipped = await cli(
        'skip',
        '0:0',
        '--reason',
        'Partner resent it corrected',
        '--operator',
        'ops-ola',
        '--pglite',
        dataDir,
      );
      expect(skipped).toMatchObject({
        code: 0,
        stdout: expect.stringContaining('skipped ev-quarantined-1'),
      });
      expect((await cli('skip', '0:9', '--reason', 'x', '--pglite', dataDir)).code).toBe(1);
      const [row] = (await cli('list', '--json', '--pglite', dataDir)).stdout
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as { handled?: unknown });
      expect(row?.handled).toEqual([
        {
          action: 'skipped',
          actor: 'ops-ola',
          reason: 'Partner resent it corrected',
          at: expect.any(String),
        },
      ]);
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
