import { decorateStore, InMemoryEventStore } from '@concord/event-store';
import { beforeEach, describe, expect, it } from 'vitest';
import { IngestPipeline } from './ingest-pipeline.ts';
import { inMemoryOutcomeLog } from './outcome-log.ts';
import type { Outcome } from './outcome.ts';
import { reactTo } from './process-manager.ts';
import {
  CDMO,
  SPONSOR,
  seedPartnerWorld,
  type PartnerWorld,
} from './test-support/partner-world.ts';

describe('the deviation ↔ batch process manager', () => {
  let store: InMemoryEventStore;
  let world: PartnerWorld;
  let pipeline: IngestPipeline;
  let handled = 0n;
  beforeEach(async () => {
    store = new InMemoryEventStore();
    world = await seedPartnerWorld(store);
    pipeline = new IngestPipeline({ store, outcomes: inMemoryOutcomeLog() });
    handled = await store.headPosition();
  });

  /** Runs the process manager over everything recorded since it last ran. */
  const settle = async () => {
    for (const event of await store.readAll({ after: handled, maxCount: 10_000 })) {
      await reactTo(store, event);
      handled = event.globalPosition;
    }
  };
  const send = async (
    organizationId: string,
    path: string,
    data: Record<string, unknown> = {},
  ): Promise<Outcome> => {
    const outcome = await pipeline.ingest(
      world.incoming(world.partnerEvent(organizationId, path, {}, data)),
    );
    await settle();
    return outcome;
  };
  const codeOf = (outcome: Outcome) =>
    outcome.status === 'rejected' ? outcome.rejection.code : 'accepted';

  it('blocks a release while a linked major deviation is open and allows it once it is closed', async () => {
    for (const path of [
      'batch/scheduled.v1',
      'batch/manufacturing-started.v1',
      'batch/manufacturing-completed.v1',
      'batch/record-reviewed.v1',
      'deviation/reported.v1',
      'deviation/classified.v1',
    ]) {
      expect(codeOf(await send(CDMO, path)), path).toBe('accepted');
    }
    const batch = await store.readStream('batch-northbridge-bio:b-nb-hlv201-26-0117');
    expect(batch.map((e) => e.type)).toContain('concord.batch.deviation-linked.v1');
    // A QC result within its limits (purity >= 97 %), so only the deviation stands in the way.
    expect(codeOf(await send(CDMO, 'batch/qc-result-recorded.v1', { value: 98.9 }))).toBe(
      'accepted',
    );
    expect(codeOf(await send(CDMO, 'batch/disposition-recorded.v1'))).toMatch(
      /^batch\.release-blocked\.open-deviation/,
    );

    for (const path of [
      'deviation/investigation-updated.v1',
      'deviation/root-cause-identified.v1',
      'deviation/batch-impact-assessed.v1',
      'deviation/capa-proposed.v1',
    ]) {
      expect(codeOf(await send(CDMO, path)), path).toBe('accepted');
    }
    expect(codeOf(await send(SPONSOR, 'deviation/capa-approved.v1'))).toBe('accepted');
    expect(codeOf(await send(SPONSOR, 'deviation/closure-approved.v1'))).toBe('accepted');
    expect(codeOf(await send(CDMO, 'deviation/closed.v1'))).toBe('accepted');
    const links = (await store.readStream('batch-northbridge-bio:b-nb-hlv201-26-0117')).map(
      (e) => e.type,
    );
    expect(links).toContain('concord.batch.deviation-link-closed.v1');
    expect(codeOf(await send(CDMO, 'batch/disposition-recorded.v1'))).toBe('accepted');
  });

  it('records each link once when the same deviation event is handled again', async () => {
    for (const path of ['batch/scheduled.v1', 'deviation/reported.v1']) await send(CDMO, path);
    const reported = (await store.readStream('deviation-northbridge-bio:dev-nb-26-0042'))[0]!;
    await reactTo(store, reported);
    await reactTo(store, reported);
    const linked = (await store.readStream('batch-northbridge-bio:b-nb-hlv201-26-0117')).filter(
      (e) => e.type === 'concord.batch.deviation-linked.v1',
    );
    expect(linked).toHaveLength(1);
  });

  it("reads a deviation's earlier events only when it has any", async () => {
    for (const path of ['batch/scheduled.v1', 'deviation/reported.v1', 'deviation/classified.v1'])
      await send(CDMO, path);
    const deviation = 'deviation-northbridge-bio:dev-nb-26-0042';
    const stored = await store.readStream(deviation);
    const reported = stored.find((e) => e.type === 'concord.deviation.reported.v1');
    const classified = stored.find((e) => e.type === 'concord.deviation.classified.v1');
    const reads: (number | undefined)[] = [];
    const counted = decorateStore(store, {
      readStream: (streamId, options) => {
        if (streamId === deviation) reads.push(options?.maxCount);
        return store.readStream(streamId, options);
      },
    });
    // Its first event has nothing before it: no read (one that asks for none is a round trip).
    await reactTo(counted, reported!);
    expect(reads).toEqual([]);
    await reactTo(counted, classified!);
    expect(reads).toEqual([classified!.streamVersion - 1]);
  });
});
