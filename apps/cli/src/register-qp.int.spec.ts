// `concord register qp` against PostgreSQL: the operator's whole register, one organization's as
// it sees it (row-level security), narrowed by QP, product and period, as CSV or JSON.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
} from '@concord/ingest/test-support';
import { migrateReadModel, Projector, type QpRegisterEntry } from '@concord/read-model';
import { pgDatabase } from '@concord/sql';
import { describeWithPostgres } from '@concord/test-infra/vitest';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { run } from './cli.ts';
import { captureIo } from './test-support/capture.ts';

const A1 = `${CDMO}:b-nb-hlv201-26-0971`;
const A_UNCERTIFIED = `${CDMO}:b-nb-hlv201-26-0972`;
const B1 = `${OTHER_CDMO}:b-cal-aur310-26-0971`;

describeWithPostgres('concord register qp', (database) => {
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'concord-register-'));
    const db = pgDatabase({ connectionString: database().url });
    const store = await PostgresEventStore.open(db);
    await migrateReadModel(db);
    const exchange = await partnerExchange(store, { secondPair: true });
    await exchange.publish([
      ...exchange.feed.released(PAIR_A, A1, '2026-04-10'),
      ...exchange.feed.released(PAIR_A, A_UNCERTIFIED, '2026-04-11', { certified: false }),
      ...exchange.feed.released(PAIR_B, B1, '2026-04-12'),
    ]);
    await new Projector({ store, db }).catchUp();
    await store.close();
  });

  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const register = async (...args: string[]) => {
    const { io, stdout, stderr } = captureIo({ env: { DATABASE_URL: database().url } });
    const code = await run(['register', 'qp', ...args], io);
    return { code, stdout: stdout.text, stderr: stderr.text };
  };
  const idsOf = (json: string) =>
    (JSON.parse(json) as { entries: QpRegisterEntry[] }).entries.map((entry) => entry.batch_id);

  it('prints the whole register as CSV for an operator, newest certification first', async () => {
    const { code, stdout } = await register();
    expect(code).toBe(0);
    const lines = stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^register_entry_id,certified_at,qualified_person_id,/);
    expect(lines.slice(1).map((line) => line.split(',')[6])).toEqual([B1, A1]);
  });

  it('reads one organization’s register as it sees it, and narrows by QP, product and period', async () => {
    expect(idsOf((await register('--org', SPONSOR, '--format', 'json')).stdout)).toEqual([A1]);
    expect(idsOf((await register('--org', OTHER_SPONSOR, '--format', 'json')).stdout)).toEqual([
      B1,
    ]);
    const qpB = personIn(PAIR_B.certifier, 'qp').personId;
    expect(idsOf((await register('--qualified-person', qpB, '--format', 'json')).stdout)).toEqual([
      B1,
    ]);
    // Another pair's QP, asked as the first pair's sponsor: nothing.
    expect(
      idsOf(
        (await register('--org', SPONSOR, '--qualified-person', qpB, '--format', 'json')).stdout,
      ),
    ).toEqual([]);
    expect(idsOf((await register('--product', PAIR_A.product, '--format', 'json')).stdout)).toEqual(
      [A1],
    );
    expect(
      idsOf(
        (await register('--certified-from', '2026-04-11T00:00:00Z', '--format', 'json')).stdout,
      ),
    ).toEqual([B1]);
  });

  it('writes to a file and says how many entries it holds', async () => {
    const out = join(dir, 'register.csv');
    const { code, stderr } = await register('--out', out);
    expect(code).toBe(0);
    expect(stderr).toContain(`2 entries written to ${out}`);
    expect((await readFile(out, 'utf8')).trim().split('\n')).toHaveLength(3);
  });

  it('refuses a format or an instant it cannot use, saying which', async () => {
    const format = await register('--format', 'xlsx');
    expect(format.code).toBe(2);
    expect(format.stderr).toContain('--format is csv or json, not xlsx');
    const instant = await register('--certified-to', 'tomorrow');
    expect(instant.code).toBe(2);
    expect(instant.stderr).toContain('--certified-to tomorrow is not an instant');
  });
});
