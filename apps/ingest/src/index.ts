export {
  CheckpointPublisher,
  DEFAULT_CHECKPOINT_INTERVAL_MS,
  startLogCheckpoints,
  type CheckpointPublication,
  type CheckpointPublisherOptions,
  type LogCheckpoints,
  type LogCheckpointsOptions,
} from './checkpoints.ts';
export { IngestConsumer, type IngestConsumerOptions } from './ingest-consumer.ts';
export {
  startIngestService,
  type IngestService,
  type IngestServiceOptions,
} from './ingest-service.ts';
export { IngestMetrics } from './metrics.ts';
export {
  OutboundPublisher,
  OutboundSendTimeoutError,
  toCloudEvent,
  type OutboundPublisherOptions,
} from './outbound-publisher.ts';
export { inboundTopicsIn, partnerOrganizationsIn, topics, type Topics } from './topics.ts';
export {
  QuarantineDesk,
  type QuarantineActor,
  type QuarantineDeskOptions,
  type QuarantinedRecord,
  type QuarantineRetry,
} from './quarantine-desk.ts';
