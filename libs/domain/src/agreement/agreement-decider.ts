import type {
  AgreementEvent,
  AgreementTerminated,
  AgreementVersion,
  AgreementVersionApproved,
  AgreementVersionDrafted,
  AgreementVersionSigned,
} from '../events/agreement-events.ts';
import {
  eventMetadata,
  PLATFORM_ORGANIZATION_ID,
  type CommandMetadata,
  type RecordEvent,
} from '../shared/command.ts';
import type { Decider } from '../shared/decider.ts';
import { NOTHING_SEEN, rememberEvent, type SeenEvents } from '../shared/correction.ts';
import { DomainError, unsupported } from '../shared/domain-error.ts';
import { SIGNATURE_TIME_TOLERANCE_MS } from '../shared/signature.ts';
import { toMillis } from '../shared/time.ts';
import { DEFAULT_CLOCK_TOLERANCE_MS } from '../shared/time.ts';
import type { ElectronicSignature, Id, Instant, Party, Role } from '../shared/vocabulary.ts';
import { agreementInForce } from './agreement-in-force.ts';

/** The people who may sign, from the organization streams: person id → organization and roles. */
export type Signatories = Readonly<Record<Id, { organizationId: Id; roles: readonly Role[] }>>;

export type ApproveAgreementVersion = RecordEvent<
  AgreementVersionApproved,
  { signatories: Signatories }
>;
export type TerminateAgreement = RecordEvent<AgreementTerminated, Record<string, never>>;
/**
 * Draft the next version: an administrator of either party (the facts: each party's
 * administrators, from the organization streams) or a platform operator.
 */
export type DraftAgreementVersion = RecordEvent<
  AgreementVersionDrafted,
  { administrators: Readonly<Record<Id, readonly Id[]>> }
>;
/** A party's QA signs the draft; the second party's signature approves the version. */
export type SignAgreementVersion = RecordEvent<
  AgreementVersionSigned,
  { signatories: Signatories }
>;
export type AgreementCommand =
  | ApproveAgreementVersion
  | TerminateAgreement
  | DraftAgreementVersion
  | SignAgreementVersion;

/** The version being drafted: its text (the draft event's id names it) and who signed it. */
export type AgreementDraft = {
  draftId: Id;
  /** The draft's event type: a v2 draft is approved as a v2 version, a v1 draft as v1. */
  type: AgreementVersionDrafted['type'];
  /** The draft's text, in v2's shape (a v1 draft is one without due days). */
  content: Extract<
    AgreementVersionDrafted,
    { type: 'concord.agreement.version-drafted.v2' }
  >['data'];
  signatures: Partial<Record<Party, ElectronicSignature>>;
};

type Known = { agreementId: Id; versions: readonly AgreementVersion[]; seen: SeenEvents };

export type AgreementState =
  | { status: 'empty'; draft?: AgreementDraft }
  | ({ status: 'approved'; draft?: AgreementDraft } & Known)
  | ({ status: 'terminated'; terminatedAt: Instant; draft?: AgreementDraft } & Known);

export const initialAgreementState = (): AgreementState => ({ status: 'empty' });

/** The role a person must hold to sign a quality agreement for their organization. */
export const AGREEMENT_SIGNATORY_ROLE: Role = 'qa';

function checkActorIsParty(metadata: CommandMetadata, sponsorId: Id, cdmoId: Id): void {
  const org = metadata.actor.organizationId;
  if (org !== PLATFORM_ORGANIZATION_ID && org !== sponsorId && org !== cdmoId) {
    throw new DomainError(
      'authorization.not-own-batch',
      `${org} is not a party to this agreement.`,
      { actorOrg: org },
    );
  }
}

/** Both parties sign every version: a person of each organization, holding QA, meaning approval. */
function checkPartySignatures(command: ApproveAgreementVersion): void {
  const { data, context } = command;
  const parties: readonly [Party, Id][] = [
    ['sponsor', data.sponsorId],
    ['cdmo', data.cdmoId],
  ];
  for (const [party, organizationId] of parties) {
    const signature = (data.signatures ?? []).find(
      (candidate) => context.signatories[candidate.signerId]?.organizationId === organizationId,
    );
    if (signature === undefined) {
      throw new DomainError(
        'signature.missing',
        `Version ${data.version} lacks the signature of the ${party} (${organizationId}).`,
        { party, organizationId },
      );
    }
    checkSignatureOf(command, party, organizationId, signature);
  }
}

