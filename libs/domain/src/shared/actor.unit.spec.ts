import { DeciderSpecification } from '@concord/testing';
import { describe, expect, it } from 'vitest';
import { batchDecider } from '../batch/batch-decider.ts';
import { deviationDecider } from '../deviation/deviation-decider.ts';
import {
  at,
  BATCH,
  batchCommand,
  batchHistory,
  DEVIATION,
  deviationCommand,
  deviationHistory,
  people,
  signature,
} from '../test-support/fixtures.ts';
import type { Actor } from './command.ts';
import { lateEntry } from './time.ts';

// Who acted is a registered fact: the same rule for partner events (ingest passes the registered
// roles and name with the partner's claims) and for the API's human acts.
const batches = DeciderSpecification.for(batchDecider);
const deviations = DeciderSpecification.for(deviationDecider);
const registeredQp = { ...people.sponsorQp, printedName: `Printed ${people.sponsorQp.personId}` };

function certify(actor: Actor, printedName?: string) {
  const signed = signature(actor, 'responsibility', at(1200));
  return batchCommand(
    'concord.batch.qp-certified.v1',
    {
      batchId: BATCH,
      registerEntryId: 'reg-7',
      certifiedAt: at(1200),
      signature: printedName === undefined ? signed : { ...signed, printedName },
    },
    actor,
    { at: at(1200) },
  );
}

describe('the actor', () => {
  it('acts only in a role they hold: a production operator claiming qp is refused', () => {
    const claimsQp = { ...people.cdmoProduction, role: 'qp' } as const;
    batches
      .given(batchHistory.scheduled)
      .when(
        batchCommand(
          'concord.batch.manufacturing-started.v1',
          { batchId: BATCH, startedAt: at(10) },
          claimsQp,
        ),
      )
      .thenThrows('actor.role-not-held');
    deviations
      .given(deviationHistory.reported)
      .when(
        deviationCommand(
          'concord.deviation.investigation-updated.v1',
          { deviationId: DEVIATION, summary: 'note' },
          { ...people.cdmoQa, role: 'qp' },
        ),
      )
      .thenThrows('actor.role-not-held');
  });

  it('is recorded in the role checked: the claimed role held, or the signature role', () => {
    const [started] = batches
      .given(batchHistory.scheduled)
      .when(
        batchCommand(
          'concord.batch.manufacturing-started.v1',
          { batchId: BATCH, startedAt: at(10) },
          { ...people.cdmoProduction, role: 'production' },
        ),
      )
      .events();
    expect(started?.metadata?.actorrole).toBe('production');
    const [certified] = batches.given(batchHistory.released).when(certify(registeredQp)).events();
    expect(certified?.metadata?.actorrole).toBe('qp');
  });

  it('signs in the role they act in: a QP who is also QA and states qa cannot certify', () => {
    batches
      .given(batchHistory.released)
      .when(certify({ ...registeredQp, role: 'qa' }))
      .thenThrows('signature.wrong-role');
  });

  it('signs with the printed name as registered, whatever the spacing or Unicode form', () => {
    batches
      .given(batchHistory.released)
      .when(certify(registeredQp, 'Dr. Somebody Else'))
      .thenThrows('signature.printed-name-mismatch');
    const spaced = certify(registeredQp, `  Printed   ${people.sponsorQp.personId} `);
    batches
      .given(batchHistory.released)
      .when(spaced)
      .then({ type: spaced.type, data: spaced.data });
  });
});

describe('a late entry', () => {
  it('is one recorded more than an hour after it occurred, described for a reader', () => {
    expect(lateEntry('2026-04-01T08:00:00Z', '2026-04-01T09:00:00Z')).toBeUndefined();
    expect(lateEntry('2026-04-01T08:00:00Z', '2026-04-01T09:30:00Z')).toEqual({
      recordedAfterMinutes: 90,
      description: 'Late entry: recorded 90 minutes after it occurred.',
    });
    expect(lateEntry('2026-04-01T08:00:00Z', '2026-04-04T08:00:00Z')?.description).toBe(
      'Late entry: recorded 3 days after it occurred.',
    );
  });
});
