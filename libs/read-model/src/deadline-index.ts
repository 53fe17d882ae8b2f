import type { SqlExecutor } from '@concord/sql';

/**
 * The deviations whose next deadline warning falls due by `now` (the projection keeps
 * `next_deadline_check` at the earliest instant a warning not yet given falls due): what the
 * deadline process looks at each round, earliest first.
 */
export function sqlDeadlineIndex(sql: SqlExecutor): {
  dueBy(now: string, limit: number): Promise<string[]>;
} {
  return {
    async dueBy(now, limit) {
      const { rows } = await sql.query<{ id: string }>(
        `select id from rm_deviations
          where next_deadline_check is not null and next_deadline_check <= $1::timestamptz
          order by next_deadline_check, id limit $2`,
        [now, limit],
      );
      return rows.map((row) => row.id);
    },
  };
}
