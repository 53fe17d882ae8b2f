export { announceChanges, listenToChanges, READ_MODEL_CHANNEL } from './change-announcements.ts';
export { migrateReadModel, pendingReadModelMigrations } from './migrate-read-model.ts';
export {
  Projector,
  ProjectionError,
  RebuildInProgressError,
  type DeadLetter,
  type DeadLetterResolution,
  type DeadLetterResolver,
  type DeadLetterRetry,
  type ProjectorLogger,
  type ProjectorOptions,
  type RebuildProgress,
} from './projector.ts';
export {
  ProjectionChunk,
  type ChunkWrites,
  type ReadModelChange,
  type RowLoader,
} from './projections/project-chunk.ts';
export {
  blocksReleaseOutright,
  isReleaseReady,
  releaseBlockers,
  releaseBlockersOf,
} from './projections/readiness.ts';
export type * from './projections/rows.ts';
export { readModelTables, sqlRowLoader, writeChunk } from './sql-rows.ts';
export {
  QP_REGISTER_COLUMNS,
  QP_REGISTER_ORDER,
  qpRegisterCsv,
  qpRegisterWhere,
  readQpRegister,
  type QpRegisterEntry,
  type QpRegisterFilter,
} from './qp-register.ts';
export {
  READER_ROLE,
  ReadScope,
  readModelPrisma,
  scopedReadModel,
  type ReadScopeOptions,
  type ReadModelPrisma,
  type ReadModelPrismaOptions,
  type ReadModelSource,
  type ScopedReadModel,
} from './read-model-client.ts';
export type { Batch, Deviation, Organization } from './generated/prisma/client.ts';
export { getDatamodel } from './generated/pothos-types.ts';
export type { default as PrismaTypes } from './generated/pothos-types.ts';
export { sqlDeadlineIndex } from './deadline-index.ts';
