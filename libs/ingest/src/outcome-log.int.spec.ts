import { pgDatabase, pgliteDatabase, type SqlDatabase } from '@concord/sql';
import { describeWithPostgres } from '@concord/test-infra/vitest';
import { afterAll, describe, expect, it } from 'vitest';
import {
  inMemoryOutcomeLog,
  sqlOutcomeLog,
  type OutcomeKey,
  type OutcomeLog,
} from './outcome-log.ts';
import type { Outcome } from './outcome.ts';

const key = (id: string): OutcomeKey => ({
  channelOrganizationId: 'cdmo-alpha',
  source: '//cdmo-alpha.example/mes',
  id,
});
const accepted = (id: string, position: bigint): Outcome => ({
  status: 'accepted',
  id,
  source: '//cdmo-alpha.example/mes',
  eventId: `ev-${id}`,
  streamId: 'batch-B-1',
  positions: [position],
  recordedTypes: ['concord.batch.released.v1'],
  duplicate: false,
  organizationId: 'cdmo-alpha',
});
const rejected = (id: string, code: string): Outcome => ({
  status: 'rejected',
  organizationId: 'cdmo-alpha',
  rejection: {
    rejectedEventId: id,
    rejectedEventSource: '//cdmo-alpha.example/mes',
    code,
    message: code,
    receivedAt: '2026-03-02T10:15:00.000Z',
  },
});
const at = (answers: Map<string, { digest: string; outcome: Outcome }>, id: string) =>
  answers.get(`cdmo-alpha\u0000//cdmo-alpha.example/mes\u0000${id}`);

/** The first answer for a key is the one kept and given, whoever recorded it. */
function outcomeLogBehaviour(open: () => Promise<OutcomeLog>) {
  it('gives back what it just recorded, positions and all', async () => {
    const log = await open();
    const answers = await log.record([
      { key: key('a'), digest: 'd-a', outcome: accepted('a', 12n) },
      { key: key('b'), digest: 'd-b', outcome: rejected('b', 'event.invalid-data') },
    ]);
    expect(answers.size).toBe(2);
    expect(at(answers, 'a')).toEqual({ digest: 'd-a', outcome: accepted('a', 12n) });
    expect(at(answers, 'b')).toEqual({
      digest: 'd-b',
      outcome: rejected('b', 'event.invalid-data'),
    });
    expect(await log.find([key('a'), key('b')])).toEqual(answers);
  });

  it('keeps the answer already on record for a key, and gives that one', async () => {
    const log = await open();
    await log.record([{ key: key('c'), digest: 'first', outcome: accepted('c', 7n) }]);
    const answers = await log.record([
      { key: key('c'), digest: 'second', outcome: rejected('c', 'event.id-conflict') },
      { key: key('d'), digest: 'd-d', outcome: accepted('d', 8n) },
    ]);
    expect(at(answers, 'c')).toEqual({ digest: 'first', outcome: accepted('c', 7n) });
    expect(at(answers, 'd')).toEqual({ digest: 'd-d', outcome: accepted('d', 8n) });
  });

  it('keeps keys and answers whatever characters a partner put in them', async () => {
    const log = await open();
    // A partner chooses its source, its ids and the text a rejection quotes back.
    const texts = ['"', '\\', '"},{"c":"x', "'; --", 'é 中文 🧪', 'a\nb\tc', '\u0001\u007f\u2028'];
    const entries = texts.map((text, n) => ({
      key: { channelOrganizationId: 'cdmo-alpha', source: `//${text}/mes`, id: `${text}-${n}` },
      digest: `d-${n}`,
      outcome: rejected(`${text}-${n}`, `event.invalid-data ${text}`),
    }));
    const answers = await log.record(entries);
    expect(answers.size).toBe(texts.length);
    const found = await log.find(entries.map((entry) => entry.key));
    for (const { key: k, digest, outcome } of entries) {
      const id = `${k.channelOrganizationId}\u0000${k.source}\u0000${k.id}`;
      expect(answers.get(id)).toEqual({ digest, outcome });
      expect(found.get(id)).toEqual({ digest, outcome });
    }
  });

  it('keeps the first of two answers for one key in the same call', async () => {
    const log = await open();
    const answers = await log.record([
      { key: key('e'), digest: 'first', outcome: accepted('e', 9n) },
      { key: key('e'), digest: 'second', outcome: rejected('e', 'event.id-conflict') },
    ]);
    expect(answers.size).toBe(1);
    expect(at(answers, 'e')).toEqual({ digest: 'first', outcome: accepted('e', 9n) });
    expect(at(await log.find([key('e')]), 'e')).toEqual(at(answers, 'e'));
  });

  it('answers two writers racing for the same keys with the same, single answer', async () => {
    const log = await open();
    const keys = Array.from({ length: 50 }, (_, i) => `race-${i}`);
    const [one, two] = await Promise.all(
      ['one', 'two'].map((writer) =>
        log.record(keys.map((id) => ({ key: key(id), digest: writer, outcome: accepted(id, 1n) }))),
      ),
    );
    for (const id of keys) {
      expect(at(one!, id)).toBeDefined();
      expect(at(one!, id)).toEqual(at(two!, id));
    }
  });
}

describe('the outcome log in memory', () => {
  outcomeLogBehaviour(async () => inMemoryOutcomeLog());
});

describe('the outcome log on PGlite', () => {
  const opened: SqlDatabase[] = [];
  afterAll(async () => {
    await Promise.all(opened.map((db) => db.close()));
  });
  outcomeLogBehaviour(async () => {
    const db = await pgliteDatabase();
    opened.push(db);
    return sqlOutcomeLog(db);
  });
});

describeWithPostgres('the outcome log on PostgreSQL', (database) => {
  const opened: SqlDatabase[] = [];
  afterAll(async () => {
    await Promise.all(opened.map((db) => db.close()));
  });
  outcomeLogBehaviour(async () => {
    const db = pgDatabase({ connectionString: database().url, maxConnections: 4 });
    opened.push(db);
    const log = await sqlOutcomeLog(db);
    await db.exec('truncate ingest_outcomes');
    return log;
  });
});
