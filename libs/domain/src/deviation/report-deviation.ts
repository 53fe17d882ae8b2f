import { assertAuthorizedInForce } from '../agreement/authorization.ts';
import type { DeviationEvent, DeviationReported } from '../events/deviation-events.ts';
import { dueDatesSetEvent, dueDatesUnder } from './deadlines.ts';
import { eventMetadata } from '../shared/command.ts';
import { DomainError } from '../shared/domain-error.ts';
import { assertInOwnNamespace } from '../shared/subject.ts';
import { toInstant, toMillis } from '../shared/time.ts';
import type { DeviationCommandOf } from './deviation-command.ts';
import { deviationSubject } from './deviation-authorization.ts';
import type { DeviationState } from './deviation-state.ts';

export type ReportDeviation = DeviationCommandOf<'concord.deviation.reported.v1'>;

const HOUR_MS = 60 * 60 * 1000;
const MINUTE_MS = 60 * 1000;

/**
 * Reports a deviation. A report after the agreement's notification deadline for its severity is
 * accepted (refusing it would hide the deviation) but flagged with `reported-late`. The report
 * time is the platform's recorded-at: that is when the other party could see it, and a partner
 * cannot backdate it. When the agreement sets due days, the deviation's investigation, CAPA and
 * closure due dates are derived with it (`due-dates-set`).
 */
export function reportDeviation(command: ReportDeviation, state: DeviationState): DeviationEvent[] {
  assertInOwnNamespace(command.metadata.actor.organizationId, {
    kind: 'deviation',
    id: command.data.deviationId,
  });
  if (state.status !== 'empty') {
    throw new DomainError(
      'deviation.already-reported',
      `Deviation ${state.deviationId} is already reported.`,
      { deviationId: state.deviationId },
    );
  }
  const { data, metadata, context } = command;
  const actorOrg = metadata.actor.organizationId;
  const subject = deviationSubject(data, context.agreement);
  assertAuthorizedInForce(command.type, actorOrg, context, subject);
  for (const batchId of data.linkedBatchIds) {
    const batch = context.linkedBatches?.[batchId];
    // Another partnership's batch is answered like a batch that does not exist.
    if (batch === undefined || (actorOrg !== batch.sponsorId && actorOrg !== batch.cdmoId)) {
      throw new DomainError('deviation.unknown-batch', `Linked batch ${batchId} is unknown.`, {
        batchId,
      });
    }
    if (batch.agreementId !== data.agreementId || batch.productId !== data.productId) {
      throw new DomainError(
        'authorization.not-own-batch',
        `Batch ${batchId} is not a batch of product ${data.productId} under agreement ${data.agreementId} for ${actorOrg}.`,
        { batchId, actorOrg },
      );
    }
  }
  const reported: DeviationReported = {
    type: command.type,
    data,
    metadata: eventMetadata(metadata),
  };
  // The agreement is known to be present: deviationSubject refuses a missing one.
  const hours = context.agreement?.notificationDeadlinesHours[data.severity] ?? Infinity;
  const deadline = toMillis(data.detectedAt, 'detectedAt') + hours * HOUR_MS;
  const reportedAt = toMillis(metadata.recordedAt, 'recordedAt');
  const dueDates = dueDatesUnder(
    context.agreement,
    data.deviationId,
    data.severity,
    data.detectedAt,
  );
  const derived: DeviationEvent[] = dueDates ? [dueDatesSetEvent(dueDates, metadata)] : [];
  if (reportedAt <= deadline) return [reported, ...derived];
  return [
    reported,
    {
      type: 'concord.deviation.reported-late.v1',
      data: {
        deviationId: data.deviationId,
        detectedAt: data.detectedAt,
        reportedAt: metadata.recordedAt,
        deadline: toInstant(deadline),
        lateByMinutes: Math.ceil((reportedAt - deadline) / MINUTE_MS),
      },
      metadata: eventMetadata(metadata, { idSuffix: 'late' }),
    },
    ...derived,
  ];
}
