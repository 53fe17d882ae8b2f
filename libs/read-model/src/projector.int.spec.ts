import type { EventStore, RecordedEvent } from '@concord/event-store';
import { PostgresEventStore } from '@concord/event-store-postgres';
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
import { pgDatabase, pgliteDatabase, sqlCheckpoints, type SqlDatabase } from '@concord/sql';
import { waitFor } from '@concord/test-infra';
import { describeWithPostgres } from '@concord/test-infra/vitest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrateReadModel } from './migrate-read-model.ts';
import { ProjectionError, Projector, RebuildInProgressError } from './projector.ts';
import type { ReadModelChange } from './projections/project-chunk.ts';
import {
  readModelPrisma,
  ReadScope,
  scopedReadModel,
  type ReadModelPrisma,
} from './read-model-client.ts';
import { readModelTables } from './sql-rows.ts';

const NOW = '2026-05-01T12:00:00.000Z';
const A1 = 'northbridge-bio:b-nb-hlv201-26-0201';
const A2 = 'northbridge-bio:b-nb-hlv201-26-0202';
const B1 = 'caldera-biologics:b-cal-aur310-26-0101';
const DEV_MAJOR = 'northbridge-bio:dev-nb-26-0101';

interface Subject {
  db: SqlDatabase;
  store: EventStore;
  prisma: ReadModelPrisma;
}

/**
 * The read-model tables as the catalog describes them: columns, constraints, indexes, row-level
 * security, policies, grants and triggers, by name (what a switch of tables must carry over).
 */
async function catalogOf(db: SqlDatabase): Promise<string[]> {
  const { rows } = await db.query<{ entry: string }>(
    `select 'column ' || table_name || '.' || column_name || ' ' || data_type || ' '
       || is_nullable || ' ' || coalesce(column_default, '') as entry
     from information_schema.columns where table_schema = current_schema() and table_name like 'rm\\_%'
     union all
     select 'constraint ' || conname || ' ' || pg_get_constraintdef(oid) from pg_constraint
     where conrelid::regclass::text like 'rm\\_%'
     union all
     select 'index ' || indexname || ' ' || indexdef from pg_indexes
     where schemaname = current_schema() and tablename like 'rm\\_%'
     union all
     select 'security ' || relname || ' ' || relrowsecurity || ' ' || relforcerowsecurity
       || ' ' || coalesce(relacl::text, '') from pg_class
     where relkind = 'r' and relname like 'rm\\_%'
     union all
     select 'policy ' || tablename || ' ' || policyname || ' ' || permissive || ' ' || cmd || ' '
       || roles::text || ' ' || coalesce(qual, '') || ' ' || coalesce(with_check, '')
     from pg_policies where tablename like 'rm\\_%'
     union all
     select 'trigger ' || tgrelid::regclass::text || ' ' || tgname from pg_trigger
     where not tgisinternal and tgrelid::regclass::text like 'rm\\_%'
     order by 1`,
  );
  return rows.map((row) => row.entry);
}

/** Resolves once a session of the database waits for a lock. */
const someoneWaitsForALock = (db: SqlDatabase, description: string) =>
  waitFor(
    async () =>
      (
        await db.query<{ waiting: number }>(
          `select count(*)::int as waiting from pg_stat_activity
           where datname = current_database() and wait_event_type = 'Lock'`,
        )
      ).rows[0]!.waiting > 0,
    { description },
  );

/** Every read-model row, in key order, as JSON text: what "byte-identical" compares. */
async function dump(db: SqlDatabase): Promise<string[]> {
  const result: string[] = [];
  for (const [table, key] of Object.entries(readModelTables)) {
    const { rows } = await db.query<{ row: string }>(
      `select to_jsonb(t)::text as row from ${table} t order by ${key.join(', ')}`,
    );
    result.push(`-- ${table}`, ...rows.map(({ row }) => row));
  }
  return result;
}

/**
 * The batch counts as kept (rows of none left out) and as counted from the batches now: each
 * batch once for each of its parties.
 */
async function batchCounts(db: SqlDatabase): Promise<{ kept: string[]; counted: string[] }> {
  const rows = async (sql: string) =>
    (await db.query<{ row: string }>(sql)).rows.map(({ row }) => row);
  return {
    kept: await rows(
      `select concat_ws(' ', organization_id, status, release_ready, blocked, batches) as row
       from rm_batch_counts where batches <> 0 order by 1`,
    ),
    counted: await rows(
      `select concat_ws(' ', party, status, release_ready, blocker_count > 0, count(*)) as row
       from rm_batches, lateral (select sponsor_id union select cdmo_id) as parties (party)
       group by party, status, release_ready, blocker_count > 0 order by 1`,
    ),
  };
}

