export {
  KurrentDbEventStore,
  type KurrentDbConnection,
  type KurrentDbEventStoreOptions,
  type KurrentDbSubscriptionContext,
} from './kurrentdb-event-store.ts';
export {
  ENVELOPE_KEY,
  STREAM_METADATA_KEY,
  bigIntToPosition,
  kurrentEventId,
  positionToBigInt,
  type ConcordEnvelope,
} from './mapping.ts';