/** One party's signature: its QA's, meaning approval, given before the version is recorded. */
function checkSignatureOf(
  command: ApproveAgreementVersion,
  party: Party,
  organizationId: Id,
  signature: ElectronicSignature,
): void {
  const { metadata, context } = command;
  const signatory = context.signatories[signature.signerId];
  if (
    signatory?.organizationId !== organizationId ||
    !signatory.roles.includes(AGREEMENT_SIGNATORY_ROLE)
  ) {
    throw new DomainError(
      'signature.wrong-role',
      `${signature.signerId} does not hold the ${AGREEMENT_SIGNATORY_ROLE} role at ${organizationId}.`,
      { party, signerId: signature.signerId, required: [AGREEMENT_SIGNATORY_ROLE] },
    );
  }
  if (signature.meaning !== 'approval') {
    throw new DomainError(
      'signature.wrong-meaning',
      `A signature on a quality agreement must mean approval, not ${signature.meaning}.`,
      { party, meaning: signature.meaning, required: ['approval'] },
    );
  }
  // Signatures are collected before the version is recorded, never after.
  if (
    toMillis(signature.signedAt, 'signature.signedAt') >
    toMillis(metadata.occurredAt, 'occurredAt') + SIGNATURE_TIME_TOLERANCE_MS
  ) {
    throw new DomainError(
      'signature.time-mismatch',
      `The ${party}'s signature is dated after the version was approved.`,
      { party, signedAt: signature.signedAt, occurredAt: metadata.occurredAt },
    );
  }
}

function checkVersionContent(data: AgreementVersion): void {
  if (data.products.length === 0) {
    throw new DomainError('agreement.no-products', 'An agreement must name at least one product.');
  }
  const assigned = new Set<string>();
  for (const { activity } of data.responsibilities) {
    if (assigned.has(activity)) {
      throw new DomainError(
        'agreement.duplicate-responsibility',
        `The activity ${activity} is assigned more than once.`,
        { activity },
      );
    }
    assigned.add(activity);
  }
  toMillis(data.effectiveFrom, 'effectiveFrom');
  for (const [severity, days] of Object.entries(data.deviationDueDays ?? {})) {
    if (days.investigation > days.capa || days.capa > days.closure) {
      throw new DomainError(
        'agreement.due-days-out-of-order',
        `A ${severity} deviation's due days must run investigation ≤ CAPA ≤ closure (${days.investigation}, ${days.capa}, ${days.closure}).`,
        { severity, ...days },
      );
    }
  }
}

/** What every next version meets, drafted or approved: sequence, parties, reason, content. */
function checkNextVersion(data: AgreementVersionDrafted['data'], state: AgreementState): void {
  if (state.status === 'terminated') {
    throw new DomainError('agreement.terminated', `Agreement ${state.agreementId} is terminated.`, {
      terminatedAt: state.terminatedAt,
    });
  }
  const previous = state.status === 'approved' ? state.versions.at(-1) : undefined;
  const expectedVersion = (previous?.version ?? 0) + 1;
  if (state.status === 'approved' && data.agreementId !== state.agreementId) {
    throw new DomainError(
      'command.subject-mismatch',
      `The command is about agreement ${data.agreementId}, the stream is ${state.agreementId}.`,
    );
  }
  if (data.version !== expectedVersion) {
    throw new DomainError(
      'agreement.version-out-of-sequence',
      `The next version of agreement ${data.agreementId} is ${expectedVersion}, not ${data.version}.`,
      { expected: expectedVersion, version: data.version },
    );
  }
  if (data.version > 1 && (data.reason === undefined || data.reason.trim() === '')) {
    throw new DomainError(
      'agreement.reason-required',
      `Version ${data.version} must state the reason for change.`,
    );
  }
  if (previous !== undefined) {
    if (previous.sponsorId !== data.sponsorId || previous.cdmoId !== data.cdmoId) {
      throw new DomainError(
        'agreement.parties-changed',
        'The parties of a quality agreement cannot change; conclude a new agreement instead.',
        { sponsorId: previous.sponsorId, cdmoId: previous.cdmoId },
      );
    }
    if (
      toMillis(data.effectiveFrom, 'effectiveFrom') <
      toMillis(previous.effectiveFrom, 'effectiveFrom')
    ) {
      throw new DomainError(
        'agreement.effective-from-regression',
        `Version ${data.version} cannot take effect before version ${previous.version} (${previous.effectiveFrom}).`,
        { effectiveFrom: data.effectiveFrom, previousEffectiveFrom: previous.effectiveFrom },
      );
    }
  }
  checkVersionContent({ ...data, signatures: [] });
}

