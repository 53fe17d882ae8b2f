import { DeciderSpecification } from '@concord/testing';
import { describe, it } from 'vitest';
import type { DispositionDecision } from '../events/batch-events.ts';
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
  SPONSOR,
} from '../test-support/fixtures.ts';
import { batchDecider } from './batch-decider.ts';

const spec = DeciderSpecification.for(batchDecider);

function dispose(
  decision: DispositionDecision,
  options: { actor?: Actor; meaning?: SignatureMeaning; conditions?: string } = {},
) {
  const actor = options.actor ?? people.sponsorQa;
  const data = {
    batchId: BATCH,
    decision,
    signature: signature(actor, options.meaning ?? 'approval', at(1100)),
    ...(options.conditions === undefined ? {} : { conditions: options.conditions }),
  };
  return batchCommand('concord.batch.disposition-recorded.v1', data, actor, { at: at(1100) });
}

const accepted = (command: ReturnType<typeof dispose>) => ({
  type: command.type,
  data: command.data,
});

describe('QA disposition', () => {
  it('releases a tested batch with a CoA', () => {
    spec
      .given(batchHistory.coaIssued)
      .when(dispose('released'))
      .then(accepted(dispose('released')));
  });

  it('refuses a disposition before QC testing', () => {
    spec
      .given(batchHistory.recordReviewed)
      .when(dispose('released'))
      .thenThrows('batch.out-of-order');
  });

  it('refuses release while a linked major deviation is open', () => {
    spec
      .given([...batchHistory.coaIssued, batch.majorDeviationLinked])
      .when(dispose('released'))
      .thenThrows('batch.release-blocked.open-deviation');
  });

  it('refuses conditional release while a linked major deviation is open', () => {
    spec
      .given([...batchHistory.coaIssued, batch.majorDeviationLinked])
      .when(dispose('conditionally-released', { conditions: 'Stability at 3 months' }))
      .thenThrows('batch.release-blocked.open-deviation');
  });

  it('releases despite an open minor deviation, and once the major one is closed', () => {
    spec
      .given([...batchHistory.coaIssued, batch.minorDeviationLinked])
      .when(dispose('released'))
      .then(accepted(dispose('released')));
    spec
      .given([...batchHistory.coaIssued, batch.majorDeviationLinked, batch.deviationLinkClosed])
      .when(dispose('released'))
      .then(accepted(dispose('released')));
  });

  it('refuses release when a minor deviation is reclassified major', () => {
    spec
      .given([...batchHistory.coaIssued, batch.minorDeviationLinked, batch.majorDeviationLinked])
      .when(dispose('released'))
      .thenThrows('batch.release-blocked.open-deviation');
  });

  it('refuses release while an OOS investigation is open', () => {
    spec
      .given([...batchHistory.qcTesting, batch.qcFailed, batch.oosOpened])
      .when(dispose('released'))
      .thenThrows('batch.release-blocked.open-oos');
  });

  it('refuses release after a confirmed OOS result, accepts rejection', () => {
    const history = [
      ...batchHistory.qcTesting,
      batch.qcFailed,
      batch.oosOpened,
      batch.oosConfirmed,
    ];
    spec.given(history).when(dispose('released')).thenThrows('batch.release-blocked.confirmed-oos');
    spec
      .given(history)
      .when(dispose('rejected'))
      .then(accepted(dispose('rejected')));
  });

  it('rejects or quarantines while a major deviation is open', () => {
    const history = [...batchHistory.coaIssued, batch.majorDeviationLinked];
    spec
      .given(history)
      .when(dispose('rejected'))
      .then(accepted(dispose('rejected')));
    spec
      .given(history)
      .when(dispose('quarantined'))
      .then(accepted(dispose('quarantined')));
  });

  it('needs conditions for a conditional release', () => {
    spec
      .given(batchHistory.coaIssued)
      .when(dispose('conditionally-released'))
      .thenThrows('batch.conditions-required');
    const withConditions = dispose('conditionally-released', {
      conditions: 'Stability at 3 months',
    });
    spec.given(batchHistory.coaIssued).when(withConditions).then(accepted(withConditions));
  });

  it('lets a quarantined batch be released later, but a release is final', () => {
    spec
      .given([...batchHistory.coaIssued, batch.quarantined])
      .when(dispose('released'))
      .then(accepted(dispose('released')));
    spec.given(batchHistory.released).when(dispose('rejected')).thenThrows('batch.out-of-order');
  });

  it('refuses the CDMO when the agreement gives disposition to the sponsor', () => {
    spec
      .given(batchHistory.coaIssued)
      .when(dispose('released', { actor: people.cdmoQa }))
      .thenThrows('authorization.not-responsible-party');
  });

  it('refuses a disposition signed without QA role or with the meaning "responsibility"', () => {
    const analyst: Actor = { personId: 'p-analyst', organizationId: SPONSOR, roles: ['analyst'] };
    spec
      .given(batchHistory.coaIssued)
      .when(dispose('released', { actor: analyst }))
      .thenThrows('signature.wrong-role');
    spec
      .given(batchHistory.coaIssued)
      .when(dispose('released', { meaning: 'responsibility' }))
      .thenThrows('signature.wrong-meaning');
  });
});
