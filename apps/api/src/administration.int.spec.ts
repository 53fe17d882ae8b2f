// Administration through the domain, against PostgreSQL, from an empty platform: a platform
// operator registers an organization and appoints its administrator; the administrator registers
// people, a partner system and an API key; the key works (GraphQL, last use) until it is revoked,
// then it is refused with the reason. Who may administer what is the organization decider's rule:
// anyone else is refused, and cannot tell another organization exists.
import type { DevIssuer } from '@concord/auth';
import { generateSigningKey, signKeyStatement } from '@concord/contract';
import type { PostgresEventStore } from '@concord/event-store-postgres';
import {
  generatePlatformKey,
  publicHalf,
  signingAsPlatform,
  verifyPlatformSignature,
} from '@concord/evidence';
import type { ReadModelPrisma } from '@concord/read-model';
import { describeWithPostgres } from '@concord/test-infra/vitest';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { ApiServer } from './api-server.ts';
import {
  apiServerOnPostgres,
  type ApiServerOnPostgres,
} from './test-support/api-server-on-postgres.ts';

const ORG = 'riverside-pharma';
const OTHER = 'harbor-labs';
const PLATFORM_KEY = generatePlatformKey('2026-01-01T00:00:00.000Z');

type Answer = {
  data?: Record<string, Record<string, unknown> | null>;
  errors?: { message: string }[];
};