function approveVersion(
  command: ApproveAgreementVersion,
  state: AgreementState,
): AgreementVersionApproved {
  const { data, metadata } = command;
  checkActorIsParty(metadata, data.sponsorId, data.cdmoId);
  checkNextVersion(data, state);
  checkPartySignatures(command);
  return { type: command.type, data, metadata: eventMetadata(metadata) };
}

/**
 * An agreement is never in force before it was approved: a version takes effect from when both
 * parties have signed it, or later.
 */
function checkNotRetroactive(effectiveFrom: Instant, at: Instant): void {
  if (
    toMillis(effectiveFrom, 'effectiveFrom') <
    toMillis(at, 'recordedAt') - DEFAULT_CLOCK_TOLERANCE_MS
  )
    throw new DomainError(
      'agreement.effective-from-passed',
      `The version would take effect at ${effectiveFrom}, before it is approved (${at}); draft it again with a later date.`,
      { effectiveFrom, at },
    );
}

function draftVersion(
  command: DraftAgreementVersion,
  state: AgreementState,
): AgreementVersionDrafted {
  const { data, metadata, context } = command;
  const { actor } = metadata;
  const administers =
    actor.organizationId === PLATFORM_ORGANIZATION_ID ||
    ([data.sponsorId, data.cdmoId].includes(actor.organizationId) &&
      (context.administrators[actor.organizationId] ?? []).includes(actor.personId));
  if (!administers)
    throw new DomainError(
      'authorization.not-administrator',
      `${actor.personId} administers neither ${data.sponsorId} nor ${data.cdmoId}.`,
      { personId: actor.personId },
    );
  checkNextVersion(data, state);
  checkNotRetroactive(data.effectiveFrom, metadata.recordedAt);
  return { type: command.type, data, metadata: eventMetadata(metadata) };
}

function signVersion(command: SignAgreementVersion, state: AgreementState): AgreementEvent[] {
  const { data, metadata, context } = command;
  const { draft } = state;
  if (!draft || draft.content.version !== data.version)
    throw new DomainError(
      'agreement.no-draft',
      `Version ${data.version} of agreement ${data.agreementId} is not drafted.`,
    );
  if (draft.draftId !== data.draftId)
    throw new DomainError(
      'agreement.draft-superseded',
      `Draft ${data.draftId} was replaced by ${draft.draftId}; read the new draft and sign that.`,
      { draftId: draft.draftId },
    );
  const partyOrganization =
    data.party === 'sponsor' ? draft.content.sponsorId : draft.content.cdmoId;
  if (
    metadata.actor.organizationId !== partyOrganization ||
    data.signature.signerId !== metadata.actor.personId
  )
    throw new DomainError(
      'signature.signer-mismatch',
      `The ${data.party}'s signature is given by a person of ${partyOrganization}, signing for themselves.`,
      { party: data.party },
    );
  if (draft.signatures[data.party] !== undefined)
    throw new DomainError(
      'agreement.already-signed',
      `The ${data.party} has signed version ${data.version} already.`,
    );
  const signed: AgreementVersionSigned = {
    type: command.type,
    data,
    metadata: eventMetadata(metadata),
  };
  const signatures = { ...draft.signatures, [data.party]: data.signature };
  // The party's signature is judged now, by the rule every approval meets.
  const other: Party = data.party === 'sponsor' ? 'cdmo' : 'sponsor';
  const approval: ApproveAgreementVersion = {
    type:
      draft.type === 'concord.agreement.version-drafted.v2'
        ? 'concord.agreement.version-approved.v2'
        : 'concord.agreement.version-approved.v1',
    data: {
      ...draft.content,
      signatures: [signatures.sponsor, signatures.cdmo].filter(
        (signature): signature is ElectronicSignature => signature !== undefined,
      ),
    },
    metadata,
    context,
  };
  checkSignatureOf(approval, data.party, partyOrganization, data.signature);
  if (signatures[other] === undefined) return [signed];
  checkNotRetroactive(draft.content.effectiveFrom, metadata.recordedAt);
  checkPartySignatures(approval);
  return [
    signed,
    {
      type: approval.type,
      data: approval.data,
      metadata: eventMetadata(metadata, { idSuffix: 'approved' }),
    },
  ];
}

