import { eventStoreContract } from '@concord/event-store/contract-suite';
import { pgliteDatabase } from '@concord/sql';
import { describeWithKurrentDb } from '@concord/test-infra/vitest';
import { KurrentDbEventStore } from './kurrentdb-event-store.ts';

// KurrentDB events cannot be changed once written, so the suite runs without `tamper`. The
// checkpoints and the id index live in an in-memory PGlite that both stores of the restart test
// share, as two processes would share Concord's SQL database.
describeWithKurrentDb('KurrentDbEventStore', ({ connectionString }) => {
  eventStoreContract(
    async () => {
      const checkpoints = await pgliteDatabase();
      const open = () => KurrentDbEventStore.open({ connectionString, checkpoints });
      const store = await open();
      return {
        store,
        reopen: open,
        dispose: async () => {
          await store.close();
          await checkpoints.close();
        },
      };
    },
    { tamper: false, reopen: true },
  );
});
