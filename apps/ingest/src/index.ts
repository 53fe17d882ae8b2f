export { IngestConsumer, type IngestConsumerOptions } from './ingest-consumer.ts';
export {
  startIngestService,
  type IngestService,
  type IngestServiceOptions,
} from './ingest-service.ts';
export { IngestMetrics } from './metrics.ts';
export {
  OutboundPublisher,
  toCloudEvent,
  type OutboundPublisherOptions,
} from './outbound-publisher.ts';
export { topics, type Topics } from './topics.ts';