function projectorSuite(open: () => Promise<Subject>) {
  let subject: Subject;
  let exchange: PartnerExchange;
  let projector: Projector;
  const changes: ReadModelChange[] = [];
  const ids: Record<string, { id: string; source: string }> = {};
  const projected: RecordedEvent[] = [];
  /** The checkpoint as stored, read as each chunk's events were handed over. */
  const checkpointsSeen: Promise<bigint>[] = [];

  beforeAll(async () => {
    subject = await open();
    await migrateReadModel(subject.db);
    exchange = await partnerExchange(subject.store, {
      secondPair: true,
      clock: () => new Date(NOW),
    });
    projector = new Projector({
      store: subject.store,
      db: subject.db,
      batchSize: 7, // small chunks: state must carry across chunk boundaries
      onChange: (batch) => changes.push(...batch),
      onProjected: (events) => {
        projected.push(...events);
        checkpointsSeen.push(projector.checkpoint());
      },
    });
    const { batch, deviation } = exchange.feed;
    const a1 = batch(PAIR_A, A1);
    const a2 = batch(PAIR_A, A2);
    const b1 = batch(PAIR_B, B1);
    const major = deviation(PAIR_A, DEV_MAJOR);
    const qc = a1.qc('2026-04-20T10:00:00Z', 98.1);
    ids.qc = { id: String(qc.id), source: String(qc.source) };
    await exchange.publish([
      a1.scheduled('2026-04-10T08:00:00Z'),
      a1.started('2026-04-12T06:00:00Z'),
      a1.completed('2026-04-14T18:00:00Z'),
      a1.reviewed('2026-04-16T09:00:00Z'),
      qc,
      a1.coa('2026-04-21T09:00:00Z'),
      a2.scheduled('2026-04-11T08:00:00Z'),
      a2.started('2026-04-13T06:00:00Z'),
      // Detected 100 h before it reached the platform: late against the 72 h for majors.
      major.reported('2026-04-27T08:00:00Z', 'major', [A2], '2026-04-27T08:00:00Z'),
      b1.scheduled('2026-04-15T08:00:00Z'),
      b1.started('2026-04-16T08:00:00Z'),
    ]);
  });

  afterAll(async () => {
    await subject?.prisma.$disconnect();
    await subject?.store.close();
  });

  it('projects batches, their QC results and release readiness', async () => {
    await projector.catchUp();
    const a1 = await subject.prisma.batch.findUniqueOrThrow({
      where: { id: A1 },
      include: { qcResults: true },
    });
    expect(a1).toMatchObject({
      status: 'coa-issued',
      sponsorId: SPONSOR,
      cdmoId: CDMO,
      productName: expect.stringContaining('HLV-201'),
      releaseReady: true,
    });
    expect(a1.qcResults).toMatchObject([{ value: 98.1, withinSpecification: true }]);
    expect((a1.blockers as { kind: string }[]).map((b) => b.kind)).toEqual([
      'missing-disposition',
      'missing-certification',
    ]);

    const a2 = await subject.prisma.batch.findUniqueOrThrow({ where: { id: A2 } });
    expect(a2.status).toBe('in-manufacture');
    expect(a2.releaseReady).toBe(false);
    expect(a2.blockers).toContainEqual(
      expect.objectContaining({ kind: 'open-deviation', reference: DEV_MAJOR, severity: 'major' }),
    );
    expect(changes).toContainEqual(expect.objectContaining({ kind: 'readiness', id: A2 }));
  });

  it("hands each committed chunk's events to onProjected once, after the commit; a rebuild none", async () => {
    await projector.catchUp();
    const stored = await subject.store.readAll({ after: 0n, maxCount: 10_000 });
    expect(projected.map((event) => event.id)).toEqual(stored.map((event) => event.id));
    // Each chunk's events were handed over once its checkpoint was stored: after the commit.
    const seen = await Promise.all(checkpointsSeen);
    expect(seen).toHaveLength(Math.ceil(stored.length / 7));
    seen.forEach((checkpoint, chunk) =>
      expect(checkpoint).toBeGreaterThanOrEqual(
        stored[Math.min(stored.length, (chunk + 1) * 7) - 1]!.globalPosition,
      ),
    );
    await projector.rebuild();
    expect(projected).toHaveLength(stored.length);
  });

  it('projects deviations with their notification deadline and lateness', async () => {
    const deviation = await subject.prisma.deviation.findUniqueOrThrow({
      where: { id: DEV_MAJOR },
      include: { batchLinks: true },
    });
    expect(deviation).toMatchObject({
      severity: 'major',
      status: 'reported',
      sponsorId: SPONSOR,
      cdmoId: CDMO,
      notifiedLate: true,
      reportedByOrganizationId: CDMO,
    });
    expect(deviation.notificationDeadline?.toISOString()).toBe('2026-04-30T08:00:00.000Z');
    expect(deviation.batchLinks.map((link) => link.batchId)).toEqual([A2]);
  });

  it('keeps a timeline of who did what, when and why', async () => {
    const timeline = await subject.prisma.timelineEntry.findMany({
      where: { batchId: A1 },
      orderBy: { position: 'asc' },
    });
    expect(timeline.map((entry) => entry.type)).toEqual([
      'concord.batch.scheduled.v1',
      'concord.batch.manufacturing-started.v1',
      'concord.batch.manufacturing-completed.v1',
      'concord.batch.record-reviewed.v1',
      'concord.batch.qc-result-recorded.v1',
      'concord.batch.coa-issued.v1',
    ]);
    const reviewed = timeline[3]!;
    expect(reviewed).toMatchObject({
      actorOrganizationId: CDMO,
      actorName: personIn(CDMO, String(reviewed.actorRole)).printedName,
      summary: 'Executed batch record reviewed and approved',
    });
    expect(reviewed.eSignature).toMatchObject({ meaning: expect.any(String) });
    expect(reviewed.reason).toMatch(/Signed by/);
  });

  it('shows a corrected QC result and marks the original on the timeline', async () => {
    const qcAnalyst = personIn(CDMO, 'qc');
    await exchange.publish([
      exchange.world.partnerEvent(
        CDMO,
        'correction/recorded.v1',
        {
          subject: A1,
          source: ids.qc!.source,
          time: '2026-04-22T09:00:00Z',
          actorid: qcAnalyst.personId,
          actorrole: 'qc',
          correlationid: `wf-${A1}`,
        },
        {
          correctedEventId: ids.qc!.id,
          changes: [{ path: '/value', oldValue: 98.1, newValue: 96.2 }],
          reason: 'Integration error: the peak at 12.4 min was split; reprocessed per SOP-QC-114.',
        },
      ) as never,
    ]);
    await projector.catchUp();
    const result = await subject.prisma.qcResult.findFirstOrThrow({ where: { batchId: A1 } });
    expect(result).toMatchObject({ value: 96.2, withinSpecification: false, corrected: true });
    const original = await subject.prisma.timelineEntry.findFirstOrThrow({
      where: { batchId: A1, type: 'concord.batch.qc-result-recorded.v1' },
    });
    expect(original.data).toMatchObject({ value: 98.1 });
    expect(original.correctedData).toMatchObject({ value: 96.2 });
    expect(original.correctedByEventIds).toHaveLength(1);
    const correction = await subject.prisma.timelineEntry.findFirstOrThrow({
      where: { correctsEventId: original.eventId },
    });
    expect(correction.reason).toMatch(/Integration error/);
  });

  it('row-level security shows each organization only its own partnerships', async () => {
    const asSponsor = scopedReadModel(subject.prisma, SPONSOR);
    const asOtherSponsor = scopedReadModel(subject.prisma, OTHER_SPONSOR);
    const asOtherCdmo = scopedReadModel(subject.prisma, OTHER_CDMO);
    const asStranger = scopedReadModel(subject.prisma, 'nobody-pharma');
    // No filters at all: the database itself decides what each may see.
    expect((await asSponsor.batch.findMany()).map((b) => b.id).sort()).toEqual([A1, A2]);
    expect((await asOtherSponsor.batch.findMany()).map((b) => b.id)).toEqual([B1]);
    expect((await asOtherCdmo.batch.findMany()).map((b) => b.id)).toEqual([B1]);
    expect(await asStranger.batch.count()).toBe(0);
    expect(await asOtherSponsor.deviation.count()).toBe(0);
    expect(await asOtherSponsor.timelineEntry.count({ where: { batchId: A1 } })).toBe(0);
    expect(await asOtherSponsor.qcResult.count()).toBe(0);
    expect(await asOtherSponsor.batch.findUnique({ where: { id: A1 } })).toBeNull();
    expect((await asOtherSponsor.organization.findMany()).map((o) => o.id).sort()).toEqual(
      [OTHER_CDMO, OTHER_SPONSOR].sort(),
    );
    expect((await asSponsor.person.findMany()).every((p) => p.organizationId === SPONSOR)).toBe(
      true,
    );
    // The reader cannot write, whatever a resolver tries.
    await expect(
      asSponsor.batch.update({ where: { id: A1 }, data: { status: 'shipped' } }),
    ).rejects.toThrow(/permission denied/);
  });

  it('keeps each organization’s batch counts as its batches move, and after a rebuild', async () => {
    const live = await batchCounts(subject.db);
    expect(live.kept.length).toBeGreaterThan(3);
    expect(live.kept).toEqual(live.counted);
    await new Projector({ store: subject.store, db: subject.db, batchSize: 5 }).rebuild();
    const rebuilt = await batchCounts(subject.db);
    expect(rebuilt.kept).toEqual(live.counted);
    // The new batches table counts on: a batch moved by hand moves its counts.
    await subject.db.query(
      `update rm_batches set status = 'held', blocker_count = 2 where id = $1`,
      [A1],
    );
    await subject.db.query(`delete from rm_batches where id = $1`, [B1]);
    const moved = await batchCounts(subject.db);
    expect(moved.kept).toEqual(moved.counted);
    expect(moved.kept).not.toEqual(live.counted);
    // The counts are kept per statement: one upsert that inserts a batch and moves another (as a
    // projector chunk's does), and one update of every batch, some of which stay in their counts.
    await subject.db.query(
      `insert into rm_batches
       select (jsonb_populate_record(null::rm_batches,
         to_jsonb(t) || jsonb_build_object('id', x.id, 'status', x.status))).*
       from rm_batches t, (values ($1, 'shipped'), ($2, 'held')) as x (id, status)
       where t.id = $1
       on conflict (id) do update set status = excluded.status`,
      [A2, `${A2}-copy`],
    );
    await subject.db.query(`update rm_batches set blocker_count = blocker_count + 1`);
    const upserted = await batchCounts(subject.db);
    expect(upserted.kept).toEqual(upserted.counted);
    expect(upserted.kept).not.toEqual(moved.counted);
    await new Projector({ store: subject.store, db: subject.db }).rebuild();
    expect((await batchCounts(subject.db)).kept).toEqual(live.counted);
  });

  it('rebuilds from position 0 into byte-identical read models', async () => {
    const live = await dump(subject.db);
    const progress = await new Projector({
      store: subject.store,
      db: subject.db,
      batchSize: 1_000,
    }).rebuild();
    expect(progress.projected).toBeGreaterThan(20);
    const rebuilt = await dump(subject.db);
    expect(rebuilt).toEqual(live);
  });

  it('rebuilds byte-identical in windows of a few events: rows loaded new, replaced in later windows, let go and read again', async () => {
    const live = await dump(subject.db);
    const copied: string[] = [];
    const watched: SqlDatabase = {
      ...subject.db,
      copyRows: (table, columns, rows) => {
        copied.push(table);
        return subject.db.copyRows(table, columns, rows);
      },
    };
    const progress = await new Projector({
      store: subject.store,
      db: watched,
      batchSize: 2,
      // A write every 3 events, and a fresh start from the copies past 40 rows in memory: a
      // batch is written new, then replaced; a QC result is corrected after its entry was written.
      rebuildWindow: { events: 3, maxRows: 40 },
    }).rebuild();
    expect(progress.projected).toBeGreaterThan(20);
    expect(await dump(subject.db)).toEqual(live);
    // New rows went in with COPY: every timeline entry, and each batch's first state.
    expect(copied).toContain('rm_timeline__next');
    expect(copied).toContain('rm_batches__next');
  });

  it('a rebuild reads nothing back from the copies it fills while it holds their rows', async () => {
    const live = await dump(subject.db);
    // Every read of a copy's rows, by table (the row loader's `… from rm_x__next t where …`).
    const readBack: string[] = [];
    const watched: SqlDatabase = {
      ...subject.db,
      query: (sql, params) => {
        for (const [, table] of sql.matchAll(/from (rm_\w+__next) t where/g)) readBack.push(table!);
        return subject.db.query(sql, params);
      },
    };
    // Pages of 2 events, written every 3: rows are written in one window and changed in the next.
    const progress = await new Projector({
      store: subject.store,
      db: watched,
      batchSize: 2,
      rebuildWindow: { events: 3, maxRows: 100_000 },
    }).rebuild();
    expect(progress.projected).toBeGreaterThan(20);
    expect(await dump(subject.db)).toEqual(live);
    // Only timeline entries are let go, and read again when a later event corrects one.
    expect(readBack.filter((table) => table !== 'rm_timeline__next')).toEqual([]);
  });

  it('projects a chunk in as many statements whatever the tables it touches', async () => {
    // The statements the projector sends in its transactions, one list per transaction.
    const transactions: string[][] = [];
    // The statements left to go with a COMMIT.
    const committed: string[] = [];
    const counted: SqlDatabase = {
      ...subject.db,
      transaction: (work) =>
        subject.db.transaction((tx) => {
          const statements: string[] = [];
          transactions.push(statements);
          return work({
            query: (sql, params) => (statements.push(sql), tx.query(sql, params)),
            exec: (sql) => (statements.push(sql), tx.exec(sql)),
            commitWith: (sql) => (statements.push(sql), committed.push(sql), tx.commitWith(sql)),
          });
        }),
    };
    await projector.catchUp();
    const live = await dump(subject.db);
    // A second projector from position 0 over emptied tables: one chunk holding every event
    // (organizations, people, agreements, batches, QC results, deviations, links, timeline).
    await subject.db.query(`truncate ${Object.keys(readModelTables).join(', ')}`);
    await new Projector({
      store: subject.store,
      db: counted,
      name: 'counted',
      batchSize: 1_000,
    }).catchUp();
    expect(await dump(subject.db)).toEqual(live);
    expect(transactions).toHaveLength(1);
    const chunk = transactions[0]!;
    const written = Object.keys(readModelTables).filter((table) =>
      chunk.some((sql) => new RegExp(`insert into ${table}\\b`).test(sql)),
    );
    expect(written.length).toBeGreaterThanOrEqual(7);
    // Everything the chunk's events name is read in one statement, its batches with the rest
    // (the batches their deviations link to, and those batches' open deviations, are among them).
    expect(chunk.filter((sql) => sql.includes('to_jsonb(t) as row'))).toHaveLength(1);
    // The lock and the checkpoint (sent with BEGIN), the read, then the writes and the save
    // (sent with COMMIT): two round trips from BEGIN to COMMIT on a server.
    expect(chunk).toHaveLength(4);
    expect(chunk[0]).toMatch(/pg_advisory_xact_lock.*;\s*select position/s);
    expect(chunk[2]).toMatch(/^with rm_\w+_written as/);
    expect(chunk[3]).toMatch(/^with locked as .*insert into rm_checkpoints/s);
    expect(committed).toEqual([chunk[2], chunk[3]]);
  });

  it('rebuilds beside the live read model, which serves whole until the switch', async () => {
    await projector.catchUp();
    const live = await dump(subject.db);
    const catalog = await catalogOf(subject.db);
    const seen: string[][] = [];
    const progress = await new Projector({
      store: subject.store,
      db: subject.db,
      batchSize: 5,
    }).rebuild(async () => {
      // Mid-rebuild, as a reader sees it: the whole live read model.
      seen.push(await dump(subject.db));
    });
    expect(seen.length).toBeGreaterThan(3);
    for (const during of seen.slice(0, -1)) expect(during).toEqual(live);
    expect(progress.projected).toBe(Number(await subject.store.headPosition()));
    expect(await dump(subject.db)).toEqual(live);
    // The new tables have every key, index, policy and grant of the old (and no copies remain).
    expect(await catalogOf(subject.db)).toEqual(catalog);
    expect(catalog.some((entry) => entry.startsWith('policy rm_organizations'))).toBe(true);
    // Row-level security holds on the new tables.
    const asOtherSponsor = scopedReadModel(subject.prisma, OTHER_SPONSOR);
    expect((await asOtherSponsor.batch.findMany()).map((b) => b.id)).toEqual([B1]);
    expect((await asOtherSponsor.organization.findMany()).map((o) => o.id).sort()).toEqual(
      [OTHER_CDMO, OTHER_SPONSOR].sort(),
    );
  });

  it('readers get whole answers, never errors, while a rebuild switches in', async () => {
    await projector.catchUp();
    // Each read its own unit of work, as each API request is.
    const read = async () => {
      const scope = new ReadScope(subject.prisma, SPONSOR);
      try {
        const batches = await scope.db.batch.findMany({
          include: { qcResults: true },
          orderBy: { id: 'asc' },
        });
        return JSON.stringify(batches, (_key, value: unknown) =>
          typeof value === 'bigint' ? String(value) : value,
        );
      } finally {
        await scope.end();
      }
    };
    const expected = await read();
    let rebuilding = true;
    const answers: string[] = [];
    const readers = Array.from({ length: 3 }, async () => {
      while (rebuilding) answers.push(await read());
    });
    try {
      await new Projector({ store: subject.store, db: subject.db, batchSize: 3 }).rebuild();
    } finally {
      rebuilding = false;
    }
    await Promise.all(readers); // a reader that failed fails the test here
    expect(answers.length).toBeGreaterThan(3);
    expect(answers.filter((answer) => answer !== expected)).toEqual([]);
    expect(await read()).toBe(expected);
  });

  it('a rebuild while the live projector runs leaves a complete read model', async () => {
    const live = new Projector({ store: subject.store, db: subject.db, batchSize: 3 });
    const following = live.start();
    await following.waitFor(await subject.store.headPosition());
    // Rebuild in small chunks while the live projector runs and new events arrive.
    const rebuilding = new Projector({
      store: subject.store,
      db: subject.db,
      batchSize: 2,
    }).rebuild();
    const { batch } = exchange.feed;
    await exchange.publish([batch(PAIR_B, B1).held('2026-04-17T08:00:00Z')]);
    const progress = await rebuilding;
    expect(progress.position).toBeGreaterThanOrEqual(progress.head);
    await following.waitFor(await subject.store.headPosition());
    await following.stop();
    const raced = await dump(subject.db);
    expect(raced.filter((row) => row.includes('"status": "held"'))).toHaveLength(1);
    await new Projector({ store: subject.store, db: subject.db }).rebuild();
    expect(await dump(subject.db)).toEqual(raced);
  });

  it('dead-letters an event it cannot project, and a rebuild stops on it', async () => {
    // A deviation under an agreement the read model has never heard of: unprojectable.
    await subject.store.append('deviation-dev-orphan', [
      {
        id: 'ev-orphan-deviation',
        type: 'concord.deviation.reported.v1',
        data: orphanReport('dev-orphan'),
        metadata: { actorid: 'x', actororg: CDMO, time: NOW },
      },
    ]);
    const { batch } = exchange.feed;
    await exchange.publish([batch(PAIR_A, A1).disposition('2026-04-25T09:00:00Z', 'released')]);
    await projector.catchUp();
    expect(await projector.deadLetters()).toMatchObject([
      { eventId: 'ev-orphan-deviation', error: expect.stringContaining('no-such-agreement') },
    ]);
    expect(await projector.deadLetterCount()).toBe(1);
    // Later events are still projected.
    const a1 = await subject.prisma.batch.findUniqueOrThrow({ where: { id: A1 } });
    expect(a1.status).toBe('dispositioned');

    const before = await dump(subject.db);
    await expect(new Projector({ store: subject.store, db: subject.db }).rebuild()).rejects.toThrow(
      ProjectionError,
    );
    // The failed rebuild changed nothing: the live read model, its dead letters, no copies left.
    expect(await dump(subject.db)).toEqual(before);
    expect(await projector.deadLetters()).toMatchObject([{ eventId: 'ev-orphan-deviation' }]);
    const { rows } = await subject.db.query<{ name: string }>(
      `select relname as name from pg_class where relname like 'rm\\_%\\_\\_next'`,
    );
    expect(rows).toEqual([]);
  });
  it('retries a dead letter short of a rebuild once its cause is fixed, and skips one with a reason', async () => {
    const operator = { actor: 'ops-olga', reason: 'Agreement registered late' };
    const [letter] = await projector.deadLetters();
    expect(letter?.eventId).toBe('ev-orphan-deviation');
    // Still unprojectable: the retry fails, changes nothing, and says why.
    expect(await projector.retryDeadLetter(letter!.position, operator)).toMatchObject({
      status: 'failed',
      error: expect.stringContaining('no-such-agreement'),
    });
    expect(await projector.deadLetterCount()).toBe(1);
    // The cause fixed (the agreement recorded), the retry projects the deviation's stream.
    const agreement = {
      agreementId: 'no-such-agreement',
      version: 1,
      sponsorId: SPONSOR,
      cdmoId: CDMO,
      products: [{ productId: 'p', name: 'P' }],
      responsibilities: [{ activity: 'deviation-reporting', performedBy: 'cdmo' }],
      notificationDeadlinesHours: { critical: 24, major: 72, minor: 720 },
      effectiveFrom: '2026-01-01T00:00:00Z',
      signatures: [],
    };
    await subject.store.append('agreement-no-such-agreement', [
      {
        id: 'ev-late-agreement',
        type: 'concord.agreement.version-approved.v1',
        data: agreement,
        metadata: { actorid: 'concord-admin', actororg: 'concord', time: NOW },
      },
    ]);
    await projector.catchUp();
    const retried = await projector.retryDeadLetter(letter!.position, operator);
    expect(retried).toMatchObject({
      status: 'retried',
      resolved: [{ eventId: 'ev-orphan-deviation' }],
    });
    expect(await projector.deadLetters()).toEqual([]);
    const deviation = await subject.prisma.deviation.findUniqueOrThrow({
      where: { id: 'dev-orphan' },
    });
    expect(deviation).toMatchObject({ title: 'Orphan', sponsorId: agreement.sponsorId });
    expect(await projector.retryDeadLetter(letter!.position, operator)).toEqual({
      status: 'unknown',
    });

    // Another that cannot be fixed is skipped, with who and why; the event stays in the store.
    await subject.store.append('deviation-dev-orphan-2', [
      {
        id: 'ev-orphan-deviation-2',
        type: 'concord.deviation.reported.v1',
        data: { ...orphanReport('dev-orphan-2'), agreementId: 'never-agreed' },
        metadata: { actorid: 'x', actororg: CDMO, time: NOW },
      },
    ]);
    await projector.catchUp();
    const [second] = await projector.deadLetters();
    const skip = { actor: 'ops-olga', reason: 'Test record sent to production by mistake' };
    expect(await projector.skipDeadLetter(second!.position, skip)).toMatchObject({
      eventId: 'ev-orphan-deviation-2',
    });
    expect(await projector.deadLetters()).toEqual([]);
    expect(await projector.skipDeadLetter(second!.position, skip)).toBeUndefined();
    expect(
      (await projector.deadLetterResolutions()).map((r) => [
        r.eventId,
        r.action,
        r.actor,
        r.reason,
      ]),
    ).toEqual([
      ['ev-orphan-deviation-2', 'skipped', 'ops-olga', skip.reason],
      ['ev-orphan-deviation', 'retried', 'ops-olga', operator.reason],
      ['ev-orphan-deviation', 'retry-failed', 'ops-olga', operator.reason],
    ]);
    expect(await subject.store.readStream('deviation-dev-orphan-2')).toHaveLength(1);
  });
}

