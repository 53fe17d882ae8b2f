import { DeciderSpecification } from '@concord/testing';
import { describe, it } from 'vitest';
import type { Actor } from '../shared/command.ts';
import {
  agreementWith,
  asMinor,
  at,
  deviation,
  DEVIATION,
  deviationCommand,
  deviationHistory,
  people,
  signature,
} from '../test-support/fixtures.ts';
import { deviationDecider } from './deviation-decider.ts';

const spec = DeciderSpecification.for(deviationDecider);
function approveClosure(actor: Actor, cdmoApproves = false) {
  return deviationCommand(
    'concord.deviation.closure-approved.v1',
    { deviationId: DEVIATION, signature: signature(actor, 'approval', at(0)) },
    actor,
    cdmoApproves ? { agreement: agreementWith('deviation-approval', 'cdmo') } : {},
  );
}
function close(actor: Actor = people.cdmoQa) {
  return deviationCommand(
    'concord.deviation.closed.v1',
    {
      deviationId: DEVIATION,
      conclusion: 'No impact on product',
      signature: signature(actor, 'approval', at(0)),
    },
    actor,
  );
}
const accepted = (command: { type: string; data: unknown }) =>
  ({ type: command.type, data: command.data }) as never;

describe('closing a deviation', () => {
  it('closes a major deviation after the sponsor approved the closure', () => {
    spec
      .given(deviationHistory.capaApproved)
      .when(approveClosure(people.sponsorQa))
      .then(accepted(approveClosure(people.sponsorQa)));
    spec.given(deviationHistory.closureApproved).when(close()).then(accepted(close()));
  });

  it('refuses to close a major deviation without the sponsor closure approval', () => {
    spec
      .given(deviationHistory.capaApproved)
      .when(close())
      .thenThrows('deviation.sponsor-approval-required');
  });

  it('refuses a closure approval of a major deviation by the CDMO', () => {
    spec
      .given(deviationHistory.capaApproved)
      .when(approveClosure(people.cdmoQa, true))
      .thenThrows('deviation.sponsor-approval-required');
  });

  it('refuses a closure approval before the CAPA is approved', () => {
    spec
      .given(deviationHistory.capaProposed)
      .when(approveClosure(people.sponsorQa))
      .thenThrows('deviation.out-of-order');
  });

  it('closes a minor deviation without CAPA and without sponsor approval', () => {
    spec.given(asMinor(deviationHistory.impactAssessed)).when(close()).then(accepted(close()));
  });

  it('refuses to close a deviation before its impact is assessed', () => {
    spec
      .given(asMinor(deviationHistory.rootCauseIdentified))
      .when(close())
      .thenThrows('deviation.out-of-order');
    spec
      .given(deviationHistory.rootCauseIdentified)
      .when(close())
      .thenThrows('deviation.out-of-order');
  });

  it('refuses to close a closed deviation again, and anything else after closure', () => {
    spec.given(deviationHistory.closed).when(close()).thenThrows('deviation.already-closed');
    spec
      .given(deviationHistory.closed)
      .when(
        deviationCommand(
          'concord.deviation.investigation-updated.v1',
          { deviationId: DEVIATION, summary: 'late note' },
          people.cdmoQa,
        ),
      )
      .thenThrows('deviation.already-closed');
  });

  it('accepts a correction of a recorded value after closure, never of the signed closure', () => {
    const correction = deviationCommand(
      'concord.correction.recorded.v1',
      {
        correctedEventId: deviation.investigating.metadata?.id ?? '',
        changes: [
          {
            path: '/summary',
            oldValue: 'Logger data pulled',
            newValue: 'Logger data pulled for cold room 2',
          },
        ],
        reason: 'Wording agreed with the sponsor',
      },
      people.cdmoQa,
    );
    spec.given(deviationHistory.closed).when(correction).then(accepted(correction));
    spec
      .given(deviationHistory.closed)
      .when({ ...correction, data: { ...correction.data, correctedEventId: 'nope' } })
      .thenThrows('correction.unknown-event');
    spec
      .given(deviationHistory.closed)
      .when({
        ...correction,
        data: {
          ...correction.data,
          correctedEventId: deviation.closed.metadata?.id ?? '',
          changes: [
            {
              path: '/conclusion',
              oldValue: 'No impact',
              newValue: 'No impact on product quality',
            },
          ],
        },
      })
      .thenThrows('correction.field-not-correctable');
  });

  it('corrects one action of a CAPA by index, never its id', () => {
    const correction = (path: string, oldValue: unknown, newValue: unknown) =>
      deviationCommand(
        'concord.correction.recorded.v1',
        {
          correctedEventId: deviation.capaProposed.metadata?.id ?? '',
          changes: [{ path, oldValue, newValue }],
          reason: 'Due date agreed with the sponsor',
        },
        people.cdmoQa,
      );
    const dueDate = correction('/actions/0/dueDate', '2026-04-01', '2026-04-15');
    spec.given(deviationHistory.capaProposed).when(dueDate).then(accepted(dueDate));
    spec
      .given(deviationHistory.capaProposed)
      .when(correction('/capaId', 'capa-1', 'capa-2'))
      .thenThrows('correction.field-not-correctable');
    spec
      .given(deviationHistory.capaProposed)
      .when(correction('/actions/first/dueDate', null, '2026-04-15'))
      .thenThrows('correction.field-not-correctable');
  });

  it('refuses a closure signed as "review"', () => {
    const command = close();
    spec
      .given(deviationHistory.closureApproved)
      .when({
        ...command,
        data: { ...command.data, signature: { ...command.data.signature, meaning: 'review' } },
      })
      .thenThrows('signature.wrong-meaning');
  });
});
