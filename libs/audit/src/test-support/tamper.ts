import { randomUUID } from 'node:crypto';
import { generateSigningKey, signEvent } from '@concord/contract';
import { eventHash, type EventStore } from '@concord/event-store';
import { storedEventId } from '@concord/ingest';
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

/** The insider flips one bit of the signature stored in an event's metadata (not its envelope's). */
export async function flipStoredSignature(db: SqlDatabase, eventId: string): Promise<void> {
  const [row] = (
    await db.query<{ signature: string }>(
      `select metadata->>'signature' as signature from es_events where event_id = $1`,
      [eventId],
    )
  ).rows;
  await tamper(
    db,
    `update es_events set metadata = jsonb_set(metadata, '{signature}', to_jsonb($2::text)) where event_id = $1`,
    [eventId, flipSignatureByte(row!.signature)],
  );
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

/** The insider removes a stream's last event and moves the stream's head back: every chain holds. */
export async function truncateStreamTail(
  db: SqlDatabase,
  store: EventStore,
  streamId: string,
): Promise<{ removedEventId: string }> {
  const events = await store.readStream(streamId);
  const [last, previous] = [events.at(-1)!, events.at(-2)!];
  await tamper(db, 'delete from es_events where event_id = $1', [last.id]);
  await tamper(db, 'update es_streams set version = $2, head_hash = $3 where stream_id = $1', [
    streamId,
    previous.streamVersion,
    previous.hash,
  ]);
  return { removedEventId: last.id };
}

/**
 * The insider deletes a stream's second event, renumbers the ones after it and recomputes the
 * chain: the stream verifies on its own.
 */
export async function deleteAndRenumber(
  db: SqlDatabase,
  store: EventStore,
  streamId: string,
): Promise<{ removedEventId: string }> {
  const [, second] = await store.readStream(streamId);
  await tamper(db, 'delete from es_events where event_id = $1', [second!.id]);
  await tamper(
    db,
    // Two steps, through free numbers: (stream, version) is unique at every row.
    `update es_events set stream_version = stream_version + 999999
     where stream_id = $1 and stream_version > 2`,
    [streamId],
  );
  await tamper(
    db,
    'update es_events set stream_version = stream_version - 1000000 where stream_id = $1 and stream_version > 999999',
    [streamId],
  );
  await tamper(db, 'update es_streams set version = version - 1 where stream_id = $1', [streamId]);
  await rewriteChain(db, store, streamId);
  return { removedEventId: second!.id };
}

/**
 * The insider registers a signing key of their own for `organizationId`, appending straight to
 * the database (through the store's API: the chain stays intact, but no platform signature), and
 * records a forged copy of the stream's first `type` event, with a changed value, signed with it.
 */
export async function forgeWithInsiderKey(
  store: EventStore,
  organizationId: string,
  streamId: string,
  type: string,
): Promise<{ insiderKeyId: string; forgedEventId: string }> {
  const insiderKey = { keyId: `${organizationId}:insider`, ...generateSigningKey() };
  await store.append(`organization-${organizationId}`, [
    {
      id: randomUUID(),
      type: 'concord.organization.signing-key-registered.v1',
      data: {
        organizationId,
        keyId: insiderKey.keyId,
        algorithm: 'Ed25519',
        publicKey: insiderKey.publicKey,
        validFrom: '2026-01-01T00:00:00Z',
      },
      metadata: { source: 'urn:concord:platform', actororg: 'concord' },
    },
  ]);
  const genuine = (await store.readStream(streamId)).find((event) => event.type === type)!;
  const envelope = genuine.metadata.envelope as Record<string, unknown>;
  const data = { ...genuine.data, value: 99.9, resultId: 'qc-forged' };
  const { signature: _signature, signaturekeyid: _keyId, ...unsigned } = envelope;
  const forged = signEvent({ ...unsigned, id: `forged-${randomUUID()}`, data }, insiderKey);
  const { data: _data, ...forgedEnvelope } = forged;
  const forgedEventId = storedEventId(String(envelope.source), forged.id);
  await store.append(streamId, [
    {
      id: forgedEventId,
      type: genuine.type,
      data,
      metadata: {
        ...genuine.metadata,
        signature: forged.signature,
        signaturekeyid: forged.signaturekeyid,
        envelope: forgedEnvelope as never,
      },
    },
  ]);
  return { insiderKeyId: insiderKey.keyId, forgedEventId };
}
