export {
  PostgresEventStore,
  type PostgresEventStoreOptions,
  type PostgresSubscriptionContext,
} from './postgres-event-store.ts';
