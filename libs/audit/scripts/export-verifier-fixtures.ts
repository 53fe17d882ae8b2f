// Exports the evidence bundles the verifier package's own tests and its page's browser test check:
// the story batch recorded through real ingest into PGlite (the embedded PostgreSQL), signed by a
// platform key made for the fixtures, and exported by `exportEvidenceBundle`, untouched and after
// each kind of tampering an insider could do in the database (tampered/<kind>.json). The verifier may depend on nothing of the workspace, so its
// tests read these files: run this again when the bundle format or the record changes.
//   pnpm --filter @concord/audit run export-verifier-fixtures
import { randomUUID } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { generatePlatformKey, logTreeHead, publicHalf, signCheckpoint } from '@concord/evidence';
import { pgliteDatabase } from '@concord/sql';
import { exportEvidenceBundle } from '../src/evidence-bundle.ts';
import { recordSignedStory } from '../src/test-support/batch-story.ts';
import { CDMO } from '@concord/ingest/test-support';
import {
  backUpStore,
  deleteAndRenumber,
  flipStoredSignature,
  forgeWithInsiderKey,
  rewriteAgreementTerms,
  swapGlobalNeighbours,
  tamper,
  truncateStreamTail,
} from '../src/test-support/tamper.ts';

const OUT = fileURLToPath(new URL('../../verifier/src/test-support/fixture/', import.meta.url));

const platformKey = generatePlatformKey('2026-01-01T00:00:00.000Z');
const keyring = [publicHalf(platformKey)];
const db = await pgliteDatabase();
const { raw: store, story } = await recordSignedStory(db, platformKey);
// What a partner kept on 1 June; the log then grows by two events elsewhere.
const kept = signCheckpoint(await logTreeHead(store), platformKey, '2026-06-01T00:00:00.000Z');
for (let i = 0; i < 2; i++)
  await story.store.append(`agreement-${randomUUID()}`, [
    { id: randomUUID(), type: 'concord.agreement.terminated.v1', data: {} },
  ]);
const options = {
  platformKey,
  platformKeyring: keyring,
  since: [kept.treeSize],
  clock: () => new Date('2026-06-02T00:00:00.000Z'),
};
const bundle = await exportEvidenceBundle(store, story.batchId, options);
const batchStream = `batch-${story.batchId}`;

// Each thing an insider with write access to the database might do, undone before the next; the
// platform (which signs whatever its database holds) then exports the batch again.
const insiders: Record<string, () => Promise<unknown>> = {
  'data-updated': () =>
    tamper(
      db,
      `update es_events set data = jsonb_set(data, '{value}', '99.9') where event_id = $1`,
      [story.ids.qcResult],
    ),
  'signature-flipped': () => flipStoredSignature(db, story.ids.disposition),
  'row-deleted': async () => {
    const [, second] = await store.readStream(batchStream);
    await tamper(db, 'delete from es_events where event_id = $1', [second!.id]);
  },
  'deleted-renumbered-rechained': () => deleteAndRenumber(db, store, batchStream),
  'tail-truncated': () => truncateStreamTail(db, store, batchStream),
  'global-order-swapped': () => swapGlobalNeighbours(db, store),
  'agreement-rewritten': () => rewriteAgreementTerms(db, store),
  'insider-key-forgery': () =>
    forgeWithInsiderKey(store, CDMO, batchStream, 'concord.batch.qc-result-recorded.v1'),
};
const restore = await backUpStore(db);
const tampered: Record<string, unknown> = {};
for (const [name, act] of Object.entries(insiders)) {
  await act();
  tampered[name] = await exportEvidenceBundle(store, story.batchId, options);
  await restore();
}

await rm(OUT, { recursive: true, force: true });
await mkdir(`${OUT}tampered`, { recursive: true });
const write = (name: string, value: unknown) =>
  writeFile(`${OUT}${name}`, `${JSON.stringify(value, null, 1)}\n`);
await write('bundle.json', bundle);
for (const [name, value] of Object.entries(tampered)) await write(`tampered/${name}.json`, value);
await write('keyring.json', { keys: keyring });
await write('kept-checkpoint.json', kept);
await store.close();
console.info(`verifier fixtures written to ${OUT}`);
