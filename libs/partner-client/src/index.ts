export { HttpStatusError, InvalidEventError, PartnerClientError } from './errors.ts';
export { uuidv7 } from './ids.ts';
export {
  createPartner,
  sourcePrefix,
  type EventOptions,
  type Partner,
  type PartnerOptions,
} from './partner.ts';
export type { IngestOutcome } from './outcome.ts';
export type { RetryOptions } from './retry.ts';
export { httpTransport, type HttpTransport, type HttpTransportOptions } from './http-transport.ts';
export {
  checkpointOf,
  kafkaTransport,
  partnerTopics,
  receiptOf,
  subscribeOutcomes,
  type KafkaConnection,
  type KafkaTransport,
  type KafkaTransportOptions,
  type OutcomeSubscription,
  type ReceivedRecord,
  type SubscribeOutcomesOptions,
} from './kafka-transport.ts';
export type { SignedCheckpoint, SignedReceipt } from '@concord/verifier';