function orphanReport(deviationId: string) {
  return {
    deviationId,
    title: 'Orphan',
    description: 'No agreement',
    category: 'other',
    severity: 'minor',
    productId: 'p',
    agreementId: 'no-such-agreement',
    linkedBatchIds: [],
    detectedAt: NOW,
  };
}

describeWithPostgres('the read-model projector on PostgreSQL', (database) => {
  projectorSuite(async () => {
    const db = pgDatabase({ connectionString: database().url });
    return {
      db,
      store: await PostgresEventStore.open(db),
      prisma: readModelPrisma({ connectionString: database().url }),
    };
  });
});

// Its own database: the rebuild must get to the end of the store.
describeWithPostgres('a rebuild beside the live projector on PostgreSQL', (database) => {
  it('a rebuild waits for a live chunk in progress instead of deadlocking with it', async () => {
    const db = pgDatabase({ connectionString: database().url });
    try {
      await migrateReadModel(db);
      const store = await PostgresEventStore.open(db);
      const projector = new Projector({ store, db });
      await db.query('insert into rm_checkpoints (subscriber_id, position) values ($1, 0)', [
        projector.name,
      ]);
      // A live chunk in progress: the projector's lock taken, the read model not yet read (as the
      // projector's handleOnce does: the lock first, then the tables).
      let release!: () => void;
      const released = new Promise<void>((resolve) => (release = resolve));
      let locked!: () => void;
      const isLocked = new Promise<void>((resolve) => (locked = resolve));
      const chunk = db.transaction(async (tx) => {
        await sqlCheckpoints(db, 'rm_checkpoints').lock(projector.name, tx);
        locked();
        await released;
        await tx.query('select count(*) from rm_batches');
      });
      await isLocked;
      const rebuilding = projector.rebuild();
      await someoneWaitsForALock(db, 'the rebuild waiting for the chunk');
      release();
      // Dropping the tables first, the switch would hold the tables the chunk then reads while the
      // chunk holds the lock the switch then takes: PostgreSQL would kill one of them.
      await chunk;
      await expect(rebuilding).resolves.toMatchObject({ position: await store.headPosition() });
    } finally {
      await db.close();
    }
  });
});

