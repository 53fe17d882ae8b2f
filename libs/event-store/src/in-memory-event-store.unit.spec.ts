import { describe } from 'vitest';
import { eventStoreContract } from './contract-suite.ts';
import { InMemoryEventStore } from './in-memory-event-store.ts';

describe('InMemoryEventStore', () => {
  eventStoreContract(
    async () => {
      const store = new InMemoryEventStore();
      return { store, dispose: () => store.close() };
    },
    { tamper: false, reopen: false, atomicAppendMany: true },
  );
});
