import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from '@concord/test-infra';
import { describeWithPostgres } from '@concord/test-infra/vitest';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { sqlCheckpoints } from './checkpoints.ts';
import { dollarQuoted, textArrayLiteral } from './copy-text.ts';
import type { SqlDatabase } from './database.ts';
import { migrate } from './migrate.ts';
import { pgDatabase, type PgConnectionEvent } from './pg-database.ts';
import { PGLITE_SHARED_BUFFERS, pgliteDatabase } from './pglite-database.ts';

async function migrationsDir(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'concord-migrations-'));
  for (const [name, sql] of Object.entries(files)) await writeFile(join(dir, name), sql);
  return dir;
}

function sqlDatabaseBehaviour(open: () => Promise<SqlDatabase>): void {
  let db: SqlDatabase;
  const dirs: string[] = [];
  beforeAll(async () => {
    db = await open();
  });
  afterAll(async () => {
    await db.close();
    await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
  });

  it('applies migrations once, in file order, and records them', async () => {
    const dir = await migrationsDir({
      '0002_add_column.sql': 'alter table widgets add column colour text;',
      '0001_create.sql': 'create table widgets (id int primary key); create index on widgets (id);',
    });
    dirs.push(dir);
    expect(await migrate(db, { directory: dir, table: 'widget_migrations' })).toEqual([
      '0001_create.sql',
      '0002_add_column.sql',
    ]);
    expect(await migrate(db, { directory: dir, table: 'widget_migrations' })).toEqual([]);
    await db.query(`insert into widgets (id, colour) values (1, 'blue')`);
    const { rows } = await db.query<{ name: string }>(
      'select name from widget_migrations order by name',
    );
    expect(rows.map((r) => r.name)).toEqual(['0001_create.sql', '0002_add_column.sql']);
  });

  it('leaves nothing behind when a migration fails', async () => {
    const dir = await migrationsDir({
      '0001_ok.sql': 'create table gadgets (id int primary key);',
      '0002_broken.sql': 'alter table no_such_table add column x int;',
    });
    dirs.push(dir);
    await expect(migrate(db, { directory: dir, table: 'gadget_migrations' })).rejects.toThrow(
      /no_such_table/,
    );
    const { rows } = await db.query(`select to_regclass('gadgets') as t`);
    expect(rows[0]).toEqual({ t: null });
  });

  it('rolls a failed transaction back and commits a good one', async () => {
    await db.exec('create table ledger (entry text primary key)');
    await db.transaction((tx) => tx.query(`insert into ledger values ('kept')`));
    await expect(
      db.transaction(async (tx) => {
        await tx.query(`insert into ledger values ('dropped')`);
        throw new Error('abort');
      }),
    ).rejects.toThrow('abort');
    const { rows } = await db.query<{ entry: string }>('select entry from ledger');
    expect(rows).toEqual([{ entry: 'kept' }]);
  });

  it('answers the rows of the last of several statements sent together', async () => {
    const { rows } = await db.exec<{ n: number }>(
      'select 1 as n; select 2 as n union all select 3',
    );
    expect(rows).toEqual([{ n: 2 }, { n: 3 }]);
    const inTransaction = await db.transaction((tx) =>
      tx.exec<{ n: number }>('select 4 as n; select 5 as n'),
    );
    expect(inTransaction.rows).toEqual([{ n: 5 }]);
  });

  it('writes what a transaction leaves for its commit with it, and nothing of a failed one', async () => {
    await db.exec('create table commit_with (entry text primary key)');
    await db.transaction(async (tx) => {
      await tx.query(`insert into commit_with values ('first')`);
      tx.commitWith(`insert into commit_with values ('left for the commit')`);
      // Run in the order left: this one finds the one before.
      tx.commitWith(
        `insert into commit_with select entry || ', then' from commit_with where entry like 'left%'`,
      );
    });
    // Alone in its transaction, it is the transaction.
    await db.transaction(async (tx) => tx.commitWith(`insert into commit_with values ('alone')`));
    await expect(
      db.transaction(async (tx) => {
        tx.commitWith(`insert into commit_with values ('never')`);
        throw new Error('the work failed');
      }),
    ).rejects.toThrow('the work failed');
    // A statement left for the commit that fails takes the whole transaction back.
    await expect(
      db.transaction(async (tx) => {
        await tx.exec(`insert into commit_with values ('rolled back')`);
        tx.commitWith(`insert into commit_with values ('first')`);
      }),
    ).rejects.toMatchObject({ code: '23505' });
    const { rows } = await db.query<{ entry: string }>(
      'select entry from commit_with order by entry',
    );
    expect(rows.map((row) => row.entry)).toEqual([
      'alone',
      'first',
      'left for the commit',
      'left for the commit, then',
    ]);
    // The connection serves the next transaction.
    expect(await db.transaction(async (tx) => (await tx.query('select 1 as n')).rows)).toEqual([
      { n: 1 },
    ]);
  });

  it('reads dollar-quoted text back exactly, whatever it holds', async () => {
    const texts = [
      `it's`,
      'back\\slash \\',
      '$q$ ends? $q0$',
      'line\nbreak\ttab',
      '€ 𝄞 \u2028',
      '',
    ];
    const { rows } = await db.exec<{ t: string }>(
      `select t from unnest(array[${texts.map(dollarQuoted).join(', ')}]) with ordinality as u(t, n) order by n`,
    );
    expect(rows.map((row) => row.t)).toEqual(texts);
  });

  it('hands a batch to one of two instances of a subscriber at the same time, the other skips it', async () => {
    await db.exec(
      `create table if not exists test_checkpoints (subscriber_id text primary key,
         position bigint not null, updated_at timestamptz not null default now())`,
    );
    const checkpoints = sqlCheckpoints(db, 'test_checkpoints');
    const events = [{ globalPosition: 3n }, { globalPosition: 4n }];
    const handled: string[] = [];
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let entered!: () => void;
    const inFirst = new Promise<void>((resolve) => (entered = resolve));
    const first = checkpoints.handleOnce("it's-twice", events, async (fresh) => {
      handled.push(`first: ${fresh.length}`);
      entered();
      await held;
    });
    await inFirst;
    // The second waits for the first's lock, then finds the first's checkpoint (PGlite runs one
    // transaction at a time: the second simply comes after).
    const second = checkpoints.handleOnce("it's-twice", events, async (fresh) => {
      handled.push(`second: ${fresh.length}`);
    });
    release();
    expect(await first).toBe(4n);
    expect(await second).toBe(4n);
    expect(handled).toEqual(['first: 2']);
    expect(await checkpoints.load("it's-twice")).toBe(4n);
  });

  it('loads rows with COPY, each value read by its column type, text with any character', async () => {
    await db.exec(
      'create table copied (id int primary key, note text, doc jsonb, tags text[], at timestamptz)',
    );
    const note = 'tab\there, new\nline, back\\slash, "quotes", \r, ünïcödé, \\N';
    const doc = { say: 'a "quoted"\nword', n: 1.5, nested: { list: [1, null, 'x\ty'] } };
    const loaded = await db.copyRows(
      'copied',
      ['id', 'note', 'doc', 'tags', 'at'],
      [
        [
          '1',
          note,
          JSON.stringify(doc),
          textArrayLiteral(['ev-1', 'say "hi"', 'a\\b']),
          '2026-05-01T12:00:00.000Z',
        ],
        ['2', null, null, textArrayLiteral([]), null],
      ],
    );
    expect(loaded).toBe(2);
    const { rows } = await db.query<{
      id: number;
      note: string | null;
      doc: unknown;
      tags: string[];
      at: string | null;
    }>(
      `select id, note, doc, tags, to_char(at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS') as at
       from copied order by id`,
    );
    expect(rows).toEqual([
      { id: 1, note, doc, tags: ['ev-1', 'say "hi"', 'a\\b'], at: '2026-05-01T12:00:00' },
      { id: 2, note: null, doc: null, tags: [], at: null },
    ]);
  });

  it('loads nothing when one row of a COPY breaks a constraint, and says which', async () => {
    await db.exec('create table copied_once (id int primary key)');
    await db.query('insert into copied_once values (2)');
    await expect(db.copyRows('copied_once', ['id'], [['1'], ['2'], ['3']])).rejects.toThrow(
      /duplicate key/,
    );
    const { rows } = await db.query<{ id: number }>('select id from copied_once order by id');
    expect(rows).toEqual([{ id: 2 }]);
    // The connection that ran the failed load serves the next statement.
    expect(await db.copyRows('copied_once', ['id'], [['3']])).toBe(1);
  });

  it('delivers a notification after the notifying transaction commits', async () => {
    const received: string[] = [];
    const stop = await db.listen('concord_test_channel', (payload) => received.push(payload));
    await db.transaction(async (tx) => {
      await tx.query(`select pg_notify('concord_test_channel', 'hello')`);
    });
    await waitFor(() => received.includes('hello'), { description: 'the notification' });
    await stop();
  });

  it('commits a rebuildable subscriber’s batches without waiting for the disk, and only those', async () => {
    await db.exec(
      `create table if not exists test_checkpoints (subscriber_id text primary key,
         position bigint not null, updated_at timestamptz not null default now())`,
    );
    const settingIn = async (asynchronousCommit: boolean, subscriber: string) => {
      let setting = '';
      const checkpoints = sqlCheckpoints(db, 'test_checkpoints', { asynchronousCommit });
      const stored = await checkpoints.handleOnce(
        subscriber,
        [{ globalPosition: 7n }],
        async (_fresh, tx) => {
          const { rows } = await tx.query<{ setting: string }>(
            `select current_setting('synchronous_commit') as setting`,
          );
          setting = rows[0]!.setting;
        },
      );
      expect(stored).toBe(7n);
      expect(await checkpoints.load(subscriber)).toBe(7n);
      return setting;
    };
    expect(await settingIn(true, 'projection')).toBe('off');
    expect(await settingIn(false, 'publisher')).toBe('on');
    // Transaction-local: whatever runs next on the connection waits for the disk again.
    const { rows } = await db.query<{ setting: string }>(
      `select current_setting('synchronous_commit') as setting`,
    );
    expect(rows[0]!.setting).toBe('on');
  });
}

