import { DeciderSpecification } from '@concord/testing';
import { describe, it } from 'vitest';
import type { Actor } from '../shared/command.ts';
import type { SignatureMeaning } from '../shared/vocabulary.ts';
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

function certify(options: { actor?: Actor; meaning?: SignatureMeaning } = {}) {
  const actor = options.actor ?? people.sponsorQp;
  return batchCommand(
    'concord.batch.qp-certified.v1',
    {
      batchId: BATCH,
      registerEntryId: 'reg-7',
      certifiedAt: at(1200),
      signature: signature(actor, options.meaning ?? 'responsibility', at(1200)),
    },
    actor,
    { at: at(1200) },
  );
}
const certified = { type: 'concord.batch.qp-certified.v1' as const, data: certify().data };

describe('QP certification', () => {
  it('certifies a released batch with a CoA, by a QP signing for responsibility', () => {
    spec.given(batchHistory.released).when(certify()).then(certified);
  });

  it('certifies when the CoA came after the release', () => {
    spec
      .given([...batchHistory.qcTesting, batch.released, batch.coaIssued])
      .when(certify())
      .then(certified);
  });

  it('needs a released disposition', () => {
    spec.given(batchHistory.coaIssued).when(certify()).thenThrows('qp.requires-release');
    spec.given(batchHistory.qcTesting).when(certify()).thenThrows('qp.requires-release');
    spec
      .given([...batchHistory.coaIssued, batch.quarantined])
      .when(certify())
      .thenThrows('qp.requires-release');
  });

  it('does not certify a conditionally released batch', () => {
    spec
      .given([...batchHistory.coaIssued, batch.conditionallyReleased])
      .when(certify())
      .thenThrows('qp.requires-release');
  });

  it('needs an issued CoA', () => {
    spec
      .given([...batchHistory.qcTesting, batch.released])
      .when(certify())
      .thenThrows('qp.requires-coa');
  });

  it('refuses certification while a linked major deviation is open, accepts once it closes', () => {
    spec
      .given([...batchHistory.released, batch.majorDeviationLinked])
      .when(certify())
      .thenThrows('batch.release-blocked.open-deviation');
    spec
      .given([...batchHistory.released, batch.majorDeviationLinked, batch.deviationLinkClosed])
      .when(certify())
      .then(certified);
  });

  it('refuses certification while an OOS investigation is open', () => {
    // A history the decider would not produce (release is blocked by the OOS too): the check holds
    // on its own.
    spec
      .given([
        ...batchHistory.qcTesting,
        batch.qcFailed,
        batch.oosOpened,
        batch.coaIssued,
        batch.released,
      ])
      .when(certify())
      .thenThrows('batch.release-blocked.open-oos');
  });

  it('refuses a certifier without the QP role', () => {
    spec
      .given(batchHistory.released)
      .when(certify({ actor: people.sponsorQa }))
      .thenThrows('signature.wrong-role');
  });

  it('refuses a certification signed as "approval"', () => {
    spec
      .given(batchHistory.released)
      .when(certify({ meaning: 'approval' }))
      .thenThrows('signature.wrong-meaning');
  });

  it("refuses the CDMO's QP when the agreement gives certification to the sponsor", () => {
    spec
      .given(batchHistory.released)
      .when(certify({ actor: people.cdmoQp }))
      .thenThrows('authorization.not-responsible-party');
  });

  it('refuses a second certification', () => {
    spec.given(batchHistory.certified).when(certify()).thenThrows('batch.out-of-order');
  });

  it('refuses certification before QC testing', () => {
    spec.given(batchHistory.recordReviewed).when(certify()).thenThrows('batch.out-of-order');
  });
});