describeWithPostgres('administration through the domain', (database) => {
  let running: ApiServerOnPostgres;
  let server: ApiServer;
  let store: PostgresEventStore;
  let prisma: ReadModelPrisma;
  let issuer: DevIssuer;

  beforeAll(async () => {
    running = await apiServerOnPostgres(database().url, {
      serve: (plain) => signingAsPlatform(plain, PLATFORM_KEY),
      httpIngest: false,
    });
    ({ server, store, prisma, issuer } = running);
  });
  afterAll(async () => running?.close());

  const token = (personId: string, organizationId: string, roles: string[], name?: string) =>
    issuer.mint({ personId, organizationId, roles, ...(name ? { name } : {}) });
  const operator = () => token('ops-ada', 'concord', ['operator'], 'Ada Operator');
  const admin = () => token('rp-admin', ORG, ['analyst'], 'Rui Admin');

  async function graphql(authorization: string | null, query: string, variables = {}) {
    const response = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(authorization ? { authorization } : {}),
      },
      body: JSON.stringify({ query, variables }),
    });
    return { status: response.status, body: (await response.json()) as Answer };
  }
  const asPerson = async (bearer: Promise<string>, query: string, variables = {}) =>
    (await graphql(`Bearer ${await bearer}`, query, variables)).body;

  const RESULT = `... on MutationRegisterOrganizationSuccess { data { eventId } }
    ... on Refusal { code message }`;
  const register = (bearer: Promise<string>, organizationId: string) =>
    asPerson(
      bearer,
      `mutation($id: ID!) { registerOrganization(organizationId: $id, name: "Riverside Pharma",
        kind: SPONSOR, reason: "Signed the platform agreement") { ${RESULT} } }`,
      { id: organizationId },
    );
  const act = async (bearer: Promise<string>, field: string, args: string) => {
    const body = await asPerson(
      bearer,
      `mutation { ${field}(${args}) { __typename ... on Refusal { code message } } }`,
    );
    expect(body.errors).toBeUndefined();
    return body.data![field] as { __typename: string; code?: string; message?: string };
  };
  const ISSUE = `mutation($expiresAt: DateTime!) {
    issueApiKey(organizationId: "${ORG}", systemId: "rp-erp", roles: [ANALYST],
      expiresAt: $expiresAt, reason: "ERP integration go-live") {
      __typename
      ... on MutationIssueApiKeySuccess { data { keyId key expiresAt recorded { eventId } } }
      ... on Refusal { code message }
    }
  }`;
  const inAMonth = () => new Date(Date.now() + 30 * 86_400_000).toISOString();

  it('lets only an operator register an organization, and records who and why, signed', async () => {
    const refused = await register(admin(), ORG);
    expect(refused.data!.registerOrganization).toMatchObject({
      code: 'authorization.not-administrator',
    });
    // Platform staff need the operator role, not just the platform's organization.
    const staff = await register(token('ops-bob', 'concord', ['analyst']), ORG);
    expect(staff.data!.registerOrganization).toMatchObject({
      code: 'administration.operator-required',
    });
    const done = await register(operator(), ORG);
    expect(done.errors).toBeUndefined();
    const [recorded] = await store.readStream(`organization-${ORG}`);
    expect(recorded).toMatchObject({
      type: 'concord.organization.registered.v1',
      data: { organizationId: ORG, name: 'Riverside Pharma', kind: 'sponsor' },
      metadata: {
        actorid: 'ops-ada',
        actororg: 'concord',
        reason: 'Signed the platform agreement',
      },
    });
    expect(verifyPlatformSignature(recorded!, [publicHalf(PLATFORM_KEY)]).status).toBe('valid');
    expect((await register(operator(), ORG)).data!.registerOrganization).toMatchObject({
      code: 'organization.already-registered',
    });
  });

  it('has the administrator the operator appoints run the organization, and nobody else', async () => {
    expect(
      await act(
        operator(),
        'appointAdministrator',
        `organizationId: "${ORG}", personId: "rp-admin", printedName: "Rui Admin", reason: "Named in the onboarding form"`,
      ),
    ).toMatchObject({ __typename: 'MutationAppointAdministratorSuccess' });
    const grant = (bearer: Promise<string>) =>
      act(
        bearer,
        'grantRole',
        `organizationId: "${ORG}", personId: "rp-qa-1", printedName: "Dr. Lena Qualls", role: QA, reason: "Head of QA"`,
      );
    // A member who is not an administrator, and another organization's people, are refused alike.
    expect(await grant(token('rp-qa-9', ORG, ['qa']))).toMatchObject({
      code: 'authorization.not-administrator',
    });
    expect(await grant(token('hl-admin', OTHER, ['qa']))).toMatchObject({
      code: 'authorization.not-administrator',
    });
    expect(await grant(admin())).toMatchObject({ __typename: 'MutationGrantRoleSuccess' });
    expect(await grant(admin())).toMatchObject({ code: 'organization.role-already-held' });
    expect(
      await act(
        admin(),
        'registerPartnerSystem',
        `organizationId: "${ORG}", systemId: "rp-erp", name: "Riverside ERP", reason: "ERP integration"`,
      ),
    ).toMatchObject({ __typename: 'MutationRegisterPartnerSystemSuccess' });
  });

  it('issues an API key once, keeps only its digest, and accepts it until it is revoked', async () => {
    const issued = await asPerson(admin(), ISSUE, { expiresAt: inAMonth() });
    expect(issued.errors).toBeUndefined();
    const { keyId, key } = issued.data!.issueApiKey!.data as { keyId: string; key: string };
    expect(key).toMatch(/^ck1\./);
    const everything = JSON.stringify(
      await store.readStream(`organization-${ORG}`),
      (_key, value) => (typeof value === 'bigint' ? String(value) : value),
    );
    expect(everything).toContain(keyId);
    expect(everything).not.toContain(key.split('.').at(-1));

    const viewer = await graphql(
      `ApiKey ${key}`,
      '{ viewer { id kind roles organization { organizationId } } }',
    );
    expect(viewer.body.data!.viewer).toMatchObject({
      id: 'rp-erp',
      kind: 'system',
      roles: ['analyst'],
    });
    // A key of the same form that was never issued, or altered, is just not known.
    const forged = `${key.slice(0, -4)}AAAA`;
    const refused = await graphql(`ApiKey ${forged}`, '{ viewer { id } }');
    expect(refused.status).toBe(401);
    expect(JSON.stringify(refused.body)).toContain('The API key is not known.');

    const administered = `query { administeredOrganization(organizationId: "${ORG}") {
      administrators { personId } people { personId roles }
      systems { systemId apiKeys { keyId status lastUsedAt roles } } } }`;
    await expect
      .poll(async () => (await asPerson(admin(), administered)).data!.administeredOrganization)
      .toMatchObject({
        administrators: [{ personId: 'rp-admin' }],
        people: [{ personId: 'rp-qa-1', roles: ['qa'] }],
        systems: [
          {
            systemId: 'rp-erp',
            apiKeys: [
              { keyId, status: 'ACTIVE', roles: ['analyst'], lastUsedAt: expect.any(String) },
            ],
          },
        ],
      });
    // Someone who does not administer it sees nothing, as for an organization that does not exist.
    for (const [bearer, organizationId] of [
      [token('rp-qa-1', ORG, ['qa']), ORG],
      [token('hl-admin', OTHER, ['qa']), ORG],
      [admin(), 'no-such-org'],
    ] as const)
      expect((await asPerson(bearer, administered.replace(ORG, organizationId))).data).toEqual({
        administeredOrganization: null,
      });

    expect(
      await act(
        admin(),
        'revokeApiKey',
        `organizationId: "${ORG}", systemId: "rp-erp", keyId: "${keyId}", reason: "Key seen in a support ticket"`,
      ),
    ).toMatchObject({ __typename: 'MutationRevokeApiKeySuccess' });
    const after = await graphql(`ApiKey ${key}`, '{ viewer { id } }');
    expect(after.status).toBe(401);
    expect(JSON.stringify(after.body)).toMatch(/The API key was revoked as of 20\d\d-/);
    expect(
      await act(
        admin(),
        'revokeApiKey',
        `organizationId: "${ORG}", systemId: "rp-erp", keyId: "${keyId}", reason: "again"`,
      ),
    ).toMatchObject({ code: 'organization.api-key-revoked' });
  });

  it('refuses a key that would outlive a year, and any act without a reason', async () => {
    const tooLong = new Date(Date.now() + 400 * 86_400_000).toISOString();
    expect(
      (await asPerson(admin(), ISSUE, { expiresAt: tooLong })).data!.issueApiKey,
    ).toMatchObject({
      code: 'organization.api-key-lifetime',
    });
    expect(
      await act(
        admin(),
        'registerPartnerSystem',
        `organizationId: "${ORG}", systemId: "rp-lims", name: "LIMS", reason: "  "`,
      ),
    ).toMatchObject({ code: 'administration.reason-required' });
  });

  it('lets no partner system administer, even with a valid key', async () => {
    const issued = await asPerson(admin(), ISSUE, { expiresAt: inAMonth() });
    const { key } = issued.data!.issueApiKey!.data as { key: string };
    const { body } = await graphql(
      `ApiKey ${key}`,
      `mutation { registerPartnerSystem(organizationId: "${ORG}", systemId: "x", name: "x", reason: "x") { __typename } }`,
    );
    expect(JSON.stringify(body.errors)).toContain('Not authorized');
  });
  it("lets operators, and nobody else, list, retry and skip the projector's dead letters, recording who and why", async () => {
    // A deviation under an agreement nobody recorded: the projector sets it aside.
    const orphan = (deviationId: string, agreementId: string) => ({
      id: `ev-${deviationId}`,
      type: 'concord.deviation.reported.v1',
      data: {
        deviationId,
        title: 'Orphan',
        description: 'Under an unknown agreement',
        category: 'other',
        severity: 'minor',
        productId: 'p',
        agreementId,
        linkedBatchIds: [],
        detectedAt: '2026-05-01T12:00:00.000Z',
      },
      metadata: { actorid: 'x', actororg: ORG, time: '2026-05-01T12:00:00.000Z' },
    });
    await store.append('deviation-dl-1', [orphan('dl-1', 'qa-late')]);
    await store.append('deviation-dl-2', [orphan('dl-2', 'qa-never')]);
    await server.projector.catchUp();
    const LIST = `{ deadLetters { ... on QueryDeadLettersSuccess { data { position eventId error } }
      ... on Refusal { code } } }`;
    const listed = await asPerson(operator(), LIST);
    const letters = (listed.data!.deadLetters as { data: { position: string; eventId: string }[] })
      .data;
    expect(letters.map((letter) => letter.eventId)).toEqual(['ev-dl-1', 'ev-dl-2']);
    const [first, second] = letters;
    // A partner's administrator is refused, and learns nothing of them.
    expect((await asPerson(admin(), LIST)).data!.deadLetters).toEqual({
      code: 'administration.operator-required',
    });
    const retry = (position: string, reason = 'Agreement recorded') =>
      asPerson(
        operator(),
        `mutation($p: String!, $r: String!) { retryDeadLetter(position: $p, reason: $r) {
          ... on MutationRetryDeadLetterSuccess { data { resolved { eventId } } }
          ... on Refusal { code message } } }`,
        { p: position, r: reason },
      );
    expect((await retry(first!.position)).data!.retryDeadLetter).toMatchObject({
      code: 'operations.retry-failed',
      message: expect.stringContaining('qa-late'),
    });
    expect((await retry(first!.position, ' ')).data!.retryDeadLetter).toMatchObject({
      code: 'administration.reason-required',
    });
    await store.append('agreement-qa-late', [
      {
        id: 'ev-qa-late',
        type: 'concord.agreement.version-approved.v1',
        data: {
          agreementId: 'qa-late',
          version: 1,
          sponsorId: ORG,
          cdmoId: OTHER,
          products: [{ productId: 'p', name: 'P' }],
          responsibilities: [{ activity: 'deviation-reporting', performedBy: 'cdmo' }],
          notificationDeadlinesHours: { critical: 24, major: 72, minor: 720 },
          effectiveFrom: '2026-01-01T00:00:00Z',
          signatures: [],
        },
        metadata: { actorid: 'concord-admin', actororg: 'concord', time: '2026-01-01T00:00:00Z' },
      },
    ]);
    await server.projector.catchUp();
    expect((await retry(first!.position)).data!.retryDeadLetter).toEqual({
      data: { resolved: [{ eventId: 'ev-dl-1' }] },
    });
    expect(await prisma.deviation.findUnique({ where: { id: 'dl-1' } })).toMatchObject({
      sponsorId: ORG,
    });
    const skipped = await asPerson(
      operator(),
      `mutation($p: String!) { skipDeadLetter(position: $p, reason: "Sent by mistake") {
        ... on MutationSkipDeadLetterSuccess { data { eventId } } ... on Refusal { code } } }`,
      { p: second!.position },
    );
    expect(skipped.data!.skipDeadLetter).toEqual({ data: { eventId: 'ev-dl-2' } });
    const after = await asPerson(
      operator(),
      `{ deadLetters { ... on QueryDeadLettersSuccess { data { eventId } } }
         deadLetterResolutions { ... on QueryDeadLetterResolutionsSuccess {
           data { eventId action actor reason } } } }`,
    );
    expect(after.data).toEqual({
      deadLetters: { data: [] },
      deadLetterResolutions: {
        data: [
          { eventId: 'ev-dl-2', action: 'skipped', actor: 'ops-ada', reason: 'Sent by mistake' },
          { eventId: 'ev-dl-1', action: 'retried', actor: 'ops-ada', reason: 'Agreement recorded' },
          {
            eventId: 'ev-dl-1',
            action: 'retry-failed',
            actor: 'ops-ada',
            reason: 'Agreement recorded',
          },
        ],
      },
    });
  });
  it('registers the organization’s sites and products, checked against the published schema', async () => {
    expect(
      await act(
        admin(),
        'registerSite',
        `organizationId: "${ORG}", siteId: "rp-basel", name: "Basel plant", country: "CH", reason: "New plant"`,
      ),
    ).toMatchObject({ __typename: 'MutationRegisterSiteSuccess' });
    expect(
      await act(
        admin(),
        'registerSite',
        `organizationId: "${ORG}", siteId: "rp-lab", name: "QC lab", country: "Switzerland", reason: "Lab"`,
      ),
    ).toMatchObject({ code: 'command.invalid', message: expect.stringContaining('country') });
    expect(
      await act(
        operator(),
        'registerProduct',
        `organizationId: "${ORG}", productId: "prd-rp-9", name: "Riveximab", reason: "Portfolio"`,
      ),
    ).toMatchObject({ __typename: 'MutationRegisterProductSuccess' });
    expect(
      await act(
        admin(),
        'registerProduct',
        `organizationId: "${ORG}", productId: "prd-rp-9", name: "Again", reason: "Twice"`,
      ),
    ).toMatchObject({ code: 'organization.product-already-registered' });
    expect(
      await act(
        token('hb-admin', OTHER, [], 'Hal Other'),
        'registerSite',
        `organizationId: "${ORG}", siteId: "x", name: "X", country: "DE", reason: "Not mine"`,
      ),
    ).toMatchObject({ code: 'authorization.not-administrator' });
    const shown = await asPerson(
      admin(),
      `{ administeredOrganization(organizationId: "${ORG}") {
          sites { siteId name country } products { productId name } } }`,
    );
    expect(shown.data!.administeredOrganization).toEqual({
      sites: [{ siteId: 'rp-basel', name: 'Basel plant', country: 'CH' }],
      products: [{ productId: 'prd-rp-9', name: 'Riveximab' }],
    });
  });
});

