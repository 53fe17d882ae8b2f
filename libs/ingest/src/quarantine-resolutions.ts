import { fileURLToPath } from 'node:url';
import { migrate, type SqlDatabase } from '@concord/sql';

const MIGRATIONS = fileURLToPath(new URL('../migrations', import.meta.url));

/** What an operator did with a quarantined record (`<partition>:<offset>` on the topic). */
export interface QuarantineResolution {
  ref: string;
  eventId: string | null;
  action: 'retried' | 'skipped';
  reason: string;
  actor: string;
  resolvedAt: Date;
}

export interface QuarantineResolutions {
  record(resolution: Omit<QuarantineResolution, 'resolvedAt'>): Promise<void>;
  /** Every resolution, newest first. */
  list(): Promise<QuarantineResolution[]>;
}

/** The resolutions in the platform's SQL database, beside ingest's answers; applies migrations. */
export async function sqlQuarantineResolutions(db: SqlDatabase): Promise<QuarantineResolutions> {
  await migrate(db, { directory: MIGRATIONS, table: 'ingest_migrations' });
  return {
    async record({ ref, eventId, action, reason, actor }) {
      await db.query(
        `insert into ingest_quarantine_resolutions (ref, event_id, action, reason, actor)
         values ($1, $2, $3, $4, $5)`,
        [ref, eventId, action, reason, actor],
      );
    },
    async list() {
      const { rows } = await db.query<{
        ref: string;
        event_id: string | null;
        action: QuarantineResolution['action'];
        reason: string;
        actor: string;
        resolved_at: Date | string;
      }>(
        `select ref, event_id, action, reason, actor, resolved_at
           from ingest_quarantine_resolutions order by id desc`,
      );
      return rows.map((row) => ({
        ref: row.ref,
        eventId: row.event_id,
        action: row.action,
        reason: row.reason,
        actor: row.actor,
        resolvedAt: new Date(row.resolved_at),
      }));
    },
  };
}
