import { DeciderSpecification } from '@concord/testing';
import { describe, it } from 'vitest';
import {
  AGREEMENT,
  agreementV1,
  batch,
  batchCommand,
  CDMO,
  OTHER_CDMO,
  people,
  SPONSOR,
} from '../test-support/fixtures.ts';
import { batchDecider } from './batch-decider.ts';

const spec = DeciderSpecification.for(batchDecider);
const data = batch.scheduled.data;
/** The same batch named in another organization's namespace, as that organization would. */
const namedBy = (organizationId: string) => ({ ...data, batchId: `${organizationId}:b-1` });

describe('scheduling a batch', () => {
  it('records the schedule of the CDMO the agreement names, with the metadata of the act', () => {
    const command = batchCommand('concord.batch.scheduled.v1', data, people.cdmoProduction, {
      eventId: 'evt-42',
    });
    spec
      .given([])
      .when(command)
      .then({
        type: 'concord.batch.scheduled.v1',
        data,
        metadata: {
          id: 'evt-42',
          time: command.metadata.occurredAt,
          recordedtime: command.metadata.recordedAt,
          actorid: people.cdmoProduction.personId,
          actororg: CDMO,
        },
      });
  });

  it("names a new batch only in the scheduler's own namespace, whether or not the id is taken", () => {
    for (const batchId of ['b-1', `${OTHER_CDMO}:b-1`, `${SPONSOR}:b-1`, `:b-1`, `${CDMO}b-1`]) {
      for (const given of [[], [{ ...batch.scheduled, data: { ...data, batchId } }]]) {
        spec
          .given(given)
          .when(
            batchCommand('concord.batch.scheduled.v1', { ...data, batchId }, people.cdmoProduction),
          )
          .thenThrows('id.outside-namespace');
      }
    }
  });

  it('refuses to schedule the same batch twice', () => {
    spec
      .given([batch.scheduled])
      .when(batchCommand('concord.batch.scheduled.v1', data, people.cdmoProduction))
      .thenThrows('batch.already-scheduled');
  });

  it("refuses another CDMO scheduling this agreement's batch", () => {
    spec
      .given([])
      .when(
        batchCommand('concord.batch.scheduled.v1', namedBy(OTHER_CDMO), people.otherCdmoProduction),
      )
      .thenThrows('authorization.not-own-batch');
  });

  it('refuses another CDMO scheduling its own batch under an agreement it is not party to', () => {
    spec
      .given([])
      .when(
        batchCommand(
          'concord.batch.scheduled.v1',
          { ...namedBy(OTHER_CDMO), cdmoId: OTHER_CDMO },
          people.otherCdmoProduction,
        ),
      )
      .thenThrows('authorization.wrong-agreement');
  });

  it('refuses the sponsor when the agreement gives scheduling to the CDMO', () => {
    spec
      .given([])
      .when(batchCommand('concord.batch.scheduled.v1', namedBy(SPONSOR), people.sponsorQa))
      .thenThrows('authorization.not-responsible-party');
  });

  it('accepts the sponsor when the agreement gives scheduling to the sponsor', () => {
    const agreement = {
      ...agreementV1,
      responsibilities: agreementV1.responsibilities.map((r) =>
        r.activity === 'batch-scheduling' ? { ...r, performedBy: 'sponsor' as const } : r,
      ),
    };
    spec
      .given([])
      .when(
        batchCommand('concord.batch.scheduled.v1', namedBy(SPONSOR), people.sponsorQa, {
          agreement,
        }),
      )
      .then({ type: 'concord.batch.scheduled.v1', data: namedBy(SPONSOR) });
  });

  it('refuses a product the agreement does not cover', () => {
    spec
      .given([])
      .when(
        batchCommand(
          'concord.batch.scheduled.v1',
          { ...data, productId: 'prod-unknown' },
          people.cdmoProduction,
        ),
      )
      .thenThrows('authorization.product-not-covered');
  });

  it('refuses when no agreement is in force', () => {
    spec
      .given([])
      .when(
        batchCommand('concord.batch.scheduled.v1', data, people.cdmoProduction, {
          agreement: undefined,
        }),
      )
      .thenThrows('authorization.no-agreement');
  });

  it('refuses when the agreement in force is another agreement', () => {
    spec
      .given([])
      .when(
        batchCommand('concord.batch.scheduled.v1', data, people.cdmoProduction, {
          agreement: { ...agreementV1, agreementId: `${AGREEMENT}-other` },
        }),
      )
      .thenThrows('authorization.wrong-agreement');
  });
});
