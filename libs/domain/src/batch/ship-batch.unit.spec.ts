import { DeciderSpecification } from '@concord/testing';
import { describe, it } from 'vitest';
import { at, batchCommand, batchHistory, BATCH, people } from '../test-support/fixtures.ts';
import { batchDecider } from './batch-decider.ts';

const spec = DeciderSpecification.for(batchDecider);
const ship = batchCommand(
  'concord.batch.shipped.v1',
  {
    batchId: BATCH,
    shipmentId: 'ship-9',
    shippedAt: at(1300),
    destination: 'Sponsor DC Frankfurt',
    quantity: { value: 198, unit: 'L' },
  },
  people.cdmoProduction,
  { at: at(1300) },
);

describe('shipping', () => {
  it('ships a certified batch', () => {
    spec.given(batchHistory.certified).when(ship).then({ type: ship.type, data: ship.data });
  });

  it('refuses to ship a released but uncertified batch', () => {
    spec.given(batchHistory.released).when(ship).thenThrows('batch.out-of-order');
  });

  it('refuses to ship twice or to ship an aborted batch', () => {
    spec.given(batchHistory.shipped).when(ship).thenThrows('batch.out-of-order');
    spec.given(batchHistory.aborted).when(ship).thenThrows('batch.out-of-order');
  });

  it('refuses shipping by the sponsor when the CDMO ships', () => {
    spec
      .given(batchHistory.certified)
      .when({ ...ship, metadata: { ...ship.metadata, actor: people.sponsorQa } })
      .thenThrows('authorization.not-responsible-party');
  });
});
