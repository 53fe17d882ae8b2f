import type { CapaApproved, CapaProposed } from '../events/deviation-events.ts';
import { eventMetadata } from '../shared/command.ts';
import { DomainError } from '../shared/domain-error.ts';
import { verifySignature } from '../shared/signature.ts';
import type { DeviationCommandOf } from './deviation-command.ts';
import { assertInLifecycle, type ReportedDeviation } from './deviation-state.ts';

export type ProposeCapa = DeviationCommandOf<'concord.deviation.capa-proposed.v1'>;
export type ApproveCapa = DeviationCommandOf<'concord.deviation.capa-approved.v1'>;

/** A CAPA follows the batch impact assessment; a revised proposal replaces an unapproved one. */
export function proposeCapa(command: ProposeCapa, state: ReportedDeviation): CapaProposed[] {
  assertInLifecycle(command.type, state);
  return [{ type: command.type, data: command.data, metadata: eventMetadata(command.metadata) }];
}

/** Approves the proposed CAPA, by e-signature (who may approve is checked by the decider). */
export function approveCapa(command: ApproveCapa, state: ReportedDeviation): CapaApproved[] {
  assertInLifecycle(command.type, state);
  if (command.data.capaId !== state.capaId) {
    throw new DomainError(
      'deviation.unknown-capa',
      `CAPA ${command.data.capaId} was not proposed; the proposed CAPA is ${state.capaId ?? 'none'}.`,
      { capaId: command.data.capaId, proposedCapaId: state.capaId },
    );
  }
  const actorRole = verifySignature(command.type, command.data.signature, command.metadata);
  return [
    {
      type: command.type,
      data: command.data,
      metadata: eventMetadata(command.metadata, { actorRole }),
    },
  ];
}
