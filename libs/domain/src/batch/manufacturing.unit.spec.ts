import { DeciderSpecification } from '@concord/testing';
import { describe, expect, it } from 'vitest';
import { at, batchCommand, batchHistory, BATCH, people } from '../test-support/fixtures.ts';
import { batchDecider } from './batch-decider.ts';

const spec = DeciderSpecification.for(batchDecider);
const start = batchCommand(
  'concord.batch.manufacturing-started.v1',
  { batchId: BATCH, startedAt: at(60) },
  people.cdmoProduction,
);
const hold = batchCommand(
  'concord.batch.manufacturing-held.v1',
  { batchId: BATCH, heldAt: at(90), reason: 'Pressure alarm' },
  people.cdmoProduction,
);
const resume = batchCommand(
  'concord.batch.manufacturing-resumed.v1',
  { batchId: BATCH, resumedAt: at(120), reason: 'Alarm cleared' },
  people.cdmoProduction,
);
const abort = batchCommand(
  'concord.batch.manufacturing-aborted.v1',
  { batchId: BATCH, abortedAt: at(130), reason: 'Bioreactor failure' },
  people.cdmoProduction,
);
const complete = batchCommand(
  'concord.batch.manufacturing-completed.v1',
  { batchId: BATCH, completedAt: at(600), actualQuantity: { value: 198, unit: 'L' } },
  people.cdmoProduction,
);

describe('manufacturing', () => {
  it('starts a scheduled batch', () => {
    spec.given(batchHistory.scheduled).when(start).then({ type: start.type, data: start.data });
  });

  it('refuses events on a batch that was never scheduled', () => {
    spec.given([]).when(start).thenThrows('batch.not-scheduled');
  });

  it('refuses a command about another batch', () => {
    spec
      .given(batchHistory.scheduled)
      .when({ ...start, data: { ...start.data, batchId: 'b-2' } })
      .thenThrows('command.subject-mismatch');
  });

  it('refuses to start twice', () => {
    spec.given(batchHistory.inManufacture).when(start).thenThrows('batch.out-of-order');
  });

  it('holds and resumes a running batch', () => {
    spec.given(batchHistory.inManufacture).when(hold).then({ type: hold.type, data: hold.data });
    spec.given(batchHistory.held).when(resume).then({ type: resume.type, data: resume.data });
  });

  it('refuses to hold a batch that has not started, or resume one that is not held', () => {
    spec.given(batchHistory.scheduled).when(hold).thenThrows('batch.out-of-order');
    spec.given(batchHistory.inManufacture).when(resume).thenThrows('batch.out-of-order');
  });

  it('aborts a held batch', () => {
    spec.given(batchHistory.held).when(abort).then({ type: abort.type, data: abort.data });
  });

  it('refuses to abort a completed batch', () => {
    spec.given(batchHistory.manufacturingComplete).when(abort).thenThrows('batch.out-of-order');
  });

  it('refuses everything but corrections after an abort', () => {
    spec.given(batchHistory.aborted).when(resume).thenThrows('batch.out-of-order');
    spec.given(batchHistory.aborted).when(complete).thenThrows('batch.out-of-order');
    spec.given(batchHistory.aborted).when(abort).thenThrows('batch.out-of-order');
  });

  it('completes a running batch, not a held one', () => {
    spec
      .given(batchHistory.inManufacture)
      .when(complete)
      .then({ type: complete.type, data: complete.data });
    spec.given(batchHistory.held).when(complete).thenThrows('batch.out-of-order');
  });

  it('refuses manufacturing events from another CDMO (as if no such batch) or from the sponsor', () => {
    spec
      .given(batchHistory.scheduled)
      .when({ ...start, metadata: { ...start.metadata, actor: people.otherCdmoProduction } })
      .thenThrows('subject.unknown');
    spec
      .given(batchHistory.scheduled)
      .when({ ...start, metadata: { ...start.metadata, actor: people.sponsorQa } })
      .thenThrows('authorization.not-responsible-party');
  });
});

describe('an act out of order', () => {
  it('is refused naming the acts that may come next', () => {
    const ship = batchCommand(
      'concord.batch.shipped.v1',
      {
        batchId: BATCH,
        shipmentId: 'shp-1',
        shippedAt: at(50),
        destination: 'Depot',
        quantity: { value: 1, unit: 'L' },
      },
      people.cdmoProduction,
    );
    spec
      .given(batchHistory.inManufacture)
      .when(ship)
      .thenThrows((error) => {
        expect(error).toMatchObject({
          code: 'batch.out-of-order',
          message:
            'concord.batch.shipped.v1 cannot be recorded while the batch is in-manufacture. What may come next: concord.batch.manufacturing-held.v1, concord.batch.manufacturing-aborted.v1, concord.batch.manufacturing-completed.v1.',
          details: {
            next: [
              'concord.batch.manufacturing-held.v1',
              'concord.batch.manufacturing-aborted.v1',
              'concord.batch.manufacturing-completed.v1',
            ],
          },
        });
        return true;
      });
    spec
      .given(batchHistory.aborted)
      .when(ship)
      .thenThrows((error) => {
        expect((error as Error).message).toContain(
          'Its lifecycle has ended (a correction is still accepted).',
        );
        return true;
      });
  });
});