describeWithPostgres('signing keys, on the organization’s own proof', (database) => {
  let running: ApiServerOnPostgres;
  let server: ApiServer;
  let issuer: DevIssuer;
  const ADMIN = {
    personId: 'rp-admin',
    organizationId: ORG,
    roles: ['analyst'],
    name: 'Rui Admin',
  };

  beforeAll(async () => {
    running = await apiServerOnPostgres(database().url, {
      serve: (plain) => signingAsPlatform(plain, PLATFORM_KEY),
      httpIngest: false,
    });
    ({ server, issuer } = running);
    const operator = await issuer.mint({
      personId: 'ops-ada',
      organizationId: 'concord',
      roles: ['operator'],
    });
    for (const mutation of [
      `registerOrganization(organizationId: "${ORG}", name: "Riverside", kind: SPONSOR, reason: "Onboarding")`,
      `appointAdministrator(organizationId: "${ORG}", personId: "rp-admin", printedName: "Rui Admin", reason: "Onboarding")`,
    ]) {
      const answer = await call(operator, `mutation { ${mutation} { __typename } }`);
      expect(JSON.stringify(answer)).toContain('Success');
    }
  });

  afterAll(async () => running?.close());

  async function call(bearer: string, query: string, variables = {}) {
    const response = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${bearer}` },
      body: JSON.stringify({ query, variables }),
    });
    return (await response.json()) as Answer;
  }

  const REGISTER = `mutation($keyId: ID!, $publicKey: String!, $validFrom: String!, $proof: SigningKeyProofInput!) {
    registerSigningKey(organizationId: "${ORG}", keyId: $keyId, publicKey: $publicKey,
      validFrom: $validFrom, proof: $proof, reason: "Key rotation") {
      __typename ... on Refusal { code message }
    }
  }`;
  const REVOKE = `mutation($keyId: ID!, $revokedAt: String!, $proof: SigningKeyProofInput!) {
    revokeSigningKey(organizationId: "${ORG}", keyId: $keyId, revokedAt: $revokedAt,
      proof: $proof, reason: "Key rotation") {
      __typename ... on Refusal { code message }
    }
  }`;
  const registration = (keyId: string, publicKey: string, validFrom: string) =>
    ({
      statement: 'concord.signing-key-registration.v1',
      organizationId: ORG,
      keyId,
      algorithm: 'Ed25519',
      publicKey,
      validFrom,
    }) as const;

  it('takes the first key on the administrator’s e-signature, then rotates on signatures of held keys', async () => {
    const admin = await issuer.mint(ADMIN);
    const first = generateSigningKey();
    const second = generateSigningKey();
    const now = new Date().toISOString();
    const byAdmin = async () => ({
      eSignature: { printedName: 'Rui Admin', credential: await issuer.mintStepUp(ADMIN) },
    });
    // Someone else's step-up credential signs nothing for the administrator.
    const otherStepUp = await issuer.mintStepUp({ ...ADMIN, personId: 'rp-qa-1' });
    expect(
      (
        await call(admin, REGISTER, {
          keyId: 'rp-2026-a',
          publicKey: first.publicKey,
          validFrom: now,
          proof: { eSignature: { printedName: 'Rui Admin', credential: otherStepUp } },
        })
      ).data!.registerSigningKey,
    ).toMatchObject({ code: 'signature.credential-refused' });
    expect(
      (
        await call(admin, REGISTER, {
          keyId: 'rp-2026-a',
          publicKey: first.publicKey,
          validFrom: now,
          proof: await byAdmin(),
        })
      ).data!.registerSigningKey,
    ).toMatchObject({ __typename: 'MutationRegisterSigningKeySuccess' });

    // Rotation: the statement for the next key, signed with the first.
    const validFrom = new Date(Date.now() + 1000).toISOString().replace('.000Z', 'Z');
    const statement = registration('rp-2026-b', second.publicKey, validFrom);
    const signature = signKeyStatement(statement, {
      keyId: 'rp-2026-a',
      privateKeyPem: first.privateKeyPem,
    });
    const forged = signKeyStatement(registration('rp-2026-b', second.publicKey, validFrom), {
      keyId: 'rp-2026-a',
      privateKeyPem: second.privateKeyPem,
    });
    const rotate = (proofSignature: string, bearer = admin) =>
      call(bearer, REGISTER, {
        keyId: 'rp-2026-b',
        publicKey: second.publicKey,
        validFrom,
        proof: { heldKey: { keyId: 'rp-2026-a', signature: proofSignature } },
      });
    expect((await rotate(forged)).data!.registerSigningKey).toMatchObject({
      code: 'signature.invalid',
    });
    // Another organization relaying a good signature acts for nobody.
    const outsider = await issuer.mint({ personId: 'hl-1', organizationId: OTHER, roles: ['qa'] });
    expect((await rotate(signature, outsider)).data!.registerSigningKey).toMatchObject({
      code: 'authorization.not-administrator',
    });
    expect((await rotate(signature)).data!.registerSigningKey).toMatchObject({
      __typename: 'MutationRegisterSigningKeySuccess',
    });

    // The old key revoked from a stated instant, proven by the new one.
    const revokedAt = new Date(Date.now() + 60_000).toISOString().replace(/\.\d+Z$/, 'Z');
    const revocation = {
      statement: 'concord.signing-key-revocation.v1',
      organizationId: ORG,
      keyId: 'rp-2026-a',
      revokedAt,
      reason: 'Key rotation',
    } as const;
    // The new key is not valid for a second yet: it proves nothing until then.
    await expect
      .poll(
        async () =>
          (
            await call(admin, REVOKE, {
              keyId: 'rp-2026-a',
              revokedAt,
              proof: {
                heldKey: {
                  keyId: 'rp-2026-b',
                  signature: signKeyStatement(revocation, {
                    keyId: 'rp-2026-b',
                    privateKeyPem: second.privateKeyPem,
                  }),
                },
              },
            })
          ).data!.revokeSigningKey,
      )
      .toMatchObject({ __typename: 'MutationRevokeSigningKeySuccess' });

    const [, , registered, rotated, revoked] = await running.store.readStream(
      `organization-${ORG}`,
    );
    expect(registered!.metadata).toMatchObject({
      actorid: 'rp-admin',
      reason: 'Key rotation',
      keyProof: {
        method: 'administrator-signature',
        signature: { signerId: 'rp-admin', printedName: 'Rui Admin', meaning: 'approval' },
        signingCeremony: { reauthenticationId: expect.any(String) },
      },
    });
    expect(rotated!.metadata).toMatchObject({
      keyProof: { method: 'held-key', keyId: 'rp-2026-a', signature, statement },
    });
    expect(revoked!.data).toMatchObject({ keyId: 'rp-2026-a', revokedAt });
    const listed = await call(
      admin,
      `{ administeredOrganization(organizationId: "${ORG}") { signingKeys { keyId revokedAt } } }`,
    );
    expect(listed.data!.administeredOrganization).toEqual({
      signingKeys: [
        { keyId: 'rp-2026-a', revokedAt: new Date(revokedAt).toISOString() },
        { keyId: 'rp-2026-b', revokedAt: null },
      ],
    });
  });
});
