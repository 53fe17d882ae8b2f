import type { EventType } from '@concord/contract';
import type { AgreementVersion, Responsibility } from '../events/agreement-events.ts';
import { PLATFORM_ORGANIZATION_ID } from '../shared/command.ts';
import { DomainError } from '../shared/domain-error.ts';
import type { Activity, Id, Party } from '../shared/vocabulary.ts';

/**
 * The activity each partner-emitted event type belongs to. Event types missing here are emitted
 * by the platform (organization and agreement streams, process managers) or by a decider itself
 * (`oos-investigation-opened`, `reported-late`). Corrections take the corrected event's activity.
 */
export const activityByEventType = {
  'concord.batch.scheduled.v1': 'batch-scheduling',
  'concord.batch.manufacturing-started.v1': 'manufacturing',
  'concord.batch.manufacturing-held.v1': 'manufacturing',
  'concord.batch.manufacturing-resumed.v1': 'manufacturing',
  'concord.batch.manufacturing-aborted.v1': 'manufacturing',
  'concord.batch.manufacturing-completed.v1': 'manufacturing',
  'concord.batch.record-reviewed.v1': 'batch-record-review',
  'concord.batch.qc-result-recorded.v1': 'qc-testing',
  'concord.batch.oos-resolved.v1': 'qc-testing',
  'concord.batch.coa-issued.v1': 'coa-issuance',
  'concord.batch.disposition-recorded.v1': 'qa-disposition',
  'concord.batch.qp-certified.v1': 'qp-certification',
  'concord.batch.shipped.v1': 'shipping',
  'concord.batch.shipped.v2': 'shipping',
  'concord.deviation.reported.v1': 'deviation-reporting',
  'concord.deviation.classified.v1': 'deviation-investigation',
  'concord.deviation.investigation-updated.v1': 'deviation-investigation',
  'concord.deviation.root-cause-identified.v1': 'deviation-investigation',
  'concord.deviation.batch-impact-assessed.v1': 'deviation-investigation',
  'concord.deviation.closed.v1': 'deviation-investigation',
  'concord.deviation.capa-proposed.v1': 'capa',
  'concord.deviation.capa-approved.v1': 'deviation-approval',
  'concord.deviation.closure-approved.v1': 'deviation-approval',
} as const satisfies Partial<Record<EventType, Activity>>;

/**
 * The published event types only the platform records, and who in the platform records each: its
 * registries (organizations, keys, people, agreements) and what deciders and process managers
 * derive. Every other type in the catalogue is a partner's, with an activity above (or a
 * correction, which takes the corrected event's); a test walks the catalogue to keep it so.
 */
export const platformEmitters = {
  'concord.organization.registered.v1': 'platform administration',
  'concord.organization.signing-key-registered.v1': 'platform administration',
  'concord.organization.signing-key-revoked.v1': 'platform administration',
  'concord.organization.role-granted.v1': 'platform administration',
  'concord.organization.role-revoked.v1': 'platform administration',
  'concord.organization.administrator-appointed.v1': 'platform administration',
  'concord.organization.administrator-removed.v1': 'platform administration',
  'concord.organization.partner-system-registered.v1': 'platform administration',
  'concord.organization.api-key-issued.v1': 'platform administration',
  'concord.organization.api-key-revoked.v1': 'platform administration',
  'concord.organization.site-registered.v1': 'platform administration',
  'concord.organization.product-registered.v1': 'platform administration',
  'concord.agreement.version-approved.v1': 'platform administration, approved by both parties',
  'concord.agreement.terminated.v1': 'platform administration',
  'concord.agreement.version-drafted.v1': "platform administration (either party's administrator)",
  'concord.agreement.version-approved.v2': 'platform administration, approved by both parties',
  'concord.agreement.version-drafted.v2': "platform administration (either party's administrator)",
  'concord.agreement.version-signed.v1': "platform administration (a party's QA, e-signed)",
  'concord.batch.oos-investigation-opened.v1': 'the batch decider, with an OOS result',
  'concord.batch.deviation-linked.v1': 'the process manager',
  'concord.batch.deviation-link-closed.v1': 'the process manager',
  'concord.deviation.reported-late.v1': 'the deviation decider, with a late report',
  'concord.deviation.due-dates-set.v1':
    'the deviation decider, when a severity is set under an agreement with due dates',
  'concord.deviation.deadline-due-soon.v1': 'the deadline process',
  'concord.deviation.deadline-overdue.v1': 'the deadline process',
} as const satisfies Partial<Record<EventType, string>>;

export type PlatformEventType = keyof typeof platformEmitters;

export const platformEventTypes = Object.keys(platformEmitters) as readonly PlatformEventType[];

export function activityOf(eventType: string): Activity | undefined {
  return (activityByEventType as Record<string, Activity | undefined>)[eventType];
}

/** Who performs (and, where the agreement says so, approves) an activity; undefined if unassigned. */
export function responsibleParty(
  agreement: AgreementVersion,
  activity: Activity,
): Responsibility | undefined {
  return agreement.responsibilities.find((responsibility) => responsibility.activity === activity);
}

