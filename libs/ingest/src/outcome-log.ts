import { fileURLToPath } from 'node:url';
import { migrate, type SqlDatabase } from '@concord/sql';
import type { Outcome } from './outcome.ts';

const MIGRATIONS = fileURLToPath(new URL('../migrations', import.meta.url));

/** Which event an answer is for: the channel it came on and the source + id it carries. */
export interface OutcomeKey {
  channelOrganizationId: string;
  source: string;
  id: string;
}

/** An answer on record: the content it was given for (a digest) and the outcome itself. */
export interface RecordedAnswer {
  digest: string;
  outcome: Outcome;
}

/**
 * The durable record of every answer ingest gave, so that each event gets one answer forever.
 * `record` keeps the first answer for a key (concurrent writers race; one wins) and returns what is
 * on record for every key it was given.
 */
export interface OutcomeLog {
  find(keys: readonly OutcomeKey[]): Promise<Map<string, RecordedAnswer>>;
  record(
    answers: readonly (RecordedAnswer & { key: OutcomeKey })[],
  ): Promise<Map<string, RecordedAnswer>>;
}

/** One string per key, for maps (the parts cannot contain NUL). */
export const outcomeKeyString = (key: OutcomeKey): string =>
  `${key.channelOrganizationId}\u0000${key.source}\u0000${key.id}`;

type StoredOutcome = Omit<Extract<Outcome, { status: 'accepted' }>, 'positions'> & {
  positions: string[];
};

const toStored = (outcome: Outcome): object =>
  outcome.status === 'accepted'
    ? { ...outcome, positions: outcome.positions.map(String) }
    : outcome;

const fromStored = (stored: Outcome | StoredOutcome): Outcome =>
  stored.status === 'accepted'
    ? { ...stored, positions: stored.positions.map((p) => BigInt(p)) }
    : stored;

/** The outcome log in memory: for tests and the in-memory event store. */
export function inMemoryOutcomeLog(): OutcomeLog {
  const answers = new Map<string, string>();
  const read = (keys: readonly OutcomeKey[]) => {
    const found = new Map<string, RecordedAnswer>();
    for (const key of keys) {
      const id = outcomeKeyString(key);
      const stored = answers.get(id);
      if (stored === undefined) continue;
      const { digest, outcome } = JSON.parse(stored) as { digest: string; outcome: StoredOutcome };
      found.set(id, { digest, outcome: fromStored(outcome) });
    }
    return found;
  };
  return {
    find: async (keys) => read(keys),
    async record(entries) {
      for (const { key, digest, outcome } of entries) {
        const id = outcomeKeyString(key);
        if (!answers.has(id))
          answers.set(id, JSON.stringify({ digest, outcome: toStored(outcome) }));
      }
      return read(entries.map((entry) => entry.key));
    },
  };
}

interface OutcomeRow {
  channel_organization_id: string;
  source: string;
  event_id: string;
  digest: string;
  outcome: StoredOutcome | Outcome;
}

/** The outcome log in the platform's SQL database (PostgreSQL or PGlite); applies its migration. */
export async function sqlOutcomeLog(db: SqlDatabase): Promise<OutcomeLog> {
  await migrate(db, { directory: MIGRATIONS, table: 'ingest_migrations' });
  const columns = (keys: readonly OutcomeKey[]) => [
    keys.map((k) => k.channelOrganizationId),
    keys.map((k) => k.source),
    keys.map((k) => k.id),
  ];
  const find = async (keys: readonly OutcomeKey[]) => {
    const found = new Map<string, RecordedAnswer>();
    if (keys.length === 0) return found;
    const { rows } = await db.query<OutcomeRow>(
      `select o.channel_organization_id, o.source, o.event_id, o.digest, o.outcome
       from ingest_outcomes o
       join unnest($1::text[], $2::text[], $3::text[]) as k(channel, source, id)
         on o.channel_organization_id = k.channel and o.source = k.source and o.event_id = k.id`,
      columns(keys),
    );
    for (const row of rows) {
      const key = {
        channelOrganizationId: row.channel_organization_id,
        source: row.source,
        id: row.event_id,
      };
      found.set(outcomeKeyString(key), { digest: row.digest, outcome: fromStored(row.outcome) });
    }
    return found;
  };
  return {
    find,
    async record(entries) {
      if (entries.length === 0) return new Map();
      const { rows } = await db.query<Omit<OutcomeRow, 'outcome'>>(
        // One JSON text for all the rows, not six array literals: escaping every quote of every
        // outcome (receipts, signatures) into an array literal cost the client three times as
        // much, and the server parsed each outcome twice.
        `insert into ingest_outcomes
           (channel_organization_id, source, event_id, digest, status, outcome)
         select c, s, i, d, t, o
         from jsonb_to_recordset($1::jsonb) as r(c text, s text, i text, d text, t text, o jsonb)
         on conflict do nothing
         returning channel_organization_id, source, event_id, digest`,
        [
          JSON.stringify(
            entries.map(({ key, digest, outcome }) => ({
              c: key.channelOrganizationId,
              s: key.source,
              i: key.id,
              d: digest,
              t: outcome.status,
              o: toStored(outcome),
            })),
          ),
        ],
      );
      // What this call wrote is on record as given: only the keys another answer holds (another
      // instance, or an earlier entry of this call with the same key) are read back.
      const written = new Map(
        rows.map((row) => [
          outcomeKeyString({
            channelOrganizationId: row.channel_organization_id,
            source: row.source,
            id: row.event_id,
          }),
          row.digest,
        ]),
      );
      const onRecord = new Map<string, RecordedAnswer>();
      const elsewhere: OutcomeKey[] = [];
      for (const { key, digest, outcome } of entries) {
        const id = outcomeKeyString(key);
        if (onRecord.has(id)) continue;
        if (written.get(id) === digest) onRecord.set(id, { digest, outcome });
        else if (!written.has(id)) elsewhere.push(key);
      }
      for (const [id, answer] of await find(elsewhere)) onRecord.set(id, answer);
      return onRecord;
    },
  };
}
