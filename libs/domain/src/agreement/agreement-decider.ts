import type {
  AgreementEvent,
  AgreementTerminated,
  AgreementVersion,
  AgreementVersionApproved,
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
import type { Id, Instant, Party, Role } from '../shared/vocabulary.ts';
import { agreementInForce } from './agreement-in-force.ts';

/** The people who may sign, from the organization streams: person id → organization and roles. */
export type Signatories = Readonly<Record<Id, { organizationId: Id; roles: readonly Role[] }>>;

export type ApproveAgreementVersion = RecordEvent<
  AgreementVersionApproved,
  { signatories: Signatories }
>;
export type TerminateAgreement = RecordEvent<AgreementTerminated, Record<string, never>>;
export type AgreementCommand = ApproveAgreementVersion | TerminateAgreement;

type Known = { agreementId: Id; versions: readonly AgreementVersion[]; seen: SeenEvents };

export type AgreementState =
  | { status: 'empty' }
  | ({ status: 'approved' } & Known)
  | ({ status: 'terminated'; terminatedAt: Instant } & Known);

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
  const { data, metadata, context } = command;
  const occurredAt = toMillis(metadata.occurredAt, 'occurredAt');
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
    if (!context.signatories[signature.signerId]?.roles.includes(AGREEMENT_SIGNATORY_ROLE)) {
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
      occurredAt + SIGNATURE_TIME_TOLERANCE_MS
    ) {
      throw new DomainError(
        'signature.time-mismatch',
        `The ${party}'s signature is dated after the version was approved.`,
        { party, signedAt: signature.signedAt, occurredAt: metadata.occurredAt },
      );
    }
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
}

function approveVersion(
  command: ApproveAgreementVersion,
  state: AgreementState,
): AgreementVersionApproved {
  const { data, metadata } = command;
  checkActorIsParty(metadata, data.sponsorId, data.cdmoId);
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
  checkVersionContent(data);
  checkPartySignatures(command);
  return { type: command.type, data, metadata: eventMetadata(metadata) };
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
      return [approveVersion(command, state)];
    case 'concord.agreement.terminated.v1':
      return [terminate(command, state)];
    default:
      return unsupported(command, 'agreement decider');
  }
}

export function evolveAgreement(state: AgreementState, event: AgreementEvent): AgreementState {
  switch (event.type) {
    case 'concord.agreement.version-approved.v1': {
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
