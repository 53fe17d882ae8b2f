import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pgliteDatabase } from '@concord/sql';
import { PostgresEventStore } from '@concord/event-store-postgres';
import { IngestPipeline, startDeviationBatchLinker } from '@concord/ingest';
import { migrateReadModel, Projector } from '@concord/read-model';
import { validateEvent } from '@concord/contract';
import { loadOrCreateDemoKeys } from './src/demo-keys.ts';
import { seedDemoWorld } from './src/seed-demo-world.ts';
import { DEMO_PARTNERSHIPS } from './src/demo-world.ts';
import { PartnerEvents } from './src/feed/partner-events.ts';
import { batchSteps } from './src/feed/workflows.ts';

const mode = process.argv[2] ?? 'none';
const keys = await loadOrCreateDemoKeys(join(mkdtempSync(join(tmpdir(), 'demo-')), 'keys.json'));
const db = await pgliteDatabase();
const store = await PostgresEventStore.open(db);
await migrateReadModel(db);
await seedDemoWorld(store, { keys });
if (mode.includes('proj')) new Projector({ store, db }).start((e) => console.log('proj error', e));
if (mode.includes('link'))
  startDeviationBatchLinker({ store, onError: (e) => console.log('link error', e) });
const pipeline = new IngestPipeline({ store });
const events = new PartnerEvents(keys);
const t0 = Date.now();
let done = 0;
const watchdog = setInterval(() => console.log(mode, 'at', Date.now() - t0, 'done', done), 5000);
await Promise.all(
  [0, 1, 2, 3, 4, 5, 6, 7].map(async (n) => {
    const p = DEMO_PARTNERSHIPS[n % 4]!;
    const steps = batchSteps(
      {
        kind: 'batch',
        agreementId: p.agreementId,
        batchId: `b-x-${n}`,
        batchNumber: `X-${n}`,
        scenario: n < 4 ? 'clean' : 'oos-invalidated',
        step: 0,
        dueAt: 0,
      },
      p,
      events,
    );
    for (const step of steps) {
      const built = step.build(new Date());
      const [o] = await pipeline.ingestMany(
        built.map((e) => ({ channelOrganizationId: step.sender, decoded: validateEvent(e) })),
      );
      if (o!.status !== 'accepted') console.log(o);
      done++;
    }
  }),
);
clearInterval(watchdog);
console.log(mode, 'finished', done, 'in', Date.now() - t0);
process.exit(0);