/** The organization id standing for a party in an agreement. */
export function organizationOf(agreement: AgreementVersion, party: Party): Id {
  return party === 'sponsor' ? agreement.sponsorId : agreement.cdmoId;
}

/** What an authorization is about: a batch, or a deviation (parties taken from its agreement). */
export type AuthorizationSubject = { agreementId: Id; productId: Id; sponsorId: Id; cdmoId: Id };

export type Authorization =
  | { allowed: true; activity: Activity | undefined; party: Party | 'platform' }
  | { allowed: false; error: DomainError };

function refuse(
  code: ConstructorParameters<typeof DomainError>[0],
  message: string,
  details: Record<string, unknown>,
): Authorization {
  return { allowed: false, error: new DomainError(code, message, details) };
}

/**
 * May `actorOrg` emit `eventType` about `subject` under `agreement` (the version in force at the
 * event's occurred-at)? Only the party the agreement names for the event type's activity, only
 * for products the agreement covers, and only for its own batches and deviations. Platform-only
 * event types are allowed to the platform and nobody else.
 */
export function authorize(
  eventType: string,
  actorOrg: Id,
  agreement: AgreementVersion | undefined,
  subject: AuthorizationSubject,
): Authorization {
  const activity = activityOf(eventType);
  if (activity === undefined) {
    return actorOrg === PLATFORM_ORGANIZATION_ID
      ? { allowed: true, activity: undefined, party: 'platform' }
      : refuse('authorization.platform-only', `Only the platform may emit ${eventType}.`, {
          eventType,
          actorOrg,
        });
  }
  const details = { eventType, activity, actorOrg, agreementId: subject.agreementId };
  if (actorOrg !== subject.sponsorId && actorOrg !== subject.cdmoId) {
    return refuse(
      'authorization.not-own-batch',
      `${actorOrg} is not a party to this batch or deviation.`,
      details,
    );
  }
  if (agreement === undefined) {
    return refuse(
      'authorization.no-agreement',
      `No quality agreement ${subject.agreementId} is in force.`,
      details,
    );
  }
  if (
    agreement.agreementId !== subject.agreementId ||
    agreement.sponsorId !== subject.sponsorId ||
    agreement.cdmoId !== subject.cdmoId
  ) {
    return refuse(
      'authorization.wrong-agreement',
      `Agreement ${agreement.agreementId} does not govern this subject.`,
      { ...details, givenAgreementId: agreement.agreementId },
    );
  }
  if (!agreement.products.some((product) => product.productId === subject.productId)) {
    return refuse(
      'authorization.product-not-covered',
      `Agreement ${agreement.agreementId} v${agreement.version} does not cover product ${subject.productId}.`,
      { ...details, productId: subject.productId },
    );
  }
  const responsibility = responsibleParty(agreement, activity);
  if (responsibility === undefined) {
    return refuse(
      'authorization.activity-not-assigned',
      `Agreement ${agreement.agreementId} v${agreement.version} assigns ${activity} to no party.`,
      details,
    );
  }
  const responsibleOrg = organizationOf(agreement, responsibility.performedBy);
  if (actorOrg !== responsibleOrg) {
    return refuse(
      'authorization.not-responsible-party',
      `Under agreement ${agreement.agreementId} v${agreement.version}, ${activity} is performed by the ${responsibility.performedBy} (${responsibleOrg}).`,
      { ...details, responsibleOrg, party: responsibility.performedBy },
    );
  }
  return { allowed: true, activity, party: responsibility.performedBy };
}

/**
 * The agreement versions a command is judged under: the one in force when the act occurred and,
 * when the command says so, the one in force when Concord received it (null: none was). A late
 * entry must have been allowed then and still be allowed now: an agreement that ended, or moved
 * the activity to the other party, before the event arrived cannot be used by backdating it.
 */
export type AgreementsInForce = {
  agreement?: AgreementVersion;
  agreementAtReceipt?: AgreementVersion | null;
};

/** `assertAuthorized` under every agreement version the command is judged under. */
export function assertAuthorizedInForce(
  eventType: string,
  actorOrg: Id,
  context: AgreementsInForce,
  subject: AuthorizationSubject,
): void {
  for (const agreement of agreementsOf(context))
    assertAuthorized(eventType, actorOrg, agreement, subject);
}

/** The versions to judge under, the one at occurred-at first (its refusal is the one given). */
export function agreementsOf(context: AgreementsInForce): (AgreementVersion | undefined)[] {
  if (context.agreementAtReceipt === undefined) return [context.agreement];
  const atReceipt = context.agreementAtReceipt ?? undefined;
  return atReceipt === context.agreement ? [context.agreement] : [context.agreement, atReceipt];
}

/** `authorize`, throwing the refusal; for deciders. */
export function assertAuthorized(
  eventType: string,
  actorOrg: Id,
  agreement: AgreementVersion | undefined,
  subject: AuthorizationSubject,
): void {
  const authorization = authorize(eventType, actorOrg, agreement, subject);
  if (!authorization.allowed) throw authorization.error;
}
