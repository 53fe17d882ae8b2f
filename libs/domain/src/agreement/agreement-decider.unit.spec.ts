import { DeciderSpecification } from '@concord/testing';
import { describe, expect, it } from 'vitest';
import type { AgreementVersion, AgreementVersionApproved } from '../events/agreement-events.ts';
import { platformActor, type Actor } from '../shared/command.ts';
import { agreementV1, at, CDMO, people, signature, SPONSOR } from '../test-support/fixtures.ts';
import {
  agreementDecider,
  agreementVersionAt,
  type AgreementCommand,
  type AgreementState,
  type ApproveAgreementVersion,
} from './agreement-decider.ts';

const spec = DeciderSpecification.for(agreementDecider);

const signatories = {
  [people.sponsorQa.personId]: { organizationId: SPONSOR, roles: people.sponsorQa.roles },
  [people.cdmoQa.personId]: { organizationId: CDMO, roles: people.cdmoQa.roles },
  [people.cdmoQc.personId]: { organizationId: CDMO, roles: people.cdmoQc.roles },
};

function approve(
  data: Partial<AgreementVersion> = {},
  actor: Actor = platformActor,
): ApproveAgreementVersion {
  return {
    type: 'concord.agreement.version-approved.v1',
    data: { ...agreementV1, effectiveFrom: at(0), ...data },
    metadata: { eventId: `v-${data.version ?? 1}`, actor, occurredAt: at(0), recordedAt: at(0) },
    context: { signatories },
  };
}
function approved(data: Partial<AgreementVersion> = {}): AgreementVersionApproved {
  const command = approve(data);
  return {
    type: command.type,
    data: command.data,
    metadata: {
      id: command.metadata.eventId,
      time: at(0),
      recordedtime: at(0),
      actorid: 'x',
      actororg: 'concord',
    },
  };
}
const v2 = { version: 2, reason: 'Sponsor takes over CoA review', effectiveFrom: at(60 * 24) };
const terminate = {
  type: 'concord.agreement.terminated.v1' as const,
  data: {
    agreementId: agreementV1.agreementId,
    effectiveAt: at(60 * 24 * 365),
    reason: 'Product discontinued',
  },
  metadata: { eventId: 't-1', actor: people.sponsorQa, occurredAt: at(0), recordedAt: at(0) },
  context: {},
};

