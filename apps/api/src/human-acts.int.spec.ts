import { randomUUID } from 'node:crypto';
import { Authenticator, DEV_AUDIENCE, DEV_ISSUER, sha256Hex } from '@concord/auth';
import { verifyPlatformSignature } from '@concord/evidence';
import { streams } from '@concord/ingest';
import { PAIR_A, personIn } from '@concord/ingest/test-support';
import { waitFor } from '@concord/test-infra';
import { describeWithPostgres } from '@concord/test-infra/vitest';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { createApi } from './server.ts';
import {
  A1,
  A2,
  CDMO,
  DEV_A,
  DEV_B,
  NOW,
  OTHER_SPONSOR,
  openApiWorld,
  PLATFORM_KEY,
  PLATFORM_KEYRING,
  SPONSOR,
  type ApiWorld,
} from './test-support/api-world.ts';

// The feed names a CAPA after its deviation's own reference, without the namespace.
const CAPA_A = `capa-${DEV_A.split(':')[1]!.slice(4)}`;
const REGISTER_ENTRY = 'QPR-NB-HLV201-26-0301';
/** The world has no auditor; the suite registers this one at the sponsor (see beforeAll). */
const AUDITOR = { personId: 'htx-p-0090', printedName: 'Dr. Ines Keller' };
const SYSTEM_KEY = 'htx-qms-key-0001';

const RESULT = (success: string) => `__typename
  ... on ${success} { data { eventId streamId position
    signature { signerId printedName signedAt meaning reason } } }
  ... on Refusal { code message }`;

const APPROVE_CAPA = `mutation($deviationId: ID!, $capaId: ID!, $signature: SignatureInput!) {
  result: approveCapa(deviationId: $deviationId, capaId: $capaId, signature: $signature) {
    ${RESULT('MutationApproveCapaSuccess')} } }`;
const APPROVE_CLOSURE = `mutation($deviationId: ID!, $signature: SignatureInput!) {
  result: approveDeviationClosure(deviationId: $deviationId, signature: $signature) {
    ${RESULT('MutationApproveDeviationClosureSuccess')} } }`;
const RECORD_DISPOSITION = `mutation($batchId: ID!, $signature: SignatureInput!) {
  result: recordDisposition(batchId: $batchId, decision: RELEASED, signature: $signature) {
    ${RESULT('MutationRecordDispositionSuccess')} } }`;
const CERTIFY = `mutation($batchId: ID!, $registerEntryId: ID!, $signature: SignatureInput!) {
  result: certifyBatch(batchId: $batchId, registerEntryId: $registerEntryId, signature: $signature) {
    ${RESULT('MutationCertifyBatchSuccess')} } }`;

type Signature = {
  signerId: string;
  printedName: string;
  signedAt: string;
  meaning: string;
  reason: string;
};
type Result =
  | { __typename: 'DomainRefusal' | 'SignatureRefusal'; code: string; message: string }
  | {
      __typename: string;
      data: { eventId: string; streamId: string; position: string; signature: Signature };
    };