// Its own database: two operators' rebuilds at once.
describeWithPostgres('two rebuilds of one read model at once on PostgreSQL', (database) => {
  it('refuses the second while the first runs, which completes whole', async () => {
    // Two processes: two connections pools on the same database.
    const first = pgDatabase({ connectionString: database().url });
    const second = pgDatabase({ connectionString: database().url });
    try {
      await migrateReadModel(first);
      const store = await PostgresEventStore.open(first);
      const exchange = await partnerExchange(store);
      await exchange.publish([
        ...exchange.feed.released(PAIR_A, A1, '2026-04-10'),
        ...exchange.feed.released(PAIR_A, A2, '2026-04-11'),
      ]);
      await new Projector({ store, db: first }).catchUp();
      const live = await dump(first);
      let secondOutcome: unknown;
      const progress = await new Projector({ store, db: first, batchSize: 3 }).rebuild(async () => {
        // Mid-rebuild, another operator starts one on the same database.
        secondOutcome ??= await new Projector({ store, db: second }).rebuild().then(
          () => 'completed',
          (error: unknown) => error,
        );
      });
      expect(secondOutcome).toBeInstanceOf(RebuildInProgressError);
      expect(String(secondOutcome)).toMatch(/another rebuild of the read model is running/);
      expect(progress.projected).toBeGreaterThan(10);
      expect(await dump(first)).toEqual(live);
      // Once the first has finished, the next one may run.
      await expect(new Projector({ store, db: second }).rebuild()).resolves.toBeDefined();
      expect(await dump(first)).toEqual(live);
    } finally {
      await first.close();
      await second.close();
    }
  });
});