describe('quality agreement versions', () => {
  it('approves version 1 signed by both parties', () => {
    spec
      .given([])
      .when(approve())
      .then({ type: 'concord.agreement.version-approved.v1', data: approve().data });
  });

  it('approves version 2 with a reason, effective later', () => {
    spec
      .given([approved()])
      .when(approve(v2))
      .then({ type: 'concord.agreement.version-approved.v1', data: approve(v2).data });
  });

  it('refuses a version that is not the previous + 1', () => {
    spec
      .given([])
      .when(approve({ version: 2, reason: 'x' }))
      .thenThrows('agreement.version-out-of-sequence');
    spec
      .given([approved()])
      .when(approve({ ...v2, version: 3 }))
      .thenThrows('agreement.version-out-of-sequence');
    spec.given([approved()]).when(approve()).thenThrows('agreement.version-out-of-sequence');
  });

  it('refuses a later version without a reason', () => {
    spec
      .given([approved()])
      .when(approve({ ...v2, reason: undefined }))
      .thenThrows('agreement.reason-required');
  });

  it("refuses a version without the CDMO's signature", () => {
    spec
      .given([])
      .when(approve({ signatures: [signature(people.sponsorQa, 'approval', at(0))] }))
      .thenThrows('signature.missing');
  });

  it('refuses a signature by a person without QA role, or with another meaning', () => {
    spec
      .given([])
      .when(
        approve({
          signatures: [
            signature(people.sponsorQa, 'approval', at(0)),
            signature(people.cdmoQc, 'approval', at(0)),
          ],
        }),
      )
      .thenThrows('signature.wrong-role');
    spec
      .given([])
      .when(
        approve({
          signatures: [
            signature(people.sponsorQa, 'approval', at(0)),
            signature(people.cdmoQa, 'review', at(0)),
          ],
        }),
      )
      .thenThrows('signature.wrong-meaning');
  });

  it('refuses a signature dated after the approval', () => {
    spec
      .given([])
      .when(
        approve({
          signatures: [
            signature(people.sponsorQa, 'approval', at(60)),
            signature(people.cdmoQa, 'approval', at(0)),
          ],
        }),
      )
      .thenThrows('signature.time-mismatch');
  });

  it('refuses a change of parties, an earlier effective date, no products, a doubled activity', () => {
    spec
      .given([approved()])
      .when(approve({ ...v2, cdmoId: 'cdmo-y' }))
      .thenThrows('agreement.parties-changed');
    spec
      .given([approved()])
      .when(approve({ ...v2, effectiveFrom: at(-1) }))
      .thenThrows('agreement.effective-from-regression');
    spec
      .given([])
      .when(approve({ products: [] }))
      .thenThrows('agreement.no-products');
    spec
      .given([])
      .when(
        approve({
          responsibilities: [
            ...agreementV1.responsibilities,
            { activity: 'shipping', performedBy: 'sponsor' },
          ],
        }),
      )
      .thenThrows('agreement.duplicate-responsibility');
  });

  it('accepts the approval recorded by a party, refuses it from a stranger', () => {
    spec
      .given([])
      .when(approve({}, people.cdmoQa))
      .then({ type: 'concord.agreement.version-approved.v1', data: approve().data });
    spec
      .given([])
      .when(approve({}, people.otherCdmoProduction))
      .thenThrows('authorization.not-own-batch');
  });

  it('terminates, and refuses any version afterwards', () => {
    spec.given([approved()]).when(terminate).then({ type: terminate.type, data: terminate.data });
    const terminated = { type: terminate.type, data: terminate.data };
    spec.given([approved(), terminated]).when(approve(v2)).thenThrows('agreement.terminated');
    spec.given([approved(), terminated]).when(terminate).thenThrows('agreement.terminated');
    spec.given([]).when(terminate).thenThrows('agreement.not-found');
  });

  it('tells which version applied when, from the state', () => {
    const state = [approved(), approved(v2), { type: terminate.type, data: terminate.data }].reduce(
      agreementDecider.evolve,
      agreementDecider.initialState(),
    );
    expect(agreementVersionAt(state, at(-1))).toBeUndefined();
    expect(agreementVersionAt(state, at(10))?.version).toBe(1);
    expect(agreementVersionAt(state, at(60 * 24 + 1))?.version).toBe(2);
    expect(agreementVersionAt(state, at(60 * 24 * 365))).toBeUndefined();
  });
});

