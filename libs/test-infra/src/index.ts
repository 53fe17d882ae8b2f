export { dockerAvailable } from './docker.ts';
export {
  kafkaAnswers,
  resolveKafka,
  startPrivateKafkaBroker,
  startPrivateKafkaCluster,
  type KafkaTarget,
  type PrivateKafkaBroker,
  type PrivateKafkaCluster,
  type ResolvedKafka,
} from './kafka.ts';
export { resolveKurrentDb, type KurrentDbTarget, type ResolvedKurrentDb } from './kurrentdb.ts';
export {
  describeGcPauses,
  recordGcPauses,
  summarizeGcPauses,
  type GcPause,
  type GcPauseLog,
  type GcPauses,
} from './gc-pauses.ts';
export { randomGroupId, randomTopic, uniqueName } from './names.ts';
export { parsePrometheusText, type Family, type Sample } from './prometheus-text.ts';
export { tcpAnswers } from './net.ts';
export {
  createTestDatabase,
  LOCAL_POSTGRES_URL,
  postgresAnswers,
  resolvePostgres,
  type PostgresTarget,
  type TestDatabase,
} from './postgres.ts';
export {
  bringUpServices,
  describeTargets,
  MissingServiceError,
  targetsToEnv,
  type RunningServices,
  type ServiceTargets,
} from './services.ts';
export { waitFor, WaitForTimeoutError, type WaitForOptions } from './wait-for.ts';
export {
  busyCores,
  busyCoresDuring,
  describeBusyCores,
  processGroups,
  sampleCpu,
  type BusyCores,
  type CpuSample,
  type ProcessGroups,
} from './process-cpu.ts';
