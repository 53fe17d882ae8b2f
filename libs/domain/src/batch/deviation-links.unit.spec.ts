import { DeciderSpecification } from '@concord/testing';
import { describe, it } from 'vitest';
import { platformActor } from '../shared/command.ts';
import {
  at,
  batch,
  batchCommand,
  batchHistory,
  BATCH,
  DEVIATION,
  people,
} from '../test-support/fixtures.ts';
import { batchDecider } from './batch-decider.ts';

const spec = DeciderSpecification.for(batchDecider);
const link = batchCommand(
  'concord.batch.deviation-linked.v1',
  { batchId: BATCH, deviationId: DEVIATION, severity: 'critical' },
  platformActor,
  { at: at(500), agreement: undefined },
);
const closeLink = batchCommand(
  'concord.batch.deviation-link-closed.v1',
  { batchId: BATCH, deviationId: DEVIATION },
  platformActor,
  { at: at(2000), agreement: undefined },
);

describe('deviation links (from the process manager)', () => {
  it('links a deviation in any status, even after shipment', () => {
    spec.given(batchHistory.inManufacture).when(link).then({ type: link.type, data: link.data });
    spec.given(batchHistory.shipped).when(link).then({ type: link.type, data: link.data });
    spec.given(batchHistory.aborted).when(link).then({ type: link.type, data: link.data });
  });

  it('refuses a link on a batch that was never scheduled', () => {
    spec.given([]).when(link).thenThrows('batch.not-scheduled');
  });

  it('refuses links sent by a partner', () => {
    spec
      .given(batchHistory.inManufacture)
      .when({ ...link, metadata: { ...link.metadata, actor: people.cdmoQa } })
      .thenThrows('authorization.platform-only');
  });

  it('closes an open link, refuses to close an unknown one', () => {
    spec
      .given([...batchHistory.inManufacture, batch.majorDeviationLinked])
      .when(closeLink)
      .then({ type: closeLink.type, data: closeLink.data });
    spec
      .given(batchHistory.inManufacture)
      .when(closeLink)
      .thenThrows('batch.unknown-deviation-link');
    spec
      .given([...batchHistory.inManufacture, batch.majorDeviationLinked, batch.deviationLinkClosed])
      .when(closeLink)
      .thenThrows('batch.unknown-deviation-link');
  });
});

describe('events only deciders emit', () => {
  const forged = {
    type: 'concord.batch.oos-investigation-opened.v1',
    data: { batchId: BATCH, resultId: 'r-1', investigationId: 'oos-r-1', openedAt: at(0) },
    metadata: link.metadata,
    context: {},
  };

  it('refuses an OOS investigation opened by a partner', () => {
    spec
      .given(batchHistory.qcTesting)
      .when({ ...forged, metadata: { ...forged.metadata, actor: people.cdmoQc } } as never)
      .thenThrows('authorization.platform-only');
  });

  it('refuses it even from the platform: only the decider opens OOS investigations', () => {
    spec
      .given(batchHistory.qcTesting)
      .when(forged as never)
      .thenThrows('command.unsupported');
  });
});
