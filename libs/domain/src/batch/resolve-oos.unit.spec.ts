import { DeciderSpecification } from '@concord/testing';
import { describe, it } from 'vitest';
import {
  at,
  batch,
  batchCommand,
  batchHistory,
  BATCH,
  people,
  signature,
} from '../test-support/fixtures.ts';
import { batchDecider } from './batch-decider.ts';

const spec = DeciderSpecification.for(batchDecider);
const withOpenOos = [...batchHistory.qcTesting, batch.qcFailed, batch.oosOpened];

function resolve(
  actor: (typeof people)[keyof typeof people] = people.cdmoQa,
  investigationId = 'oos-r-endotoxin',
) {
  return batchCommand(
    'concord.batch.oos-resolved.v1',
    {
      batchId: BATCH,
      investigationId,
      outcome: 'invalidated',
      rootCause: 'Pipetting error',
      signature: signature(actor, 'approval', at(900)),
    },
    actor,
    { at: at(900) },
  );
}

describe('resolving an OOS investigation', () => {
  it('resolves an open investigation, signed by QA', () => {
    spec
      .given(withOpenOos)
      .when(resolve())
      .then({ type: 'concord.batch.oos-resolved.v1', data: resolve().data });
  });

  it('refuses an unknown investigation', () => {
    spec
      .given(withOpenOos)
      .when(resolve(people.cdmoQa, 'oos-other'))
      .thenThrows('batch.unknown-investigation');
  });

  it('refuses to resolve an investigation twice', () => {
    spec
      .given([...withOpenOos, batch.oosInvalidated])
      .when(resolve())
      .thenThrows('batch.investigation-already-resolved');
  });

  it('refuses a resolution signed without the QA role', () => {
    spec.given(withOpenOos).when(resolve(people.cdmoQc)).thenThrows('signature.wrong-role');
  });
});