describeWithPostgres('SqlDatabase on a PostgreSQL server (pg)', (database) => {
  sqlDatabaseBehaviour(async () => pgDatabase({ connectionString: database().url }));

  it('lets processes that migrate at the same time apply each migration once', async () => {
    const dir = await migrationsDir({
      '0001_counter.sql': 'create table race (id int primary key);',
    });
    const dbs = [1, 2, 3].map(() =>
      pgDatabase({ connectionString: database().url, maxConnections: 1 }),
    );
    try {
      const applied = await Promise.all(
        dbs.map((db) => migrate(db, { directory: dir, table: 'race_migrations' })),
      );
      expect(applied.flat()).toEqual(['0001_counter.sql']);
    } finally {
      await Promise.all(dbs.map((db) => db.close()));
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describeWithPostgres('a subscriber’s batch on a PostgreSQL server (pg)', (database) => {
  it('costs three messages: BEGIN with the lock and checkpoint, the handler’s, the save with COMMIT', async () => {
    const db = pgDatabase({ connectionString: database().url, maxConnections: 1 });
    const sent: string[] = [];
    const query = vi.spyOn(pg.Client.prototype, 'query');
    try {
      await db.exec(
        `create table batch_checkpoints (subscriber_id text primary key,
           position bigint not null, updated_at timestamptz not null default now())`,
      );
      const checkpoints = sqlCheckpoints(db, 'batch_checkpoints');
      query.mockClear();
      const stored = await checkpoints.handleOnce('publisher', [{ globalPosition: 9n }], (_, tx) =>
        tx.query('select $1::int as n', [1]).then(() => undefined),
      );
      sent.push(...query.mock.calls.map(([text]) => String(text)));
      expect(stored).toBe(9n);
      expect(await checkpoints.load('publisher')).toBe(9n);
    } finally {
      query.mockRestore();
      await db.close();
    }
    expect(sent).toEqual([
      expect.stringMatching(/^begin; select pg_advisory_xact_lock.*;\s*select position/s),
      'select $1::int as n',
      expect.stringMatching(/^with locked as .*insert into batch_checkpoints.*; commit$/s),
    ]);
  });
});

describeWithPostgres('a pg pool after a statement the server refuses', (database) => {
  // A refused statement (a conflict, a constraint) leaves its connection healthy: destroying it
  // would make the next caller pay for a new server process with cold caches.
  it('keeps the connection for the next statement', async () => {
    const db = pgDatabase({ connectionString: database().url, maxConnections: 1 });
    try {
      const pid = async () =>
        (await db.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0]!.pid;
      const before = await pid();
      await expect(db.query('select 1 / 0')).rejects.toMatchObject({ code: '22012' });
      await expect(
        db.query(`do $$ begin raise exception using errcode = 'CN409'; end $$`),
      ).rejects.toMatchObject({ code: 'CN409' });
      expect(await pid()).toBe(before);
    } finally {
      await db.close();
    }
  });

  it('still replaces a connection the server ended', async () => {
    const db = pgDatabase({ connectionString: database().url, maxConnections: 1 });
    try {
      const before = (await db.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0]!
        .pid;
      await expect(db.query('select pg_terminate_backend(pg_backend_pid())')).rejects.toThrow();
      const after = (await db.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0]!
        .pid;
      expect(after).not.toBe(before);
    } finally {
      await db.close();
    }
  });
});

describeWithPostgres(
  'SqlDatabase on a PostgreSQL server whose connections are terminated',
  (database) => {
    const events: PgConnectionEvent[] = [];
    let db: SqlDatabase;
    let admin: SqlDatabase;
    beforeAll(() => {
      db = pgDatabase({
        connectionString: database().url,
        applicationName: 'concord-victim',
        onConnectionEvent: (event) => events.push(event),
      });
      admin = pgDatabase({ connectionString: database().url, applicationName: 'concord-admin' });
    });
    afterAll(async () => {
      await db.close();
      await admin.close();
    });
    const terminate = (where: 'idle' | 'active' = 'idle') =>
      admin.query(
        `select pg_terminate_backend(pid) from pg_stat_activity
       where application_name = 'concord-victim' and ($1 = 'idle' or state like 'idle in%')`,
        [where],
      );

    it('survives a transaction cut between two statements; the caller retries', async () => {
      await db.exec('create table cut (n int primary key)');
      const attempt = db.transaction(async (tx) => {
        await tx.query('insert into cut values (1)');
        await terminate('active');
        await waitFor(() => events.some((e) => e.kind === 'connection-lost'), {
          description: 'the lost connection reported',
        });
        await tx.query('insert into cut values (2)');
      });
      await expect(attempt).rejects.toThrow();
      // Nothing of the cut transaction committed, and the pool serves the retry.
      await db.transaction((tx) => tx.query('insert into cut values (1), (2)'));
      const { rows } = await db.query<{ n: number }>('select n from cut order by n');
      expect(rows).toEqual([{ n: 1 }, { n: 2 }]);
    });

    it('listens again after its LISTEN connection is terminated, and wakes its caller', async () => {
      const received: string[] = [];
      const stop = await db.listen('concord_cut_channel', (payload) => received.push(payload));
      try {
        await terminate();
        await waitFor(() => events.some((e) => e.kind === 'listener-reconnected'), {
          description: 'the listener back',
        });
        expect(received).toContain(''); // the wake-up: look for what was missed
        await admin.query(`select pg_notify('concord_cut_channel', 'after')`);
        await waitFor(() => received.includes('after'), { description: 'a later notification' });
      } finally {
        await stop();
      }
      expect(events.filter((e) => e.kind === 'connection-lost').map((e) => e.kind)).not.toEqual([]);
    });
  },
);

describe('SqlDatabase on PGlite', () => {
  sqlDatabaseBehaviour(() => pgliteDatabase());
});

describe('PGlite as the embedded platform opens it', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'concord-pglite-'));
  });
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  const setting = async (db: SqlDatabase, name: string) =>
    (await db.query<{ setting: string }>(`select current_setting($1) as setting`, [name])).rows[0]!
      .setting;

  it('keeps a small buffer cache, whatever the folder says, and the data across a reopen', async () => {
    const created = await pgliteDatabase({ dataDir: dir });
    // What PGlite's initdb wrote into the new folder: PostgreSQL's own default.
    const conf = await readFile(join(dir, 'postgresql.conf'), 'utf8');
    expect(conf).toMatch(/^shared_buffers = 128MB/m);
    expect(await setting(created, 'shared_buffers')).toBe(PGLITE_SHARED_BUFFERS);
    await created.exec(`create table kept (n int); insert into kept values (42)`);
    await created.close();

    const reopened = await pgliteDatabase({ dataDir: dir, sharedBuffers: '8MB' });
    expect(await setting(reopened, 'shared_buffers')).toBe('8MB');
    expect((await reopened.query<{ n: number }>(`select n from kept`)).rows).toEqual([{ n: 42 }]);
    await reopened.close();
  });

  it('refuses a buffer size that is not a size before starting anything', async () => {
    await expect(pgliteDatabase({ sharedBuffers: '16MB -c fsync=off' })).rejects.toThrow(
      'shared_buffers must be a size such as 16MB, not "16MB -c fsync=off"',
    );
  });
});
