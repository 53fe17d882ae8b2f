import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeWithPostgres } from './vitest.ts';

// Proof that the harness gives a real PostgreSQL server (and that PGlite runs the same SQL).
const schema = `create table ledger (id serial primary key, entry text not null unique)`;

describeWithPostgres('a real PostgreSQL server', (database) => {
  let pool: pg.Pool;
  beforeAll(async () => {
    pool = new pg.Pool({ connectionString: database().url, max: 2 });
    await pool.query(schema);
  });
  afterAll(async () => {
    await pool.end();
  });

  it('gives this file a database of its own on a real server', async () => {
    const { rows } = await pool.query<{ db: string; version: string }>(
      `select current_database() as db, current_setting('server_version_num') as version`,
    );
    expect(rows[0]?.db).toBe(database().name);
    expect(Number(rows[0]?.version)).toBeGreaterThanOrEqual(130000);
  });

  it('commits a transaction and rolls a failed one back whole', async () => {
    const client = await pool.connect();
    try {
      await client.query('begin');
      await client.query(`insert into ledger (entry) values ('committed')`);
      await client.query('commit');

      await client.query('begin');
      await client.query(`insert into ledger (entry) values ('rolled back')`);
      await expect(client.query(`insert into ledger (entry) values ('committed')`)).rejects.toThrow(
        /duplicate key/,
      );
      await client.query('rollback');
    } finally {
      client.release();
    }
    const { rows } = await pool.query<{ entry: string }>('select entry from ledger order by id');
    expect(rows.map((r) => r.entry)).toEqual(['committed']);
  });

  it('hides an uncommitted write from another connection', async () => {
    const writer = await pool.connect();
    try {
      await writer.query('begin');
      await writer.query(`insert into ledger (entry) values ('in flight')`);
      const seen = await pool.query(`select 1 from ledger where entry = 'in flight'`);
      expect(seen.rowCount).toBe(0);
      await writer.query('commit');
      const after = await pool.query(`select 1 from ledger where entry = 'in flight'`);
      expect(after.rowCount).toBe(1);
    } finally {
      writer.release();
    }
  });
});

describe('PGlite (embedded PostgreSQL)', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'concord-pglite-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('runs the same transaction and keeps committed data in its folder across a restart', async () => {
    const first = await PGlite.create(dir);
    await first.exec(schema);
    await first.transaction(async (tx) => {
      await tx.query(`insert into ledger (entry) values ('committed')`);
    });
    await expect(
      first.transaction(async (tx) => {
        await tx.query(`insert into ledger (entry) values ('rolled back')`);
        await tx.query(`insert into ledger (entry) values ('committed')`);
      }),
    ).rejects.toThrow(/duplicate key/);
    await first.close();

    const reopened = await PGlite.create(dir);
    const { rows } = await reopened.query<{ entry: string }>(
      'select entry from ledger order by id',
    );
    await reopened.close();
    expect(rows.map((r) => r.entry)).toEqual(['committed']);
  });
});
