export {
  databaseAnswers,
  postgresErrorOf,
  type SqlDatabase,
  type SqlExecutor,
  type SqlTransaction,
  type SqlSession,
} from './database.ts';
export { dollarQuoted, textArrayLiteral } from './copy-text.ts';
export { migrate, pendingMigrations, type MigrateOptions } from './migrate.ts';
export { pgDatabase, type PgConnectionEvent, type PgDatabaseOptions } from './pg-database.ts';
export {
  PGLITE_SHARED_BUFFERS,
  pgliteDatabase,
  type PgliteDatabase,
  type PgliteDatabaseOptions,
} from './pglite-database.ts';
export { sqlCheckpoints, type SqlCheckpoints, type SqlCheckpointsOptions } from './checkpoints.ts';
export { changeNotifications, type ChangeNotifications } from './change-notifications.ts';
export {
  logLeadership,
  soleLeader,
  sqlLeaderElections,
  type Elector,
  type LeaderWork,
  type Leadership,
  type LeadershipEvent,
  type LeadershipOptions,
} from './leadership.ts';
