// A subscriber process for the crash test: records every event it handles in the same
// transaction as its checkpoint, so the parent can kill it anywhere and count what it saw.
import { pgDatabase } from '@concord/sql';
import { PostgresEventStore } from './postgres-event-store.ts';

const [url, subscriberId] = process.argv.slice(2);
if (!url || !subscriberId)
  throw new Error('usage: test-subscriber-worker.ts DATABASE_URL SUBSCRIBER_ID');
const store = await PostgresEventStore.open(
  pgDatabase({ connectionString: url, maxConnections: 2 }),
);
store.subscribe(
  subscriberId,
  async (events, { sql }) => {
    await sql.query(
      `insert into seen_by_subscriber (subscriber_id, position, event_id)
       select $1, p, id from unnest($2::bigint[], $3::text[]) as e(p, id)`,
      [subscriberId, events.map((e) => e.globalPosition.toString()), events.map((e) => e.id)],
    );
  },
  { batchSize: 7, pollIntervalMs: 100, onError: () => process.exit(3) },
);
process.stdout.write('ready\n');
