import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validateEvent } from '@concord/contract';
import { InMemoryEventStore, type RecordedEvent } from '@concord/event-store';
import { inMemoryOutcomeLog, IngestPipeline, reactTo, type Outcome } from '@concord/ingest';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadOrCreateDemoKeys, type DemoKeys } from '../demo-keys.ts';
import { WORLD_PARTNERSHIPS, type WorldPartnership } from '@concord/contract/world';
import { seedDemoWorld } from '../seed-demo-world.ts';
import { PartnerEvents } from './partner-events.ts';
import {
  batchSteps,
  blocksRelease,
  detectedAtFor,
  deviationSteps,
  SCENARIO_ROTATION,
  type BatchScenario,
  type BatchWorkflow,
  type DeviationWorkflow,
  type Step,
} from './workflows.ts';

/**
 * Plays every scenario of every partnership step by step through the real ingest pipeline (no
 * HTTP, an in-memory store), with the deviation ↔ batch process manager reacting after each
 * step as the running platform does. A deviation a step discovers is played to its closure
 * right away, so the batch's release comes after it, as the feed's gate ensures.
 */
describe('demo workflows through the ingest pipeline', () => {
  let keys: DemoKeys;
  let store: InMemoryEventStore;
  let pipeline: IngestPipeline;
  let events: PartnerEvents;
  let position = 0n;

  beforeAll(async () => {
    keys = await loadOrCreateDemoKeys(join(mkdtempSync(join(tmpdir(), 'demo-')), 'keys.json'));
    store = new InMemoryEventStore();
    await seedDemoWorld(store, { keys });
    pipeline = new IngestPipeline({ store, outcomes: inMemoryOutcomeLog() });
    events = new PartnerEvents(keys);
    position = await store.headPosition();
  });

  async function send(step: Step): Promise<{ outcome: Outcome; recorded: RecordedEvent[] }> {
    const built = step.build(new Date());
    expect(built).toHaveLength(1);
    const [outcome] = await pipeline.ingestMany(
      built.map((event) => ({ channelOrganizationId: step.sender, decoded: validateEvent(event) })),
    );
    const recorded: RecordedEvent[] = [];
    for (;;) {
      const batch = await store.readAll({ after: position, maxCount: 1_000 });
      if (batch.length === 0) break;
      for (const event of batch) await reactTo(store, event);
      recorded.push(...batch);
      position = batch.at(-1)!.globalPosition;
    }
    return { outcome: outcome!, recorded };
  }

  async function play(partnership: WorldPartnership, scenario: BatchScenario, n: number) {
    const code = partnership.product.code.toLowerCase();
    const batch: BatchWorkflow = {
      kind: 'batch',
      agreementId: partnership.agreementId,
      batchId: `${partnership.cdmoId}:b-test-${code}-${n}`,
      batchNumber: `${partnership.product.code}-TEST-${n}`,
      scenario,
      step: 0,
      dueAt: 0,
    };
    const recorded: RecordedEvent[] = [];
    const refused: Outcome[] = [];
    for (let index = 0; ; index++) {
      const step = batchSteps(batch, partnership, events)[index];
      if (!step) break;
      const result = await send(step);
      recorded.push(...result.recorded);
      if (result.outcome.status !== 'accepted') refused.push(result.outcome);
      if (!step.discovers) continue;
      const deviation: DeviationWorkflow = {
        kind: 'deviation',
        agreementId: partnership.agreementId,
        deviationId: `${partnership.cdmoId}:dev-test-${code}-${n}`,
        deviationNumber: `DEV-TEST-${n}`,
        capaId: `capa-test-${code}-${n}`,
        batchId: batch.batchId,
        batchNumber: batch.batchNumber,
        story: step.discovers,
        detectedAt: detectedAtFor(step.discovers, partnership, new Date()),
        step: 0,
        dueAt: 0,
      };
      if (blocksRelease(step.discovers)) batch.blockedBy = deviation.deviationId;
      for (const deviationStep of deviationSteps(deviation, partnership, events)) {
        const played = await send(deviationStep);
        recorded.push(...played.recorded);
        if (played.outcome.status !== 'accepted') refused.push(played.outcome);
      }
    }
    return { batch, recorded, refused };
  }

  const cases = WORLD_PARTNERSHIPS.flatMap((partnership) =>
    [...new Set(SCENARIO_ROTATION)].map((scenario) => [partnership, scenario] as const),
  );

  it.each(cases.map(([p, s], n) => [p.agreementId, s, p, n] as const))(
    '%s, %s: every event accepted',
    async (_agreement, scenario, partnership, n) => {
      const { batch, recorded, refused } = await play(partnership, scenario, n);
      expect(refused).toEqual([]);
      const types = recorded
        .filter((e) => e.streamId === `batch-${batch.batchId}`)
        .map((e) => e.type);
      const rejected = scenario === 'oos-confirmed' || scenario === 'critical-deviation';
      expect(types.at(-1)).toBe(
        rejected ? 'concord.batch.disposition-recorded.v1' : 'concord.batch.shipped.v1',
      );
      if (scenario.startsWith('oos'))
        expect(types).toContain('concord.batch.oos-investigation-opened.v1');
      if (blocksReleaseScenario(scenario)) {
        // The batch knew of the open deviation, and of its closure before its disposition.
        const linked = types.indexOf('concord.batch.deviation-linked.v1');
        const closed = types.indexOf('concord.batch.deviation-link-closed.v1');
        const disposition = types.indexOf('concord.batch.disposition-recorded.v1');
        expect(linked).toBeGreaterThan(-1);
        expect(closed).toBeGreaterThan(linked);
        expect(disposition).toBeGreaterThan(closed);
      }
      const late = recorded.some((e) => e.type === 'concord.deviation.reported-late.v1');
      expect(late).toBe(scenario === 'major-deviation-reported-late');
    },
  );
});

function blocksReleaseScenario(scenario: BatchScenario): boolean {
  return (
    scenario === 'major-deviation' ||
    scenario === 'major-deviation-reported-late' ||
    scenario === 'critical-deviation'
  );
}
