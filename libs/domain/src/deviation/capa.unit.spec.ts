import { DeciderSpecification } from '@concord/testing';
import { describe, it } from 'vitest';
import type { Actor } from '../shared/command.ts';
import {
  agreementWith,
  asMinor,
  at,
  DEVIATION,
  deviationCommand,
  deviationHistory,
  people,
  signature,
} from '../test-support/fixtures.ts';
import { deviationDecider } from './deviation-decider.ts';

const spec = DeciderSpecification.for(deviationDecider);
const propose = deviationCommand(
  'concord.deviation.capa-proposed.v1',
  {
    deviationId: DEVIATION,
    capaId: 'capa-2',
    actions: [{ description: 'Add redundant sensor', owner: 'Engineering', dueDate: '2026-05-01' }],
  },
  people.cdmoQa,
);
function approve(
  actor: Actor,
  capaId = 'capa-1',
  options: { agreementCdmoApproves?: boolean } = {},
) {
  return deviationCommand(
    'concord.deviation.capa-approved.v1',
    { deviationId: DEVIATION, capaId, signature: signature(actor, 'approval', at(0)) },
    actor,
    options.agreementCdmoApproves ? { agreement: agreementWith('deviation-approval', 'cdmo') } : {},
  );
}
const accepted = (command: { type: string; data: unknown }) =>
  ({ type: command.type, data: command.data }) as never;

describe('CAPA', () => {
  it('is proposed after the impact assessment, and may be revised before approval', () => {
    spec
      .given(deviationHistory.rootCauseIdentified)
      .when(propose)
      .thenThrows('deviation.out-of-order');
    spec.given(deviationHistory.impactAssessed).when(propose).then(accepted(propose));
    spec.given(deviationHistory.capaProposed).when(propose).then(accepted(propose));
  });

  it("of a major deviation is approved by the sponsor's QA", () => {
    spec
      .given(deviationHistory.capaProposed)
      .when(approve(people.sponsorQa))
      .then(accepted(approve(people.sponsorQa)));
  });

  it('of a major deviation is refused from the CDMO, even when the agreement lets it approve', () => {
    spec
      .given(deviationHistory.capaProposed)
      .when(approve(people.cdmoQa, 'capa-1', { agreementCdmoApproves: true }))
      .thenThrows('deviation.sponsor-approval-required');
  });

  it('of a minor deviation is approved by whom the agreement names', () => {
    const minor = asMinor(deviationHistory.capaProposed);
    const byCdmo = approve(people.cdmoQa, 'capa-1', { agreementCdmoApproves: true });
    spec.given(minor).when(byCdmo).then(accepted(byCdmo));
    spec
      .given(minor)
      .when(approve(people.cdmoQa))
      .thenThrows('authorization.not-responsible-party');
  });

  it('refuses approving a CAPA that was not proposed', () => {
    spec
      .given(deviationHistory.capaProposed)
      .when(approve(people.sponsorQa, 'capa-9'))
      .thenThrows('deviation.unknown-capa');
    spec
      .given(deviationHistory.impactAssessed)
      .when(approve(people.sponsorQa))
      .thenThrows('deviation.out-of-order');
  });

  it('refuses an approval without the QA role', () => {
    const analyst: Actor = { ...people.sponsorQa, personId: 'p-analyst', roles: ['analyst'] };
    spec
      .given(deviationHistory.capaProposed)
      .when(approve(analyst))
      .thenThrows('signature.wrong-role');
  });
});
