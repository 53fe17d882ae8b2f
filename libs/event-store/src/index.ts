export {
  ConcurrencyError,
  EventIdConflictError,
  EventStoreError,
  InvalidAppendError,
} from './errors.ts';
export { contentHash, eventHash, type HashedFields } from './hash-chain.ts';
export { decorateStore } from './decorate.ts';
export { InMemoryEventStore } from './in-memory-event-store.ts';
export { delay, runSubscription, type SubscriptionSource } from './subscription-runner.ts';
export {
  superviseSubscription,
  type SuperviseOptions,
  type SupervisedSubscription,
} from './supervise.ts';
export type {
  AppendOptions,
  AppendResult,
  EventMetadata,
  EventStore,
  ExpectedVersion,
  Json,
  JsonObject,
  NewEvent,
  ReadAllOptions,
  ReadStreamOptions,
  RecordedEvent,
  StreamInfo,
  StreamMetadata,
  SubscribeOptions,
  Subscription,
  SubscriptionHandler,
  VerifyResult,
} from './types.ts';
export { assertExpectedVersion, assertValidAppend } from './validation.ts';
export { StreamChain, verifyStreams, type ChainBreak, type StoredStream } from './verify.ts';
