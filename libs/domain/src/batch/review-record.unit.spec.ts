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

function review(
  options: {
    outcome?: 'approved' | 'returned';
    actor?: (typeof people)[keyof typeof people];
    meaning?: 'review' | 'approval';
    signedAt?: string;
    signer?: (typeof people)[keyof typeof people];
  } = {},
) {
  const actor = options.actor ?? people.cdmoQa;
  return batchCommand(
    'concord.batch.record-reviewed.v1',
    {
      batchId: BATCH,
      outcome: options.outcome ?? 'approved',
      signature: signature(
        options.signer ?? actor,
        options.meaning ?? 'review',
        options.signedAt ?? at(700),
      ),
    },
    actor,
    { at: at(700) },
  );
}

describe('batch record review', () => {
  it('records an approved review signed by QA with the meaning "review"', () => {
    const command = review();
    spec
      .given(batchHistory.manufacturingComplete)
      .when(command)
      .then({
        type: command.type,
        data: command.data,
        metadata: {
          id: 'cmd-1',
          time: at(700),
          recordedtime: at(700),
          actorid: people.cdmoQa.personId,
          actororg: people.cdmoQa.organizationId,
          actorrole: 'qa',
        },
      });
  });

  it('refuses a review before manufacturing completes', () => {
    spec.given(batchHistory.inManufacture).when(review()).thenThrows('batch.out-of-order');
  });

  it('accepts a second review after the record was returned, refuses one after approval', () => {
    const returned = review({ outcome: 'returned' });
    spec
      .given([...batchHistory.manufacturingComplete, { ...batch.reviewed, data: returned.data }])
      .when(review())
      .then({ type: 'concord.batch.record-reviewed.v1', data: review().data });
    spec.given(batchHistory.recordReviewed).when(review()).thenThrows('batch.out-of-order');
  });

  it('refuses a review without a signature', () => {
    const command = review();
    const { signature: _signature, ...unsigned } = command.data;
    spec
      .given(batchHistory.manufacturingComplete)
      .when({ ...command, data: unsigned as typeof command.data })
      .thenThrows('signature.missing');
  });

  it('refuses a reviewer without the QA role', () => {
    spec
      .given(batchHistory.manufacturingComplete)
      .when(review({ actor: people.cdmoQc }))
      .thenThrows('signature.wrong-role');
  });

  it('refuses a review signature with another meaning', () => {
    spec
      .given(batchHistory.manufacturingComplete)
      .when(review({ meaning: 'approval' }))
      .thenThrows('signature.wrong-meaning');
  });

  it('refuses a signature by someone other than the acting person', () => {
    spec
      .given(batchHistory.manufacturingComplete)
      .when(review({ signer: people.sponsorQa }))
      .thenThrows('signature.signer-mismatch');
  });

  it('accepts a signature within five minutes of the act and refuses one further away', () => {
    spec
      .given(batchHistory.manufacturingComplete)
      .when(review({ signedAt: at(705) }))
      .then({ type: 'concord.batch.record-reviewed.v1', data: review({ signedAt: at(705) }).data });
    spec
      .given(batchHistory.manufacturingComplete)
      .when(review({ signedAt: at(706) }))
      .thenThrows('signature.time-mismatch');
  });
});