// Its own database: a transaction left open on the read model.
describeWithPostgres('a rebuild switching in beside a long reader on PostgreSQL', (database) => {
  it('does not keep other readers waiting behind a reader that holds the tables', async () => {
    const db = pgDatabase({ connectionString: database().url });
    const prisma = readModelPrisma({ connectionString: database().url });
    try {
      await migrateReadModel(db);
      const store = await PostgresEventStore.open(db);
      // A reader that keeps its transaction open on the live tables until told to stop.
      let release!: () => void;
      const released = new Promise<void>((resolve) => (release = resolve));
      let holding!: () => void;
      const isHolding = new Promise<void>((resolve) => (holding = resolve));
      const longReader = db.transaction(async (tx) => {
        await tx.query('select count(*) from rm_batches');
        holding();
        await released;
      });
      await isHolding;
      const rebuilding = new Projector({ store, db }).rebuild();
      // The switch waits for the long reader; short readers still get their answers meanwhile
      // (behind a drop waiting without limit, they would queue until the long reader ended).
      await someoneWaitsForALock(db, 'the switch waiting for the long reader');
      for (let read = 0; read < 5; read += 1) {
        const scope = new ReadScope(prisma, SPONSOR);
        await expect(scope.db.batch.count()).resolves.toBe(0);
        await scope.end();
      }
      release();
      await longReader;
      await expect(rebuilding).resolves.toMatchObject({ position: 0n });
    } finally {
      await prisma.$disconnect();
      await db.close();
    }
  });
});