describe('a version drafted, then signed by both parties', () => {
  const sponsorAdmin = { personId: 'sp-admin', organizationId: SPONSOR, roles: [] };
  const administrators = { [SPONSOR]: ['sp-admin'] };
  const { signatures: _signatures, ...content } = agreementV1;
  const meta = (eventId: string, actor: Actor, minutes = 0) => ({
    eventId,
    actor,
    occurredAt: at(minutes),
    recordedAt: at(minutes),
  });
  const draft = (
    eventId: string,
    actor: Actor = sponsorAdmin,
    data: Partial<AgreementVersion> = {},
  ): AgreementCommand => ({
    type: 'concord.agreement.version-drafted.v1',
    data: { ...content, effectiveFrom: at(60), ...data },
    metadata: meta(eventId, actor),
    context: { administrators },
  });
  const sign = (
    party: 'sponsor' | 'cdmo',
    draftId: string,
    minutes = 10,
    who: Actor = party === 'sponsor' ? people.sponsorQa : people.cdmoQa,
  ): AgreementCommand => ({
    type: 'concord.agreement.version-signed.v1',
    data: {
      agreementId: content.agreementId,
      version: 1,
      draftId,
      party,
      signature: signature(who, 'approval', at(minutes)),
    },
    metadata: meta(`s-${party}-${minutes}`, who, minutes),
    context: { signatories },
  });
  function run(commands: AgreementCommand[]): AgreementState {
    let state = agreementDecider.initialState();
    for (const command of commands)
      for (const event of agreementDecider.decide(command, state))
        state = agreementDecider.evolve(state, {
          ...event,
          metadata: { ...event.metadata!, id: event.metadata!.id },
        });
    return state;
  }
  const codeOf = (command: AgreementCommand, state: AgreementState) => {
    try {
      return agreementDecider.decide(command, state).map((event) => event.type);
    } catch (error) {
      return (error as { code: string }).code;
    }
  };

  it('is drafted by an administrator of a party or an operator, never by anyone else', () => {
    const empty = agreementDecider.initialState();
    expect(codeOf(draft('d-1', people.sponsorQa), empty)).toBe('authorization.not-administrator');
    expect(
      codeOf(draft('d-1', { personId: 'sp-admin', organizationId: 'elsewhere', roles: [] }), empty),
    ).toBe('authorization.not-administrator');
    expect(codeOf(draft('d-1', platformActor), empty)).toEqual([
      'concord.agreement.version-drafted.v1',
    ]);
    expect(codeOf(draft('d-1'), empty)).toEqual(['concord.agreement.version-drafted.v1']);
    expect(codeOf(draft('d-1', sponsorAdmin, { effectiveFrom: at(-60) }), empty)).toBe(
      'agreement.effective-from-passed',
    );
  });

  it('is approved by the second party’s signature, with both signatures, in force from its date', () => {
    const drafted = run([draft('d-1')]);
    expect(codeOf(sign('cdmo', 'd-1', 10, people.cdmoQc), drafted)).toBe('signature.wrong-role');
    expect(codeOf(sign('sponsor', 'd-1', 10, people.cdmoQa), drafted)).toBe(
      'signature.signer-mismatch',
    );
    expect(codeOf(sign('sponsor', 'd-0'), drafted)).toBe('agreement.draft-superseded');
    const half = run([draft('d-1'), sign('sponsor', 'd-1')]);
    expect(half.status).toBe('empty');
    expect(agreementVersionAt(half, at(120))).toBeUndefined();
    expect(codeOf(sign('sponsor', 'd-1', 11), half)).toBe('agreement.already-signed');
    const [signed, approvedEvent] = agreementDecider.decide(sign('cdmo', 'd-1', 20), half);
    expect(signed?.type).toBe('concord.agreement.version-signed.v1');
    expect(approvedEvent).toMatchObject({
      type: 'concord.agreement.version-approved.v1',
      data: { version: 1, effectiveFrom: at(60) },
      metadata: { id: 's-cdmo-20:approved', causationid: 's-cdmo-20' },
    });
    expect(approvedEvent!.data).toMatchObject({
      signatures: [{ signerId: people.sponsorQa.personId }, { signerId: people.cdmoQa.personId }],
    });
    const full = run([draft('d-1'), sign('sponsor', 'd-1'), sign('cdmo', 'd-1', 20)]);
    expect(agreementVersionAt(full, at(59))).toBeUndefined();
    expect(agreementVersionAt(full, at(60))?.version).toBe(1);
    expect(full.draft).toBeUndefined();
  });

  it('takes a new draft of the version, and drops the signatures given to the old one', () => {
    const redrafted = run([
      draft('d-1'),
      sign('sponsor', 'd-1'),
      draft('d-2', sponsorAdmin, { effectiveFrom: at(90) }),
    ]);
    expect(redrafted.draft?.signatures).toEqual({});
    expect(codeOf(sign('cdmo', 'd-1', 20), redrafted)).toBe('agreement.draft-superseded');
    expect(codeOf(sign('cdmo', 'd-2', 20), redrafted)).toEqual([
      'concord.agreement.version-signed.v1',
    ]);
  });

  it('is not approved when its date has passed before the second signature', () => {
    const half = run([draft('d-1'), sign('sponsor', 'd-1')]);
    expect(codeOf(sign('cdmo', 'd-1', 24 * 60), half)).toBe('agreement.effective-from-passed');
  });
});