function terminate(command: TerminateAgreement, state: AgreementState): AgreementTerminated {
  if (state.status === 'empty') {
    throw new DomainError(
      'agreement.not-found',
      `Agreement ${command.data.agreementId} has no version.`,
    );
  }
  const latest = state.versions.at(-1);
  if (latest !== undefined) checkActorIsParty(command.metadata, latest.sponsorId, latest.cdmoId);
  if (state.status === 'terminated') {
    throw new DomainError('agreement.terminated', `Agreement ${state.agreementId} is terminated.`, {
      terminatedAt: state.terminatedAt,
    });
  }
  if (command.data.agreementId !== state.agreementId) {
    throw new DomainError(
      'command.subject-mismatch',
      `The command is about agreement ${command.data.agreementId}, the stream is ${state.agreementId}.`,
    );
  }
  toMillis(command.data.effectiveAt, 'effectiveAt');
  return { type: command.type, data: command.data, metadata: eventMetadata(command.metadata) };
}

export function decideAgreement(
  command: AgreementCommand,
  state: AgreementState,
): AgreementEvent[] {
  switch (command.type) {
    case 'concord.agreement.version-approved.v1':
    case 'concord.agreement.version-approved.v2':
      return [approveVersion(command, state)];
    case 'concord.agreement.terminated.v1':
      return [terminate(command, state)];
    case 'concord.agreement.version-drafted.v1':
    case 'concord.agreement.version-drafted.v2':
      return [draftVersion(command, state)];
    case 'concord.agreement.version-signed.v1':
      return signVersion(command, state);
    default:
      return unsupported(command, 'agreement decider');
  }
}

export function evolveAgreement(state: AgreementState, event: AgreementEvent): AgreementState {
  switch (event.type) {
    case 'concord.agreement.version-approved.v1':
    case 'concord.agreement.version-approved.v2': {
      const known: Known =
        state.status === 'empty'
          ? { agreementId: event.data.agreementId, versions: [], seen: NOTHING_SEEN }
          : state;
      return {
        status: 'approved',
        agreementId: known.agreementId,
        versions: [...known.versions, event.data],
        seen: rememberEvent(known.seen, event),
      };
    }
    case 'concord.agreement.terminated.v1':
      if (state.status === 'empty') return state;
      return {
        status: 'terminated',
        agreementId: state.agreementId,
        versions: state.versions,
        seen: rememberEvent(state.seen, event),
        terminatedAt: event.data.effectiveAt,
      };
    case 'concord.agreement.version-drafted.v1':
    case 'concord.agreement.version-drafted.v2':
      // A newer draft of the version replaces the text, and the signatures given to the old one.
      return {
        ...state,
        draft: {
          draftId: event.metadata?.id ?? '',
          type: event.type,
          content: event.data,
          signatures: {},
        },
      };
    case 'concord.agreement.version-signed.v1': {
      const { draft } = state;
      if (!draft || draft.draftId !== event.data.draftId) return state;
      const signatures = { ...draft.signatures, [event.data.party]: event.data.signature };
      return { ...state, draft: { ...draft, signatures } };
    }
    default: {
      // Unknown events leave the state as it is; the type system proves this list complete.
      const _exhaustive: never = event;
      return state;
    }
  }
}

/** The agreement version in force at an instant, from the agreement's state. */
export function agreementVersionAt(
  state: AgreementState,
  at: Instant,
): AgreementVersion | undefined {
  switch (state.status) {
    case 'empty':
      return undefined;
    case 'approved':
      return agreementInForce(state.versions, at);
    case 'terminated':
      return agreementInForce(state.versions, at, state.terminatedAt);
    default:
      return unsupported(state, 'agreement state');
  }
}

export const agreementDecider: Decider<AgreementState, AgreementCommand, AgreementEvent> = {
  decide: decideAgreement,
  evolve: evolveAgreement,
  initialState: initialAgreementState,
};
