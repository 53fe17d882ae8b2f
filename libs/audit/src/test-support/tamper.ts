import { eventHash, type EventStore } from '@concord/event-store';
import type { SqlDatabase } from '@concord/sql';

/**
 * What someone with write access to the database could do behind the store's back. Triggers are
 * switched off for the statement (`session_replication_role = replica`), as a superuser could, so
 * a guard in the schema is no obstacle either: only verification stands in the way.
 */
export async function tamper(db: SqlDatabase, sql: string, params: unknown[] = []): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.query('set local session_replication_role = replica');
    await tx.query(sql, params);
  });
}

/**
 * The insider's next step: recompute the hash chain of a stream from what is now stored, so that
 * every hash matches again. Only a partner's signature, made with a key the platform never had,
 * still tells.
 */
export async function rewriteChain(
  db: SqlDatabase,
  store: EventStore,
  streamId: string,
): Promise<void> {
  const events = await store.readStream(streamId);
  let previousHash: string | null = null;
  for (const event of events) {
    const hash = eventHash({ ...event, previousHash });
    await tamper(db, 'update es_events set hash = $1, previous_hash = $2 where event_id = $3', [
      hash,
      previousHash,
      event.id,
    ]);
    previousHash = hash;
  }
  await tamper(db, 'update es_streams set head_hash = $1 where stream_id = $2', [
    previousHash,
    streamId,
  ]);
}

/** Keeps a copy of the store's tables, to undo each tampering before the next test. */
export async function backUpStore(db: SqlDatabase): Promise<() => Promise<void>> {
  await db.exec(`
    drop table if exists audit_backup_events; drop table if exists audit_backup_streams;
    create table audit_backup_events as select * from es_events;
    create table audit_backup_streams as select * from es_streams;`);
  return async () => {
    await db.transaction(async (tx) => {
      await tx.query('set local session_replication_role = replica');
      await tx.exec(`
        delete from es_events; insert into es_events select * from audit_backup_events;
        delete from es_streams; insert into es_streams select * from audit_backup_streams;`);
    });
  };
}

/** A base64 signature with one bit of one byte flipped. */
export function flipSignatureByte(signature: string, index = 7): string {
  const bytes = Buffer.from(signature, 'base64');
  bytes[index] = bytes[index]! ^ 0x01;
  return bytes.toString('base64');
}

/**
 * The insider changes the story's quality agreement (the product it covers) in its first version
 * and recomputes that stream's hash chain: only the platform's signature still tells. Returns the
 * stream and the changed event.
 */
export async function rewriteAgreementTerms(
  db: SqlDatabase,
  store: EventStore,
): Promise<{ streamId: string; eventId: string }> {
  const streamId = 'agreement-qa-htx-nb-2026';
  const [approved] = await store.readStream(streamId);
  await tamper(
    db,
    `update es_events set data = jsonb_set(data, '{products,0,name}', '"Another product"')
     where event_id = $1`,
    [approved!.id],
  );
  await rewriteChain(db, store, streamId);
  return { streamId, eventId: approved!.id };
}

/**
 * The insider swaps two neighbours of the global order that belong to different streams: each
 * stream keeps its own order and chain, so only the log's order (a checkpoint) tells.
 */
export async function swapGlobalNeighbours(db: SqlDatabase, store: EventStore): Promise<void> {
  const all = await store.readAll({ maxCount: 1_000 });
  const index = all.findIndex((event, i) => i > 0 && all[i - 1]!.streamId !== event.streamId);
  const [first, second] = [all[index - 1]!, all[index]!];
  const move = (eventId: string, position: bigint) =>
    tamper(db, 'update es_events set global_position = $2 where event_id = $1', [
      eventId,
      String(position),
    ]);
  await move(first.id, 0n);
  await move(second.id, first.globalPosition);
  await move(first.id, second.globalPosition);
}