describeWithPostgres('human acts with e-signatures (real PostgreSQL)', (database) => {
  let world: ApiWorld;

  beforeAll(async () => {
    world = await openApiWorld(database());
    await world.store.append(streams.organization(SPONSOR), [
      {
        id: randomUUID(),
        type: 'concord.organization.role-granted.v1',
        data: { organizationId: SPONSOR, ...AUDITOR, role: 'auditor' },
        metadata: { actorid: 'concord-admin', actororg: 'concord', time: '2026-01-06T09:00:00Z' },
      },
    ]);
    await caughtUp();
  });
  afterAll(async () => world?.close());

  /**
   * Waits until the process manager has followed, and the projector has projected, every event
   * appended so far. The store shows an event only once every transaction older than it has
   * ended, anywhere on the server, so one pass can stop short while other work runs against the
   * same PostgreSQL; `publish([])` lets the exchange's process manager follow what it missed.
   */
  async function caughtUp() {
    await waitFor(
      async () => {
        await world.exchange.publish([]);
        const { rows } = await world.db.query<{ head: string }>(
          'select coalesce(max(global_position), 0)::text as head from es_events',
        );
        const head = BigInt(rows[0]!.head);
        return (
          (await world.store.headPosition()) >= head && (await world.projector.catchUp()) >= head
        );
      },
      { description: 'the process manager and the projector at the head', timeoutMs: 60_000 },
    );
  }

  /** A signature as the person registered at `organizationId` in `role` would give it. */
  async function signatureOf(
    organizationId: string,
    role: string,
    overrides: Partial<Record<'printedName' | 'meaning' | 'reason' | 'credential', string>> = {},
  ) {
    return {
      printedName: personIn(organizationId, role).printedName,
      meaning: 'APPROVAL',
      reason: 'Reviewed the investigation and the proposed actions; approved.',
      credential: await world.stepUp(organizationId, role),
      ...overrides,
    };
  }

  async function act(token: string, query: string, variables: Record<string, unknown>) {
    const { status, body } = await world.graphql(token, query, variables);
    expect(body.errors).toBeUndefined();
    expect(status).toBe(200);
    return (body.data as { result: Result }).result;
  }

  const length = async (streamId: string) => (await world.store.readStream(streamId)).length;

  /** Runs an act that must be refused, and checks that nothing was appended to the stream. */
  async function refusedAct(
    streamId: string,
    token: string,
    query: string,
    variables: Record<string, unknown>,
  ) {
    const before = await length(streamId);
    const result = await act(token, query, variables);
    expect(await length(streamId)).toBe(before);
    return result;
  }

  async function deviationView(token: string, id = DEV_A) {
    const { body } = await world.graphql(
      token,
      `query($id: ID!) { deviation(id: $id) {
        status capaId capaStatus
        capaApprovalSignature { signerId printedName signedAt meaning reason }
        closureApprovalSignature { signerId printedName signedAt meaning reason }
        timeline(last: 1) { edges { node { eventId type actorId actorRole
          eSignature { signerId printedName meaning reason } } } } } }`,
      { id },
    );
    expect(body.errors).toBeUndefined();
    return (body.data as { deviation: Record<string, unknown> & DeviationTimeline }).deviation;
  }
  type DeviationTimeline = {
    timeline: { edges: { node: { eventId: string; type: string; eSignature: unknown } }[] };
  };

  it('refuses approvals the lifecycle has not reached yet (domain: deviation.out-of-order)', async () => {
    const token = await world.token(SPONSOR);
    expect((await deviationView(token)).status).toBe('REPORTED');
    const stream = streams.deviation(DEV_A);
    expect(
      await refusedAct(stream, token, APPROVE_CAPA, {
        deviationId: DEV_A,
        capaId: CAPA_A,
        signature: await signatureOf(SPONSOR, 'qa'),
      }),
    ).toEqual({
      __typename: 'DomainRefusal',
      code: 'deviation.out-of-order',
      message:
        'concord.deviation.capa-approved.v1 cannot be recorded while the deviation is reported. What may come next: concord.deviation.classified.v1.',
    });
    expect(
      await refusedAct(stream, token, APPROVE_CLOSURE, {
        deviationId: DEV_A,
        signature: await signatureOf(SPONSOR, 'qa'),
      }),
    ).toMatchObject({ __typename: 'DomainRefusal', code: 'deviation.out-of-order' });
  });

  it('follows the partners through the investigation to a proposed CAPA', async () => {
    const devA = world.exchange.feed.deviation(PAIR_A, DEV_A);
    await world.exchange.publish([
      devA.classified('2026-04-28T08:00:00Z', 'major'),
      devA.investigated('2026-04-28T12:00:00Z'),
      devA.rootCause('2026-04-29T09:00:00Z'),
      devA.assessed('2026-04-29T15:00:00Z', [A2]),
      devA.capaProposed('2026-04-30T10:00:00Z'),
    ]);
    await caughtUp();
    expect(await deviationView(await world.token(SPONSOR))).toMatchObject({
      status: 'CAPA_PROPOSED',
      capaId: CAPA_A,
      capaApprovalSignature: null,
    });
  });

  async function viewerCan(token: string, subject: 'batch' | 'deviation', id: string) {
    const { body } = await world.graphql(
      token,
      subject === 'batch'
        ? `query($id: ID!) { node: batch(id: $id) { viewerCan { release quarantine reject certify } } }`
        : `query($id: ID!) { node: deviation(id: $id) { viewerCan { approveCapa approveClosure } } }`,
      { id },
    );
    expect(body.errors).toBeUndefined();
    return (body.data as { node: { viewerCan: Record<string, boolean> } | null }).node?.viewerCan;
  }

  it("offers the CAPA approval to the sponsor's QA alone, as the domain decides it (viewerCan)", async () => {
    const auditor = { personId: AUDITOR.personId, organizationId: SPONSOR, roles: ['auditor'] };
    const qaAsAuditor = { ...auditor, personId: personIn(SPONSOR, 'qa').personId };
    const before = await length(streams.deviation(DEV_A));
    expect(await viewerCan(await world.token(SPONSOR), 'deviation', DEV_A)).toEqual({
      approveCapa: true,
      approveClosure: false,
    });
    for (const token of [
      await world.token(CDMO), // a major deviation's CAPA is the sponsor's to approve
      await world.issuer.mint(auditor), // approvals take QA
      await world.issuer.mint(qaAsAuditor), // the session's roles bound what one signs as
    ])
      expect(await viewerCan(token, 'deviation', DEV_A)).toEqual({
        approveCapa: false,
        approveClosure: false,
      });
    // The other pair sees nothing of it.
    expect(await viewerCan(await world.token(OTHER_SPONSOR), 'deviation', DEV_A)).toBeUndefined();
    // Asking records nothing.
    expect(await length(streams.deviation(DEV_A))).toBe(before);
  });

  it('refuses text that is not Unicode (a lone surrogate) in any argument, naming it, recording nothing', async () => {
    const token = await world.token(SPONSOR);
    const stream = streams.deviation(DEV_A);
    const before = await length(stream);
    const send = async (variables: Record<string, unknown>) => {
      const { status, body } = await world.graphql(token, APPROVE_CAPA, variables);
      expect(status).toBe(200);
      expect(body.data ?? null).toBeNull();
      return body.errors;
    };
    const notUnicode = (where: string) => [
      expect.objectContaining({
        message: `${where} holds a lone UTF-16 surrogate (a \\uD800-\\uDFFF escape without its other half): it is not Unicode text.`,
        extensions: { code: 'BAD_USER_INPUT' },
      }),
    ];
    // A high half at the end, a low half alone, each in a different argument.
    expect(
      await send({
        deviationId: DEV_A,
        capaId: CAPA_A,
        signature: await signatureOf(SPONSOR, 'qa', { reason: 'Approved \ud800' }),
      }),
    ).toEqual(notUnicode('Variable "$signature" at "signature.reason"'));
    expect(
      await send({
        deviationId: `${DEV_A}\udc00`,
        capaId: CAPA_A,
        signature: await signatureOf(SPONSOR, 'qa'),
      }),
    ).toEqual(notUnicode('Variable "$deviationId"'));
    // Written in the document itself, the parser refuses it.
    const { body } = await world.graphql(token, '{ deviation(id: "DEV-\\ud800") { deviationId } }');
    expect(body.errors?.[0]?.message).toMatch(/^Syntax Error: Invalid Unicode escape sequence/);
    // A well-formed pair is text like any other: refused for what it says, not for how.
    expect(
      await refusedAct(stream, token, APPROVE_CAPA, {
        deviationId: DEV_A,
        capaId: CAPA_A,
        signature: await signatureOf(SPONSOR, 'qa', { printedName: 'Dr. \ud83d\ude00' }),
      }),
    ).toMatchObject({ code: 'signature.printed-name-mismatch' });
    expect(await length(stream)).toBe(before);
  });

  it('refuses a signature whose ceremony fails, each with its own code, recording nothing', async () => {
    const token = await world.token(SPONSOR);
    const stream = streams.deviation(DEV_A);
    const approve = async (signature: Record<string, string>, caller = token) =>
      refusedAct(stream, caller, APPROVE_CAPA, { deviationId: DEV_A, capaId: CAPA_A, signature });
    const registered = personIn(SPONSOR, 'qa').printedName;

    expect(
      await approve(await signatureOf(SPONSOR, 'qa', { printedName: 'Dr. L. Vogel' })),
    ).toEqual({
      __typename: 'SignatureRefusal',
      code: 'signature.printed-name-mismatch',
      message: `The printed name must be the signer's registered name, ${registered}.`,
    });
    // The sign-in token re-entered as if it were the step-up credential.
    expect(await approve(await signatureOf(SPONSOR, 'qa', { credential: token }))).toEqual({
      __typename: 'SignatureRefusal',
      code: 'signature.credential-refused',
      message: 'The credential was not issued for an e-signature.',
    });
    // A step-up credential issued ten minutes ago has expired (they last five minutes).
    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() - 10 * 60_000 });
    const stale = await world.stepUp(SPONSOR, 'qa');
    vi.useRealTimers();
    expect(await approve(await signatureOf(SPONSOR, 'qa', { credential: stale }))).toEqual({
      __typename: 'SignatureRefusal',
      code: 'signature.credential-refused',
      message: 'The token has expired.',
    });
    // Someone else's step-up credential (the CDMO's QA re-entered theirs).
    expect(
      await approve(
        await signatureOf(SPONSOR, 'qa', { credential: await world.stepUp(CDMO, 'qa') }),
      ),
    ).toEqual({
      __typename: 'SignatureRefusal',
      code: 'signature.credential-refused',
      message: 'The re-entered credential belongs to someone else.',
    });
    expect(await approve(await signatureOf(SPONSOR, 'qa', { reason: '   ' }))).toEqual({
      __typename: 'SignatureRefusal',
      code: 'signature.reason-required',
      message: 'State the reason for signing.',
    });
    // The domain's own rules on the signature and on who approves.
    expect(await approve(await signatureOf(SPONSOR, 'qa', { meaning: 'REVIEW' }))).toMatchObject({
      __typename: 'DomainRefusal',
      code: 'signature.wrong-meaning',
    });
    expect(
      await refusedAct(stream, token, APPROVE_CAPA, {
        deviationId: DEV_A,
        capaId: 'capa-never-proposed',
        signature: await signatureOf(SPONSOR, 'qa'),
      }),
    ).toEqual({
      __typename: 'DomainRefusal',
      code: 'deviation.unknown-capa',
      message: `CAPA capa-never-proposed was not proposed; the proposed CAPA is ${CAPA_A}.`,
    });
    expect(await approve(await signatureOf(CDMO, 'qa'), await world.token(CDMO))).toEqual({
      __typename: 'DomainRefusal',
      code: 'deviation.sponsor-approval-required',
      message: `A major deviation's CAPA must be approved by the sponsor (${SPONSOR}).`,
    });
    // A step-up credential signs one act: once used (even by an act the domain refused), it is
    // spent, and the step-up token is no sign-in token either.
    const once = await signatureOf(SPONSOR, 'qa', { meaning: 'REVIEW' });
    expect(await approve(once)).toMatchObject({ code: 'signature.wrong-meaning' });
    expect(await approve({ ...once, meaning: 'APPROVAL' })).toEqual({
      __typename: 'SignatureRefusal',
      code: 'signature.credential-used',
      message:
        'The re-entered credential has already signed an act; re-enter it for this signature.',
    });
    const asSignIn = await world.graphql(once.credential, '{ batches { totalCount } }');
    expect(asSignIn.status).toBe(401);
    expect(JSON.stringify(asSignIn.body)).toContain('issued for an e-signature');
  });

  it('refuses an auditor: the domain requires QA to approve', async () => {
    const claims = { personId: AUDITOR.personId, organizationId: SPONSOR, roles: ['auditor'] };
    const signature = {
      printedName: AUDITOR.printedName,
      meaning: 'APPROVAL',
      reason: 'Audit.',
      credential: await world.issuer.mintStepUp(claims),
    };
    const stream = streams.deviation(DEV_A);
    const refusal = {
      __typename: 'DomainRefusal',
      code: 'signature.wrong-role',
      message: 'concord.deviation.capa-approved.v1 must be signed by a person holding the role qa.',
    };
    expect(
      await refusedAct(stream, await world.issuer.mint(claims), APPROVE_CAPA, {
        deviationId: DEV_A,
        capaId: CAPA_A,
        signature,
      }),
    ).toEqual(refusal);
    // The sponsor's QA signed in as an auditor only: the session's roles bound what they sign as.
    const qa = personIn(SPONSOR, 'qa');
    const asAuditor = { personId: qa.personId, organizationId: SPONSOR, roles: ['auditor'] };
    expect(
      await refusedAct(stream, await world.issuer.mint(asAuditor), APPROVE_CAPA, {
        deviationId: DEV_A,
        capaId: CAPA_A,
        signature: {
          ...(await signatureOf(SPONSOR, 'qa')),
          credential: await world.issuer.mintStepUp(asAuditor),
        },
      }),
    ).toEqual(refusal);
  });

  it('refuses a partner system (API key): only a person signs', async () => {
    // The world's authenticator knows no API keys; an API beside it with one, same store and
    // read model.
    const api = createApi({
      prisma: world.prisma,
      store: world.store,
      authenticator: new Authenticator({
        issuer: DEV_ISSUER,
        audience: DEV_AUDIENCE,
        keys: world.issuer.jwks(),
        apiKeys: [
          {
            sha256: sha256Hex(SYSTEM_KEY),
            organizationId: SPONSOR,
            systemId: 'htx-qms',
            roles: ['qa'],
          },
        ],
      }),
      clock: () => new Date(NOW),
    });
    const before = await length(streams.deviation(DEV_A));
    const response = await api.yoga.fetch('http://concord.test/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `ApiKey ${SYSTEM_KEY}` },
      body: JSON.stringify({
        query: APPROVE_CAPA,
        variables: {
          deviationId: DEV_A,
          capaId: CAPA_A,
          signature: await signatureOf(SPONSOR, 'qa'),
        },
      }),
    });
    const body = (await response.json()) as { data?: { result: Result }; errors?: unknown };
    expect(body.errors).toBeUndefined();
    expect(body.data?.result).toEqual({
      __typename: 'SignatureRefusal',
      code: 'act.person-required',
      message: 'Only a person can sign; systems cannot.',
    });
    expect(await length(streams.deviation(DEV_A))).toBe(before);
    // The key itself is good: the same system reads its organization's batches.
    const read = await api.yoga.fetch('http://concord.test/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `ApiKey ${SYSTEM_KEY}` },
      body: JSON.stringify({ query: '{ batches { totalCount } }' }),
    });
    expect(await read.json()).toEqual({ data: { batches: { totalCount: 2 } } });
  });

  it("answers an act on the other pair's deviation exactly like one on a deviation that does not exist", async () => {
    const token = await world.token(SPONSOR);
    const signature = await signatureOf(SPONSOR, 'qa');
    const ask = async (deviationId: string) =>
      (await world.graphql(token, APPROVE_CLOSURE, { deviationId, signature })).body;
    const theirs = await ask(DEV_B);
    expect(theirs).toEqual(await ask('dev-does-not-exist'));
    expect(theirs).toEqual({
      data: {
        result: {
          __typename: 'SignatureRefusal',
          code: 'act.unknown-subject',
          message: 'No such deviation.',
        },
      },
    });
    expect(
      (await world.store.readStream(streams.deviation(DEV_B))).map((e) => e.type),
    ).not.toContain('concord.deviation.closure-approved.v1');
  });

  it("approves the CAPA: the sponsor's QA signs, the event carries the signature, the read model shows it", async () => {
    const token = await world.token(SPONSOR);
    const qa = personIn(SPONSOR, 'qa');
    const reason = 'CAPA addresses the root cause; effectiveness check in 90 days.';
    const stepUp = await world.stepUp(SPONSOR, 'qa');
    const result = await act(token, APPROVE_CAPA, {
      deviationId: DEV_A,
      capaId: CAPA_A,
      signature: await signatureOf(SPONSOR, 'qa', { reason, credential: stepUp }),
    });
    const signature = {
      signerId: qa.personId,
      printedName: qa.printedName,
      signedAt: NOW,
      meaning: 'approval',
      reason,
    };
    expect(result).toMatchObject({
      __typename: 'MutationApproveCapaSuccess',
      data: { streamId: streams.deviation(DEV_A), signature },
    });
    const recorded = 'data' in result ? result.data : undefined;

    const events = await world.store.readStream(streams.deviation(DEV_A));
    const event = events.at(-1)!;
    expect(event).toMatchObject({
      id: recorded!.eventId,
      type: 'concord.deviation.capa-approved.v1',
      data: { deviationId: DEV_A, capaId: CAPA_A, signature },
    });
    expect(String(event.globalPosition)).toBe(recorded!.position);
    // The ceremony's evidence is stored with the act, under the platform's signature: which
    // re-authentication (a digest of the step-up token, never the token) and when it happened.
    const issuedAt = JSON.parse(Buffer.from(stepUp.split('.')[1]!, 'base64url').toString()).iat;
    expect(event.metadata.signingCeremony).toEqual({
      reauthenticationId: sha256Hex(stepUp),
      reauthenticatedAt: new Date(issuedAt * 1000).toISOString(),
    });
    expect(JSON.stringify(event.metadata)).not.toContain(stepUp);
    expect(verifyPlatformSignature(event, PLATFORM_KEYRING)).toEqual({
      status: 'valid',
      keyId: PLATFORM_KEY.keyId,
    });

    await caughtUp();
    const view = await deviationView(token);
    expect(view).toMatchObject({
      status: 'CAPA_APPROVED',
      capaApprovalSignature: signature,
      closureApprovalSignature: null,
    });
    expect(view.timeline.edges[0]!.node).toMatchObject({
      eventId: recorded!.eventId,
      type: 'concord.deviation.capa-approved.v1',
      eSignature: { signerId: qa.personId, printedName: qa.printedName, meaning: 'approval' },
    });
    // The CDMO sees the same signature on its side of the partnership.
    expect((await deviationView(await world.token(CDMO))).capaApprovalSignature).toEqual(signature);
  });

  it('approves the closure, after which the CDMO closes the deviation and the batch is no longer blocked by it', async () => {
    const token = await world.token(SPONSOR);
    const readinessOfA2 = async () => {
      const { body } = await world.graphql(
        token,
        `query($id: ID!) { batch(id: $id) { blockers { kind reference } } }`,
        { id: A2 },
      );
      return (body.data as { batch: { blockers: { kind: string; reference: string | null }[] } })
        .batch.blockers;
    };
    expect(await readinessOfA2()).toContainEqual({ kind: 'OPEN_DEVIATION', reference: DEV_A });

    const reason = 'Investigation and CAPA adequate; the deviation may be closed.';
    const result = await act(token, APPROVE_CLOSURE, {
      deviationId: DEV_A,
      signature: await signatureOf(SPONSOR, 'qa', { reason }),
    });
    expect(result).toMatchObject({ __typename: 'MutationApproveDeviationClosureSuccess' });
    const events = await world.store.readStream(streams.deviation(DEV_A));
    expect(events.at(-1)).toMatchObject({
      type: 'concord.deviation.closure-approved.v1',
      data: { signature: { signerId: personIn(SPONSOR, 'qa').personId, reason } },
    });
    await caughtUp();
    expect(await deviationView(token)).toMatchObject({
      status: 'CLOSURE_APPROVED',
      closureApprovalSignature: { printedName: personIn(SPONSOR, 'qa').printedName, reason },
    });

    await world.exchange.publish([world.exchange.feed.deviation(PAIR_A, DEV_A).closed(NOW)]);
    await caughtUp();
    expect((await deviationView(token)).status).toBe('CLOSED');
    expect(await readinessOfA2()).not.toContainEqual(
      expect.objectContaining({ kind: 'OPEN_DEVIATION' }),
    );

    // A closed deviation takes no further approval.
    expect(
      await refusedAct(streams.deviation(DEV_A), token, APPROVE_CLOSURE, {
        deviationId: DEV_A,
        signature: await signatureOf(SPONSOR, 'qa'),
      }),
    ).toEqual({
      __typename: 'DomainRefusal',
      code: 'deviation.already-closed',
      message: `Deviation ${DEV_A} is closed (a correction is still accepted).`,
    });
  });

  it("records A1's disposition by the CDMO's QA and its certification by the CDMO's QP, as the agreement assigns them", async () => {
    const stream = streams.batch(A1);
    const sponsorToken = await world.token(SPONSOR);
    const cdmoQa = personIn(CDMO, 'qa');
    const cdmoQp = personIn(CDMO, 'qp');
    const release = { batchId: A1 };

    // What the dashboard may offer, as the domain decides it: the CDMO's QA dispositions, the
    // QP certifies only after a release, the sponsor signs neither under this agreement.
    expect(await viewerCan(await world.token(CDMO), 'batch', A1)).toEqual({
      release: true,
      quarantine: true,
      reject: true,
      certify: false,
    });
    const nothing = { release: false, quarantine: false, reject: false, certify: false };
    expect(await viewerCan(sponsorToken, 'batch', A1)).toEqual(nothing);
    expect(await viewerCan(await world.token(CDMO, 'qp'), 'batch', A1)).toEqual(nothing);
    // A batch still in manufacture offers no disposition.
    expect(await viewerCan(await world.token(CDMO), 'batch', A2)).toEqual(nothing);

    // Under pair A's agreement the CDMO performs the disposition, not the sponsor.
    expect(
      await refusedAct(stream, sponsorToken, RECORD_DISPOSITION, {
        ...release,
        signature: await signatureOf(SPONSOR, 'qa'),
      }),
    ).toMatchObject({ __typename: 'DomainRefusal', code: 'authorization.not-responsible-party' });
    // Certification before any disposition.
    expect(
      await refusedAct(stream, await world.token(CDMO, 'qp'), CERTIFY, {
        ...release,
        registerEntryId: REGISTER_ENTRY,
        signature: await signatureOf(CDMO, 'qp', { meaning: 'RESPONSIBILITY' }),
      }),
    ).toMatchObject({ __typename: 'DomainRefusal', code: 'qp.requires-release' });
    // A batch still in manufacture cannot be dispositioned.
    expect(
      await refusedAct(streams.batch(A2), await world.token(CDMO), RECORD_DISPOSITION, {
        batchId: A2,
        signature: await signatureOf(CDMO, 'qa'),
      }),
    ).toEqual({
      __typename: 'DomainRefusal',
      code: 'batch.out-of-order',
      message:
        'concord.batch.disposition-recorded.v1 cannot be recorded while the batch is in-manufacture. What may come next: concord.batch.manufacturing-held.v1, concord.batch.manufacturing-aborted.v1, concord.batch.manufacturing-completed.v1.',
    });

    const disposition = await act(await world.token(CDMO), RECORD_DISPOSITION, {
      ...release,
      signature: await signatureOf(CDMO, 'qa', { reason: 'Batch record, CoA and QC reviewed.' }),
    });
    expect(disposition).toMatchObject({
      __typename: 'MutationRecordDispositionSuccess',
      data: { signature: { signerId: cdmoQa.personId, meaning: 'approval' } },
    });
    expect((await world.store.readStream(stream)).at(-1)).toMatchObject({
      type: 'concord.batch.disposition-recorded.v1',
      data: { batchId: A1, decision: 'released', signature: { printedName: cdmoQa.printedName } },
    });

    // Released: now the QP may certify, and the release is final.
    expect(await viewerCan(await world.token(CDMO, 'qp'), 'batch', A1)).toEqual({
      ...nothing,
      certify: true,
    });
    expect(await viewerCan(await world.token(CDMO), 'batch', A1)).toEqual(nothing);

    // QA may not certify: that takes a QP.
    expect(
      await refusedAct(stream, await world.token(CDMO), CERTIFY, {
        ...release,
        registerEntryId: REGISTER_ENTRY,
        signature: await signatureOf(CDMO, 'qa', { meaning: 'RESPONSIBILITY' }),
      }),
    ).toMatchObject({ __typename: 'DomainRefusal', code: 'signature.wrong-role' });
    const certification = await act(await world.token(CDMO, 'qp'), CERTIFY, {
      ...release,
      registerEntryId: REGISTER_ENTRY,
      signature: await signatureOf(CDMO, 'qp', {
        meaning: 'RESPONSIBILITY',
        reason: 'Certified in accordance with EU GMP Annex 16.',
      }),
    });
    expect(certification).toMatchObject({
      __typename: 'MutationCertifyBatchSuccess',
      data: { signature: { signerId: cdmoQp.personId, meaning: 'responsibility' } },
    });
    expect((await world.store.readStream(stream)).at(-1)).toMatchObject({
      type: 'concord.batch.qp-certified.v1',
      data: { batchId: A1, registerEntryId: REGISTER_ENTRY, certifiedAt: NOW },
    });

    await caughtUp();
    const { body } = await world.graphql(
      sponsorToken,
      `query($id: ID!) {
        batch(id: $id) { status releaseReady blockers { kind }
          disposition { decision recordedAt signature { signerId printedName meaning reason } }
          certification { registerEntryId certifiedAt signature { signerId printedName meaning } } }
        releaseReadiness { edges { node { batchId } } } }`,
      { id: A1 },
    );
    expect(body.errors).toBeUndefined();
    const data = body.data as {
      batch: Record<string, unknown>;
      releaseReadiness: { edges: { node: { batchId: string } }[] };
    };
    expect(data.batch).toEqual({
      status: 'QP_CERTIFIED',
      // Nothing stands between it and release any more.
      releaseReady: true,
      blockers: [],
      disposition: {
        decision: 'released',
        recordedAt: NOW,
        signature: {
          signerId: cdmoQa.personId,
          printedName: cdmoQa.printedName,
          meaning: 'approval',
          reason: 'Batch record, CoA and QC reviewed.',
        },
      },
      certification: {
        registerEntryId: REGISTER_ENTRY,
        certifiedAt: NOW,
        signature: {
          signerId: cdmoQp.personId,
          printedName: cdmoQp.printedName,
          meaning: 'responsibility',
        },
      },
    });
    // Certified: off the review-by-exception list, where A2 remains.
    expect(data.releaseReadiness.edges.map((edge) => edge.node.batchId)).toEqual([A2]);
  });
});
