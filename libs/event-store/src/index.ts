export {
  ConcurrencyError,
  EventIdConflictError,
  EventStoreError,
  InvalidAppendError,
} from './errors.ts';
export {
  chainEvents,
  chainEventTexts,
  contentHash,
  eventHash,
  type ChainedEvent,
  type HashedFields,
} from './hash-chain.ts';
export {
  appendEachInTurn,
  assertValidAppendMany,
  decorateStore,
  readEachStream,
} from './decorate.ts';
export { InMemoryEventStore } from './in-memory-event-store.ts';
export { delay, runSubscription, type SubscriptionSource } from './subscription-runner.ts';
export {
  superviseSubscription,
  type SuperviseOptions,
  type SupervisedSubscription,
} from './supervise.ts';
export type {
  AppendOptions,
  AppendRequest,
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
  StreamAppendOutcome,
  StreamMetadata,
  SubscribeOptions,
  Subscription,
  SubscriptionHandler,
  VerifyResult,
} from './types.ts';
export { assertExpectedVersion, assertValidAppend, meetsExpectedVersion } from './validation.ts';
export { StreamChain, verifyStreams, type ChainBreak, type StoredStream } from './verify.ts';
