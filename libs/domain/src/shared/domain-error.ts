/**
 * Every refusal the domain can give, with a stable machine-readable code (sent to partners on
 * `concord.rejections.<org>`, shown by the API) and what it means.
 */
export const domainErrorCatalogue = {
  'command.unsupported':
    'The decider does not accept this command type (e.g. an event only the platform emits).',
  'command.invalid':
    'The command carries a value the domain cannot interpret (e.g. an unparsable instant).',
  'command.subject-mismatch': "The command's aggregate id differs from the stream's.",
  'subject.unknown':
    "No batch or deviation with this id is known to the actor's organization (one of another partnership is answered the same way).",
  'id.outside-namespace':
    "A new batch or deviation id does not begin with the creating organization's id and a colon (the answer is the same whether or not such a record exists).",
  'time.in-the-future':
    'The event says it happened after Concord received it, beyond the clock tolerance.',
  'batch.not-scheduled': 'The batch has not been scheduled.',
  'batch.already-scheduled': 'The batch has already been scheduled.',
  'batch.out-of-order': 'The event does not follow the batch lifecycle.',
  'batch.duplicate-qc-result': 'A QC result with this id was already recorded.',
  'batch.invalid-specification': 'A specification needs at least one limit, and lower <= upper.',
  'batch.unit-mismatch': "The result's unit differs from the specification's unit.",
  'batch.unknown-investigation': 'No OOS investigation with this id exists for the batch.',
  'batch.investigation-already-resolved': 'The OOS investigation is already resolved.',
  'batch.coa-blocked.open-oos': 'A CoA cannot be issued while an OOS investigation is open.',
  'batch.conditions-required': 'A conditional release must state its conditions.',
  'batch.release-blocked.open-deviation': 'A linked major or critical deviation is open.',
  'batch.release-blocked.open-oos': 'An OOS investigation is open.',
  'batch.release-blocked.confirmed-oos': 'A confirmed OOS result stands against the batch.',
  'batch.unknown-deviation-link': 'The deviation is not linked to the batch.',
  'qp.requires-release': 'QP certification needs a released disposition.',
  'qp.requires-coa': 'QP certification needs an issued certificate of analysis.',
  'deviation.not-reported': 'The deviation has not been reported.',
  'deviation.already-reported': 'The deviation has already been reported.',
  'deviation.out-of-order': 'The event does not follow the deviation lifecycle.',
  'deviation.already-closed': 'The deviation is closed.',
  'deviation.sponsor-approval-required':
    'Major and critical deviations need the sponsor to approve the CAPA and the closure.',
  'deviation.unknown-capa': 'No CAPA with this id was proposed.',
  'deviation.unknown-batch': 'The batch is not linked to the deviation.',
  'deviation.deadline-not-due':
    'The due date is not near (due soon) or not passed (overdue), or is no longer the deviation’s.',
  'deviation.deadline-met': 'The due date was met: nothing to warn about.',
  'deviation.deadline-already-warned': 'The parties were warned about this due date already.',
  'agreement.not-found': 'The agreement has no approved version yet.',
  'agreement.version-out-of-sequence': 'A new version must be the previous version + 1.',
  'agreement.reason-required': 'A version after the first must state the reason for change.',
  'agreement.parties-changed': 'The sponsor and the CDMO of an agreement cannot change.',
  'agreement.no-products': 'An agreement must name at least one product.',
  'agreement.duplicate-responsibility': 'An activity is assigned more than once.',
  'agreement.effective-from-regression':
    'A new version cannot take effect before the previous version did.',
  'agreement.terminated': 'The agreement is terminated.',
  'agreement.effective-from-passed':
    'A version cannot take effect before it is approved; draft it again with a later date.',
  'agreement.no-draft': 'The version signed is not drafted.',
  'agreement.draft-superseded': 'The draft signed was replaced by a newer draft of the version.',
  'agreement.already-signed': 'The party has signed this draft already.',
  'agreement.due-days-out-of-order':
    'A severity’s due days must run investigation ≤ CAPA ≤ closure.',
  'authorization.no-agreement': 'No quality agreement is in force for the subject.',
  'authorization.wrong-agreement': "The agreement given is not the subject's agreement.",
  'authorization.product-not-covered': 'The agreement does not cover the product.',
  'authorization.activity-not-assigned': 'The agreement assigns the activity to no party.',
  'authorization.not-responsible-party': 'The agreement names the other party for this activity.',
  'authorization.not-own-batch':
    "The actor's organization is not a party to this batch, deviation or agreement.",
  'authorization.platform-only': 'Only the platform may emit this event type.',
  'authorization.not-administrator':
    'The actor is neither a platform operator nor an administrator of the organization.',
  'organization.not-registered': 'The organization is not registered.',
  'organization.already-registered': 'The organization is already registered.',
  'organization.already-administrator': 'The person already administers the organization.',
  'organization.not-administrator': 'The person does not administer the organization.',
  'organization.last-administrator':
    "An organization's administrator cannot remove its last administrator; appoint another first.",
  'organization.role-already-held': 'The person already holds the role.',
  'organization.role-not-held': 'The person does not hold the role.',
  'organization.system-already-registered': 'A partner system with this id is registered.',
  'organization.site-already-registered': 'A site with this id is registered.',
  'organization.product-already-registered': 'A product with this id is registered.',
  'organization.unknown-system': 'The organization has no partner system with this id.',
  'organization.api-key-exists': 'An API key with this id was issued before.',
  'organization.api-key-lifetime': 'An API key must expire after it is issued, within a year.',
  'organization.unknown-api-key': 'The partner system has no API key with this id.',
  'organization.api-key-revoked': 'The API key is already revoked.',
  'organization.key-proof-refused':
    'A signing key changes only when proven by a key the organization holds, or approved by its administrator with an e-signature.',
  'organization.signing-key-exists': 'A signing key with this id was registered before.',
  'organization.signing-key-backdated': 'A signing key is valid from its registration or later.',
  'organization.unknown-signing-key': 'The organization has no signing key with this id.',
  'organization.signing-key-revoked': 'The signing key is already revoked.',
  'organization.revocation-in-the-past':
    'A revocation takes effect from when it is recorded or later, never before.',
  'actor.role-not-held': 'The actor does not hold the role the event says they acted in.',
  'signature.printed-name-mismatch':
    "The signature's printed name is not the signer's name as registered.",
  'signature.missing': 'The act needs an electronic signature.',
  'signature.wrong-role': 'The signer does not hold the role the act requires.',
  'signature.wrong-meaning': "The signature's meaning does not match the act.",
  'signature.signer-mismatch': 'The signer is not the acting person.',
  'signature.time-mismatch':
    "The signature's time is not the act's occurred-at (within tolerance).",
  'correction.unknown-event': 'The corrected event is not an event of this stream.',
  'correction.reason-required': 'A correction must carry a reason.',
  'correction.no-changes': 'A correction must change at least one value.',
  'correction.field-not-correctable':
    'The field is a decision, an identity, a signed value or a platform fact: only a new act changes it.',
  'correction.old-value-mismatch':
    "The correction's stated old value is not what the record holds.",
  'correction.invalid-change':
    'A change names a field by JSON pointer and gives a new value of the same kind that differs from the old one.',
  'process-manager.missing-metadata': 'The process manager needs the triggering event metadata.',
} as const;

export type DomainErrorCode = keyof typeof domainErrorCatalogue;

/** The stable list of refusal codes. */
export const DOMAIN_ERROR_CODES = Object.keys(domainErrorCatalogue) as readonly DomainErrorCode[];

/** A refusal: a stable `code`, a human sentence (`message`) and the facts behind it. */
export class DomainError extends Error {
  readonly code: DomainErrorCode;
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: DomainErrorCode, message: string, details: Record<string, unknown> = {}) {
    super(message);
    this.name = 'DomainError';
    this.code = code;
    this.details = details;
  }
}

export function isDomainError(error: unknown): error is DomainError {
  return error instanceof DomainError;
}

/** The exhaustiveness check at the end of every `switch`: unreachable for well-typed input. */
export function unsupported(value: never, what: string): never {
  const type =
    typeof value === 'object' && value !== null && 'type' in value
      ? String((value as { type: unknown }).type)
      : String(value);
  throw new DomainError('command.unsupported', `The ${what} does not accept ${type}.`, { type });
}
