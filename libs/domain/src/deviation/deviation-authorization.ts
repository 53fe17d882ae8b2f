import {
  agreementsOf,
  assertAuthorized,
  authorize,
  type AgreementsInForce,
  type AuthorizationSubject,
} from '../agreement/authorization.ts';
import type { AgreementVersion } from '../events/agreement-events.ts';
import { DomainError } from '../shared/domain-error.ts';
import { isMajorOrCritical, type Id, type Severity } from '../shared/vocabulary.ts';

/** A deviation's parties are its agreement's parties. */
export function deviationSubject(
  deviation: { agreementId: Id; productId: Id },
  agreement: AgreementVersion | undefined,
): AuthorizationSubject {
  if (agreement === undefined) {
    throw new DomainError(
      'authorization.no-agreement',
      `No quality agreement ${deviation.agreementId} is in force.`,
      { agreementId: deviation.agreementId },
    );
  }
  if (agreement.agreementId !== deviation.agreementId) {
    throw new DomainError(
      'authorization.wrong-agreement',
      `Agreement ${agreement.agreementId} does not govern this deviation.`,
      { agreementId: deviation.agreementId, givenAgreementId: agreement.agreementId },
    );
  }
  return {
    agreementId: deviation.agreementId,
    productId: deviation.productId,
    sponsorId: agreement.sponsorId,
    cdmoId: agreement.cdmoId,
  };
}

const sponsorApprovals: ReadonlySet<string> = new Set([
  'concord.deviation.capa-approved.v1',
  'concord.deviation.closure-approved.v1',
]);

/**
 * The agreement decides who does what, except that the outcomes of major and critical deviations
 * (CAPA approval, closure approval) are approved by the sponsor whatever the agreement says.
 */
export function authorizeDeviationAct(
  eventType: string,
  actorOrg: Id,
  severity: Severity,
  subject: AuthorizationSubject,
  context: AgreementsInForce,
): void {
  for (const agreement of agreementsOf(context))
    authorizeUnder(eventType, actorOrg, severity, subject, agreement);
}

function authorizeUnder(
  eventType: string,
  actorOrg: Id,
  severity: Severity,
  subject: AuthorizationSubject,
  agreement: AgreementVersion | undefined,
): void {
  if (!(sponsorApprovals.has(eventType) && isMajorOrCritical(severity))) {
    assertAuthorized(eventType, actorOrg, agreement, subject);
    return;
  }
  const authorization = authorize(eventType, actorOrg, agreement, subject);
  if (
    !authorization.allowed &&
    authorization.error.code !== 'authorization.not-responsible-party' &&
    authorization.error.code !== 'authorization.activity-not-assigned'
  ) {
    throw authorization.error;
  }
  if (actorOrg !== subject.sponsorId) {
    throw new DomainError(
      'deviation.sponsor-approval-required',
      `A ${severity} deviation's ${eventType === 'concord.deviation.capa-approved.v1' ? 'CAPA' : 'closure'} must be approved by the sponsor (${subject.sponsorId}).`,
      { severity, actorOrg, sponsorId: subject.sponsorId },
    );
  }
}
