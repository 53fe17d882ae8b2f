import { DeciderSpecification } from '@concord/testing';
import { describe, it } from 'vitest';
import {
  BATCH,
  DEVIATION,
  deviationCommand,
  deviationHistory,
  people,
} from '../test-support/fixtures.ts';
import { deviationDecider } from './deviation-decider.ts';

const spec = DeciderSpecification.for(deviationDecider);
const classify = deviationCommand(
  'concord.deviation.classified.v1',
  {
    deviationId: DEVIATION,
    severity: 'critical',
    category: 'equipment',
    rationale: 'Sterility at risk',
  },
  people.cdmoQa,
);
const update = deviationCommand(
  'concord.deviation.investigation-updated.v1',
  { deviationId: DEVIATION, summary: 'Interviews done' },
  people.cdmoQa,
);
const rootCause = deviationCommand(
  'concord.deviation.root-cause-identified.v1',
  { deviationId: DEVIATION, rootCause: 'Sensor failure', rootCauseCategory: 'equipment' },
  people.cdmoQa,
);
const impact = (batchId: string) =>
  deviationCommand(
    'concord.deviation.batch-impact-assessed.v1',
    { deviationId: DEVIATION, assessments: [{ batchId, impact: 'none', conclusion: 'No impact' }] },
    people.cdmoQa,
  );
const accepted = (command: { type: string; data: unknown }) =>
  ({ type: command.type, data: command.data }) as never;

describe('investigating a deviation', () => {
  it('refuses anything on a deviation that was never reported', () => {
    spec.given([]).when(classify).thenThrows('deviation.not-reported');
  });

  it('classifies a reported deviation and reclassifies it during the investigation', () => {
    spec.given(deviationHistory.reported).when(classify).then(accepted(classify));
    spec.given(deviationHistory.capaProposed).when(classify).then(accepted(classify));
  });

  it('refuses a reclassification once closure is approved', () => {
    spec
      .given(deviationHistory.closureApproved)
      .when(classify)
      .thenThrows('deviation.out-of-order');
  });

  it('updates the investigation only after classification', () => {
    spec.given(deviationHistory.reported).when(update).thenThrows('deviation.out-of-order');
    spec.given(deviationHistory.classified).when(update).then(accepted(update));
  });

  it('identifies the root cause only during the investigation', () => {
    spec.given(deviationHistory.classified).when(rootCause).thenThrows('deviation.out-of-order');
    spec.given(deviationHistory.underInvestigation).when(rootCause).then(accepted(rootCause));
  });

  it('assesses the impact on linked batches after the root cause', () => {
    spec
      .given(deviationHistory.underInvestigation)
      .when(impact(BATCH))
      .thenThrows('deviation.out-of-order');
    spec
      .given(deviationHistory.rootCauseIdentified)
      .when(impact(BATCH))
      .then(accepted(impact(BATCH)));
  });

  it('refuses an impact assessment of a batch the deviation does not name', () => {
    spec
      .given(deviationHistory.rootCauseIdentified)
      .when(impact('b-9'))
      .thenThrows('deviation.unknown-batch');
  });

  it('refuses the sponsor investigating when the CDMO investigates', () => {
    spec
      .given(deviationHistory.reported)
      .when({ ...classify, metadata: { ...classify.metadata, actor: people.sponsorQa } })
      .thenThrows('authorization.not-responsible-party');
  });

  it('refuses a command about another deviation', () => {
    spec
      .given(deviationHistory.reported)
      .when({ ...classify, data: { ...classify.data, deviationId: 'dev-2' } })
      .thenThrows('command.subject-mismatch');
  });

  it('refuses without the agreement in force, or with another one', () => {
    spec
      .given(deviationHistory.reported)
      .when({ ...classify, context: {} })
      .thenThrows('authorization.no-agreement');
    spec
      .given(deviationHistory.reported)
      .when({
        ...classify,
        context: { agreement: { ...classify.context.agreement!, agreementId: 'qa-2' } },
      })
      .thenThrows('authorization.wrong-agreement');
  });
});
