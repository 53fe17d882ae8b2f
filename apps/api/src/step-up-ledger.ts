import { fileURLToPath } from 'node:url';
import type { StepUpLedger } from '@concord/auth';
import { migrate, type SqlDatabase } from '@concord/sql';

const MIGRATIONS = fileURLToPath(new URL('../migrations', import.meta.url));

/**
 * Used step-up credentials in the platform's SQL database (PostgreSQL or PGlite): shared by every
 * API replica and kept across restarts, so a credential re-entered for one e-signature signs
 * nothing else. Applies its migration.
 */
export async function sqlStepUpLedger(db: SqlDatabase): Promise<StepUpLedger> {
  await migrate(db, { directory: MIGRATIONS, table: 'api_migrations' });
  return {
    async consume(credential) {
      // Forget what can no longer be used anyway; the insert decides, atomically, who was first.
      await db.query('delete from used_step_ups where usable_until < now()');
      const { rows } = await db.query<{ credential_sha256: string }>(
        `insert into used_step_ups (credential_sha256, person_id, usable_until)
         values ($1, $2, $3)
         on conflict do nothing
         returning credential_sha256`,
        [credential.id, credential.personId, credential.usableUntil.toISOString()],
      );
      return rows.length === 1;
    },
  };
}
