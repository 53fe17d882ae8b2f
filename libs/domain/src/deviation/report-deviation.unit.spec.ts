import { DeciderSpecification } from '@concord/testing';
import { describe, expect, it } from 'vitest';
import type { Severity } from '../shared/vocabulary.ts';
import {
  agreementWith,
  at,
  BATCH,
  CDMO,
  deviation,
  SPONSOR,
  deviationCommand,
  linkedBatches,
  OTHER_CDMO,
  people,
} from '../test-support/fixtures.ts';
import { deviationDecider } from './deviation-decider.ts';

const spec = DeciderSpecification.for(deviationDecider);

/** A report recorded by the platform `minutesAfterDetection` after detection at at(0). */
function report(severity: Severity, minutesAfterDetection: number, overrides = {}) {
  return deviationCommand(
    'concord.deviation.reported.v1',
    { ...deviation.reported.data, severity, ...overrides },
    people.cdmoQa,
    {
      at: at(minutesAfterDetection),
      recordedAt: at(minutesAfterDetection),
      eventId: 'evt-report',
      linkedBatches,
    },
  );
}

describe('reporting a deviation', () => {
  it('records a report within the deadline, nothing more', () => {
    const command = report('critical', 23 * 60);
    spec.given([]).when(command).then({ type: command.type, data: command.data });
  });

  it('treats a report exactly at the deadline as on time', () => {
    const command = report('major', 72 * 60);
    spec.given([]).when(command).then({ type: command.type, data: command.data });
  });

  it('accepts a late critical report and flags it with reported-late', () => {
    const command = report('critical', 24 * 60 + 90);
    spec
      .given([])
      .when(command)
      .then([
        { type: command.type, data: command.data },
        {
          type: 'concord.deviation.reported-late.v1',
          data: {
            deviationId: command.data.deviationId,
            detectedAt: at(0),
            reportedAt: at(24 * 60 + 90),
            deadline: at(24 * 60),
            lateByMinutes: 90,
          },
        },
      ]);
  });

  it('measures lateness on the recorded-at, which the partner cannot backdate', () => {
    const command = report('critical', 25 * 60);
    const backdated = { ...command, metadata: { ...command.metadata, occurredAt: at(60) } };
    const events = spec.given([]).when(backdated).events();
    expect(events.map((event) => event.type)).toContain('concord.deviation.reported-late.v1');
    expect(events[1]?.metadata?.id).toBe('evt-report:late');
  });

  it('uses the deadline for the severity: a minor report after a day is on time', () => {
    const command = report('minor', 25 * 60);
    spec.given([]).when(command).then({ type: command.type, data: command.data });
  });

  it('refuses a second report of the same deviation', () => {
    spec
      .given([deviation.reported])
      .when(report('major', 10))
      .thenThrows('deviation.already-reported');
  });

  it('refuses the sponsor when the agreement gives reporting to the CDMO, accepts it otherwise', () => {
    const command = report('major', 10);
    const bySponsor = {
      ...command,
      data: { ...command.data, deviationId: `${SPONSOR}:dev-1` },
      metadata: { ...command.metadata, actor: people.sponsorQa },
    };
    spec.given([]).when(bySponsor).thenThrows('authorization.not-responsible-party');
    spec
      .given([])
      .when({
        ...bySponsor,
        context: {
          ...bySponsor.context,
          agreement: agreementWith('deviation-reporting', 'sponsor'),
        },
      })
      .then({ type: command.type, data: bySponsor.data });
  });

  it("answers a link to another partnership's batch like a link to an unknown batch", () => {
    const command = report('major', 10);
    spec
      .given([])
      .when({
        ...command,
        context: {
          ...command.context,
          linkedBatches: {
            [BATCH]: { ...linkedBatches[BATCH], cdmoId: OTHER_CDMO, agreementId: 'qa-9' },
          },
        },
      })
      .thenThrows('deviation.unknown-batch');
  });

  it('refuses a link to a batch the context does not know', () => {
    spec
      .given([])
      .when(report('major', 10, { linkedBatchIds: ['b-unknown'] }))
      .thenThrows('deviation.unknown-batch');
  });

  it('refuses a report from a stranger organization', () => {
    const command = report('major', 10);
    spec
      .given([])
      .when({
        ...command,
        data: { ...command.data, deviationId: `${OTHER_CDMO}:dev-1` },
        metadata: { ...command.metadata, actor: people.otherCdmoProduction },
      })
      .thenThrows('authorization.not-own-batch');
    // Named in the reporter's namespace or not, a stranger learns nothing about the deviation.
    spec
      .given([deviation.reported])
      .when({ ...command, metadata: { ...command.metadata, actor: people.otherCdmoProduction } })
      .thenThrows('id.outside-namespace');
    expect(command.metadata.actor.organizationId).toBe(CDMO);
  });
});
