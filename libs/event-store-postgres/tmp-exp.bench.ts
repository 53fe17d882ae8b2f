import pg from 'pg';
import { PostgresEventStore } from './src/index.ts';
import { pgDatabase } from '@concord/sql';
import { chainEvents } from '@concord/event-store';
const admin = new pg.Client({ connectionString: 'postgres://postgres@127.0.0.1:5432/postgres' });
await admin.connect();
await admin.query('drop database if exists exp_append');
await admin.query('create database exp_append');
const url = 'postgres://postgres@127.0.0.1:5432/exp_append';
const db = pgDatabase({ connectionString: url, maxConnections: 10 });
const store = await PostgresEventStore.open(db);
const pool = new pg.Pool({ connectionString: url, max: 10 });
await pool.query('create table raw_events (like es_events including all)');
const ev = (i: number, k: number) => ({ id: `urn:x:${i}/${k}`, type: 'concord.batch.manufacturing-held.v1', data: { batchId: `org:b-${i}`, reason: 'Temperature excursion in room 4', step: k, site: 'site-1' }, metadata: { source: 'urn:concord:org-cdmo-1:mes', actororg: 'org-cdmo-1', time: '2026-01-01T00:00:00.000Z', signature: 'x'.repeat(88) } });
const N = 200, B = 100, W = 8;
const batches = Array.from({ length: N }, (_, i) => Array.from({ length: B }, (_, k) => ev(i, k)));
async function t(name: string, f: (i: number) => Promise<unknown>) {
  const s = performance.now(); let next = 0;
  await Promise.all(Array.from({ length: W }, async () => { while (next < N) await f(next++); }));
  const ms = (performance.now() - s); console.log(name.padEnd(40), Math.round(N * B * 1000 / ms), 'ev/s');
}
let pos = 0;
const raw = (hash: (k: number) => string, prev: (k: number) => string | null, prefix: string) => async (i: number) => {
  const b = batches[i]!; const first = pos; pos += b.length;
  await pool.query(`insert into raw_events (global_position, transaction_id, stream_id, stream_version, event_id, event_type, data, metadata, recorded_at, hash, previous_hash)
    select p, pg_current_xact_id(), s, v, id, t, d::jsonb, m::jsonb, now(), h, ph from unnest($1::bigint[], $2::text[], $3::int[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[]) as e(p, s, v, id, t, d, m, h, ph)`,
    [b.map((_, k) => first + k + 1), b.map(() => `${prefix}-${i}`), b.map((_, k) => k + 1), b.map((e) => `${prefix}${e.id}`), b.map((e) => e.type), b.map((e) => JSON.stringify(e.data)), b.map((e) => JSON.stringify(e.metadata)), b.map((_, k) => hash(k)), b.map((_, k) => prev(k))]);
};
const chains = (p: string) => batches.map((b, i) => chainEvents(`${p}-${i}`, 0, null, b.map((e) => ({ ...e, id: `${p}${e.id}` })), new Date().toISOString()));
const direct = (p: string) => { const cs = chains(p); return async (i: number) => {
  const chain = cs[i]!; const recordedAt = chain[0]!.recordedAt;
  await pool.query(`select first_position from es_append_streams($1,$2,$3,$4,$5,$6,$7,$8,$9,$10)`, [[`${p}-${i}`], [0], [chain.length], recordedAt, chain.map((e) => e.id), chain.map((e) => e.type), chain.map((e) => JSON.stringify(e.data)), chain.map((e) => JSON.stringify(e.metadata)), chain.map((e) => e.hash), chain.map((e) => e.previousHash)]);
}; };
for (let r = 0; r < 2; r++) {
await t('raw, h', raw(() => 'h', () => null, `a${r}`));
await t('raw, 64-hex hashes', raw((k) => k.toString(16).padStart(64, 'f'), (k) => k.toString(16).padStart(64, 'e'), `b${r}`));
await t('store.append', (i) => store.append(`batched-${r}-${i}`, batches[i]!, { expectedVersion: 'no-stream' }));
await t('es_append_streams, chains precomputed', direct(`d${r}`));
}
await pool.end(); await store.close(); await admin.query('drop database exp_append'); await admin.end();
