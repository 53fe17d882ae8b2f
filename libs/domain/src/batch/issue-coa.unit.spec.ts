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

function coa(actor: (typeof people)[keyof typeof people] = people.cdmoQc) {
  return batchCommand(
    'concord.batch.coa-issued.v1',
    {
      batchId: BATCH,
      coaId: 'coa-9',
      issuedAt: at(1000),
      signature: signature(actor, 'authorship', at(1000)),
    },
    actor,
    { at: at(1000) },
  );
}

describe('issuing the certificate of analysis', () => {
  it('issues a CoA once QC testing has results', () => {
    spec
      .given(batchHistory.qcTesting)
      .when(coa())
      .then({ type: 'concord.batch.coa-issued.v1', data: coa().data });
  });

  it('refuses a CoA before any QC result', () => {
    spec.given(batchHistory.recordReviewed).when(coa()).thenThrows('batch.out-of-order');
  });

  it('refuses a CoA while an OOS investigation is open, accepts it once invalidated', () => {
    spec
      .given([...batchHistory.qcTesting, batch.qcFailed, batch.oosOpened])
      .when(coa())
      .thenThrows('batch.coa-blocked.open-oos');
    spec
      .given([...batchHistory.qcTesting, batch.qcFailed, batch.oosOpened, batch.oosInvalidated])
      .when(coa())
      .then({ type: 'concord.batch.coa-issued.v1', data: coa().data });
  });

  it('issues a CoA after a disposition that had none, but never a second CoA', () => {
    spec
      .given([...batchHistory.qcTesting, batch.quarantined])
      .when(coa())
      .then({ type: 'concord.batch.coa-issued.v1', data: coa().data });
    spec.given(batchHistory.coaIssued).when(coa()).thenThrows('batch.out-of-order');
    spec.given(batchHistory.released).when(coa()).thenThrows('batch.out-of-order');
  });

  it('refuses a CoA signed by production', () => {
    spec
      .given(batchHistory.qcTesting)
      .when(coa(people.cdmoProduction))
      .thenThrows('signature.wrong-role');
  });
});