describe('the read-model projector on PGlite', () => {
  projectorSuite(async () => {
    const db = await pgliteDatabase();
    return {
      db,
      store: await PostgresEventStore.open(db),
      prisma: readModelPrisma({ pglite: db.pglite }),
    };
  });
});

describeWithPostgres('catching up while another transaction is open on the server', (database) => {
  it('waits for committed events to become readable instead of answering short of the head', async () => {
    const db = pgDatabase({ connectionString: database().url });
    // Any open transaction with an id holds back what readers may see, whichever database it is in.
    const elsewhere = pgDatabase({ connectionString: database().url });
    try {
      await migrateReadModel(db);
      const store = await PostgresEventStore.open(db);
      const projector = new Projector({ store, db });
      let finish!: () => void;
      const finished = new Promise<void>((resolve) => (finish = resolve));
      let opened!: () => void;
      const isOpen = new Promise<void>((resolve) => (opened = resolve));
      const open = elsewhere.transaction(async (tx) => {
        await tx.query('select pg_current_xact_id()');
        opened();
        await finished;
      });
      await isOpen;
      const { positions } = await store.append('organization-late-reader', [
        {
          id: 'ev-late-reader',
          type: 'concord.organization.registered.v1',
          data: { organizationId: 'late-reader', name: 'Late Reader', kind: 'sponsor' },
          metadata: { actorid: 'concord-admin', actororg: 'concord', time: NOW },
        },
      ]);
      const caughtUp = projector.catchUp();
      // The open transaction holds the event back from readers: catching up has to wait for it.
      expect(await store.headPosition()).toBeLessThan(positions[0]!);
      finish();
      await open;
      expect(await caughtUp).toBe(positions[0]);
    } finally {
      await elsewhere.close();
      await db.close();
    }
  });
});
