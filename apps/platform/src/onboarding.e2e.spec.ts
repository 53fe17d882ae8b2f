// Onboarding on an empty platform, through administration only (no seed code), as its users do
// it from outside: a platform operator registers a sponsor and a CDMO and appoints their
// administrators; they register their people, a partner system with an API key and a signing
// key; both QAs sign a quality agreement; the CDMO's system streams a batch through QC,
// disposition and QP certification over HTTP with the published partner client, and the sponsor
// watches it live. Then the CDMO rotates its key and revokes the old one, the parties amend the
// agreement's deadlines, and the API key is revoked. On PGlite (embedded) and PostgreSQL.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateSigningKey, signKeyStatement, type EventType } from '@concord/contract';
import { exampleEvent } from '@concord/contract/examples';
import { createPartner, httpTransport, type IngestOutcome } from '@concord/partner-client';
import { waitFor } from '@concord/test-infra';
import { describeWithPostgres } from '@concord/test-infra/vitest';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPlatform, type Platform } from './platform.ts';
import {
  enumName,
  platformClient,
  subscribe,
  success,
  variableDeclarations,
  type Answer,
} from './test-support/platform-client.ts';

const SPONSOR = 'meridian-rx';
const CDMO = 'foundry-bio';
const AGREEMENT = 'qa-mr-fb-2027';
const PRODUCT = 'prd-mr-77';
const BATCH = `${CDMO}:b-fb-mr77-0001`;
const PEOPLE = {
  sponsorAdmin: { personId: 'mr-admin', organizationId: SPONSOR, name: 'Mara Admin' },
  sponsorQa: { personId: 'mr-qa', organizationId: SPONSOR, name: 'Dr. Iris Meridian', role: 'qa' },
  cdmoAdmin: { personId: 'fb-admin', organizationId: CDMO, name: 'Felix Admin' },
  cdmoQa: { personId: 'fb-qa', organizationId: CDMO, name: 'Hana Foundry', role: 'qa' },
  cdmoQc: { personId: 'fb-qc', organizationId: CDMO, name: 'Omar Quality', role: 'qc' },
  cdmoProduction: {
    personId: 'fb-prod',
    organizationId: CDMO,
    name: 'Pia Line',
    role: 'production',
  },
  cdmoQp: { personId: 'fb-qp', organizationId: CDMO, name: 'Dr. Quentin Person', role: 'qp' },
} as const;
type Person = (typeof PEOPLE)[keyof typeof PEOPLE];

const CDMO_ACTIVITIES = [
  'batch-scheduling',
  'manufacturing',
  'batch-record-review',
  'qc-testing',
  'coa-issuance',
  'qa-disposition',
  'qp-certification',
  'shipping',
  'deviation-reporting',
  'deviation-investigation',
  'capa',
];

const onboarding = (name: string, databaseUrl: () => string | undefined) =>
  describe(name, () => {
    let dataDir: string;
    let platform: Platform;
    const logger = pino({ level: 'warn' });
    let apiKey: string;
    let keyA: ReturnType<typeof generateSigningKey>;
    let keyB: ReturnType<typeof generateSigningKey>;

    beforeAll(async () => {
      dataDir = await mkdtemp(join(tmpdir(), 'concord-onboarding-'));
      const url = databaseUrl();
      platform = await startPlatform({
        dataDir,
        port: 0,
        logger,
        demo: false,
        webRoot: false,
        ...(url ? { databaseUrl: url } : {}),
      });
    });
    afterAll(async () => {
      await platform?.close();
      await rm(dataDir, { recursive: true, force: true });
    });

    const { token, stepUp, graphql, administer, onboardOrganization } = platformClient(
      () => platform,
    );

    const cdmoPartner = (key: { keyId: string; privateKeyPem: string }) =>
      createPartner({
        organizationId: CDMO,
        keyId: key.keyId,
        privateKeyPem: key.privateKeyPem,
        defaultSource: `urn:concord:${CDMO}:mes`,
      });
    /** A CDMO event from the published example of its type, with this partnership's ids. */
    function cdmoEvent(
      key: { keyId: string; privateKeyPem: string },
      type: EventType,
      by: Person,
      data: Record<string, unknown>,
    ) {
      const example = exampleEvent(type).data as unknown as Record<string, unknown>;
      const signature = example.signature as Record<string, unknown> | undefined;
      const now = new Date().toISOString();
      return cdmoPartner(key).complete(
        {
          type,
          subject: String(data.batchId ?? data.deviationId ?? BATCH),
          data: {
            ...example,
            ...(signature
              ? {
                  signature: {
                    ...signature,
                    signerId: by.personId,
                    printedName: by.name,
                    signedAt: now,
                  },
                }
              : {}),
            ...data,
          },
        },
        {
          actorId: by.personId,
          actorRole: 'role' in by ? (by.role as never) : undefined,
          time: now,
        },
      );
    }
    const send = (events: ReturnType<typeof cdmoEvent>[], key = apiKey) =>
      httpTransport({
        baseUrl: platform.url,
        credential: { apiKey: key },
        retry: { retries: 0 },
      }).sendBatch(events);
    const accepted = (outcomes: IngestOutcome[]) =>
      expect(
        outcomes.map((outcome) =>
          outcome.status === 'accepted' ? 'accepted' : outcome.rejection.code,
        ),
      ).toEqual(outcomes.map(() => 'accepted'));

    const agreementVersion = (version: number, majorHours: number) => ({
      agreementId: AGREEMENT,
      version,
      sponsorId: SPONSOR,
      cdmoId: CDMO,
      products: [{ productId: PRODUCT, name: 'Meridolimab 100 mg vial (MR-77)' }],
      responsibilities: [
        ...CDMO_ACTIVITIES.map((activity) => ({
          activity: enumName(activity),
          performedBy: 'CDMO',
        })),
        { activity: 'DEVIATION_APPROVAL', performedBy: 'SPONSOR' },
      ],
      notificationDeadlinesHours: { critical: 24, major: majorHours, minor: 720 },
      effectiveFrom: new Date().toISOString(),
    });
    async function approveAgreement(version: number, majorHours: number, reason: string) {
      await administer(
        token(PEOPLE.cdmoAdmin),
        'draftAgreementVersion(version: $version, reason: $reason)',
        { version: agreementVersion(version, majorHours), reason },
      );
      const { agreementDraft } = await graphql(
        token(PEOPLE.sponsorQa),
        `{ agreementDraft(agreementId: "${AGREEMENT}") { draftId version signedBy } }`,
      );
      const { draftId } = agreementDraft as { draftId: string };
      const sign = async (qa: Person) =>
        administer(
          token(qa),
          'signAgreementVersion(agreementId: $agreementId, version: $v, draftId: $draftId, signature: $signature, reason: $reason)',
          {
            agreementId: AGREEMENT,
            v: version,
            draftId,
            signature: { printedName: qa.name, credential: await stepUp(qa) },
            reason: `Approved for ${qa.organizationId}`,
          },
        );
      expect((await sign(PEOPLE.sponsorQa)).recordedTypes).toEqual([
        'concord.agreement.version-signed.v1',
      ]);
      expect((await sign(PEOPLE.cdmoQa)).recordedTypes).toEqual([
        'concord.agreement.version-signed.v1',
        'concord.agreement.version-approved.v2',
      ]);
    }

    it('onboards a sponsor and a CDMO with their people, through the operator and their administrators', async () => {
      await onboardOrganization(SPONSOR, 'SPONSOR', PEOPLE.sponsorAdmin);
      await onboardOrganization(CDMO, 'CDMO', PEOPLE.cdmoAdmin);
      for (const person of [
        PEOPLE.sponsorQa,
        PEOPLE.cdmoQa,
        PEOPLE.cdmoQc,
        PEOPLE.cdmoProduction,
        PEOPLE.cdmoQp,
      ]) {
        const admin = person.organizationId === SPONSOR ? PEOPLE.sponsorAdmin : PEOPLE.cdmoAdmin;
        await administer(
          token(admin),
          'grantRole(organizationId: $org, personId: $personId, printedName: $name, role: $role, reason: $reason)',
          {
            org: person.organizationId,
            personId: person.personId,
            name: person.name,
            role: person.role.toUpperCase(),
            reason: 'Joined the team',
          },
        );
      }
    });

    it('gives the CDMO a partner system with an API key and a signing key, and an agreement both QAs approved', async () => {
      await administer(
        token(PEOPLE.cdmoAdmin),
        'registerPartnerSystem(organizationId: $org, systemId: "fb-mes", name: "Foundry MES", reason: $reason)',
        { org: CDMO, reason: 'Integration go-live' },
      );
      const issued = await graphql(
        token(PEOPLE.cdmoAdmin),
        `mutation($expiresAt: DateTime!) { issueApiKey(organizationId: "${CDMO}", systemId: "fb-mes",
          roles: [ANALYST], expiresAt: $expiresAt, reason: "Integration go-live") {
          ... on MutationIssueApiKeySuccess { data { keyId key } } } }`,
        { expiresAt: new Date(Date.now() + 90 * 86_400_000).toISOString() },
      );
      apiKey = (issued.issueApiKey as { data: { key: string } }).data.key;

      keyA = { ...generateSigningKey() };
      await administer(
        token(PEOPLE.cdmoAdmin),
        'registerSigningKey(organizationId: $org, keyId: $keyId, publicKey: $publicKey, validFrom: $validFrom, proof: $proof, reason: $reason)',
        {
          org: CDMO,
          keyId: `${CDMO}:2027-a`,
          publicKey: keyA.publicKey,
          validFrom: new Date().toISOString(),
          proof: {
            eSignature: {
              printedName: PEOPLE.cdmoAdmin.name,
              credential: await stepUp(PEOPLE.cdmoAdmin),
            },
          },
          reason: 'First signing key',
        },
      );
      await approveAgreement(1, 72, 'New partnership for MR-77');
    });

    it('streams a batch from the CDMO’s system to QP certification while the sponsor watches it live', async () => {
      const watching = await subscribe(
        platform.graphqlUrl,
        await token(PEOPLE.sponsorQa),
        `subscription { batchChanged(id: "${BATCH}") { id status } }`,
      );
      try {
        const key = { keyId: `${CDMO}:2027-a`, privateKeyPem: keyA.privateKeyPem };
        const { cdmoProduction: production, cdmoQa: qa, cdmoQc: qc, cdmoQp: qp } = PEOPLE;
        const now = new Date().toISOString();
        accepted(
          await send([
            cdmoEvent(key, 'concord.batch.scheduled.v1', production, {
              batchId: BATCH,
              batchNumber: 'MR77-0001',
              productId: PRODUCT,
              agreementId: AGREEMENT,
              sponsorId: SPONSOR,
              cdmoId: CDMO,
              plannedStart: now,
            }),
            cdmoEvent(key, 'concord.batch.manufacturing-started.v1', production, {
              batchId: BATCH,
              startedAt: now,
            }),
            cdmoEvent(key, 'concord.batch.manufacturing-completed.v1', production, {
              batchId: BATCH,
              completedAt: now,
            }),
            cdmoEvent(key, 'concord.batch.record-reviewed.v1', qa, { batchId: BATCH }),
            cdmoEvent(key, 'concord.batch.qc-result-recorded.v1', qc, {
              batchId: BATCH,
              value: 98.2,
              testedAt: now,
            }),
            cdmoEvent(key, 'concord.batch.coa-issued.v1', qa, { batchId: BATCH, issuedAt: now }),
            cdmoEvent(key, 'concord.batch.disposition-recorded.v1', qa, {
              batchId: BATCH,
              decision: 'released',
              conditions: undefined,
            }),
            cdmoEvent(key, 'concord.batch.qp-certified.v1', qp, {
              batchId: BATCH,
              certifiedAt: now,
            }),
          ]),
        );
        await expect.poll(() => watching.text(), { timeout: 15_000 }).toContain('QP_CERTIFIED');
      } finally {
        watching.close();
      }
    });

    it('rotates the signing key: the old one, revoked, signs nothing received after', async () => {
      keyB = { ...generateSigningKey() };
      const validFrom = new Date().toISOString();
      const registration = {
        statement: 'concord.signing-key-registration.v1',
        organizationId: CDMO,
        keyId: `${CDMO}:2027-b`,
        algorithm: 'Ed25519',
        publicKey: keyB.publicKey,
        validFrom,
      } as const;
      // The CDMO's system relays its organization's statement, signed with the key it holds.
      await administerAsSystem(
        'registerSigningKey(organizationId: $org, keyId: $keyId, publicKey: $publicKey, validFrom: $validFrom, proof: $proof, reason: $reason)',
        {
          org: CDMO,
          keyId: registration.keyId,
          publicKey: keyB.publicKey,
          validFrom,
          proof: {
            heldKey: {
              keyId: `${CDMO}:2027-a`,
              signature: signKeyStatement(registration, {
                keyId: `${CDMO}:2027-a`,
                privateKeyPem: keyA.privateKeyPem,
              }),
            },
          },
          reason: 'Annual rotation',
        },
      );
      const revokedAt = new Date(Date.now() + 1_500).toISOString();
      const revocation = {
        statement: 'concord.signing-key-revocation.v1',
        organizationId: CDMO,
        keyId: `${CDMO}:2027-a`,
        revokedAt,
        reason: 'Annual rotation',
      } as const;
      await administer(
        token(PEOPLE.cdmoAdmin),
        'revokeSigningKey(organizationId: $org, keyId: $keyId, revokedAt: $revokedAt, proof: $proof, reason: $reason)',
        {
          org: CDMO,
          keyId: revocation.keyId,
          revokedAt,
          proof: {
            heldKey: {
              keyId: `${CDMO}:2027-b`,
              signature: signKeyStatement(revocation, {
                keyId: `${CDMO}:2027-b`,
                privateKeyPem: keyB.privateKeyPem,
              }),
            },
          },
          reason: 'Annual rotation',
        },
      );
      // The revocation takes effect at the instant it states (never backdated): wait until then.
      await waitFor(() => Date.now() > Date.parse(revokedAt), {
        description: `the revocation to take effect at ${revokedAt}`,
      });
      const shipped = (keyId: string, privateKeyPem: string) =>
        cdmoEvent({ keyId, privateKeyPem }, 'concord.batch.shipped.v2', PEOPLE.cdmoProduction, {
          batchId: BATCH,
          shippedAt: new Date().toISOString(),
        });
      const [old] = await send([shipped(`${CDMO}:2027-a`, keyA.privateKeyPem)]);
      expect(old).toMatchObject({
        status: 'rejected',
        rejection: { code: 'sender.signing-key-revoked' },
      });
      accepted(await send([shipped(`${CDMO}:2027-b`, keyB.privateKeyPem)]));
    });

    it('applies an amended deadline to deviations reported after the amendment only', async () => {
      const key = { keyId: `${CDMO}:2027-b`, privateKeyPem: keyB.privateKeyPem };
      // Detected 30 hours ago: on time under 72 hours for a major deviation, late under 24.
      const reported = (id: string) =>
        cdmoEvent(key, 'concord.deviation.reported.v1', PEOPLE.cdmoQa, {
          deviationId: `${CDMO}:${id}`,
          severity: 'major',
          productId: PRODUCT,
          agreementId: AGREEMENT,
          linkedBatchIds: [],
          detectedAt: new Date(Date.now() - 30 * 3_600_000).toISOString(),
        });
      accepted(await send([reported('dev-before')]));
      await approveAgreement(2, 24, 'Major deviations notified within 24 hours');
      accepted(await send([reported('dev-after')]));
      const lateness = async (id: string) => {
        const { deviation } = await graphql(
          token(PEOPLE.sponsorQa),
          `{ deviation(id: "${CDMO}:${id}") { notifiedLate } }`,
        );
        return deviation;
      };
      await expect.poll(() => lateness('dev-before')).toEqual({ notifiedLate: false });
      await expect.poll(() => lateness('dev-after')).toEqual({ notifiedLate: true });
    });

    it('shows every administrative act in the audit history: who, when, why, and its signatures', async () => {
      const HISTORY = `edges { node { type who { personId organizationId } why recordedAt
        signature { status } eSignature { signerId meaning } } }`;
      const { administeredOrganization } = await graphql(
        token(PEOPLE.cdmoAdmin),
        `{ administeredOrganization(organizationId: "${CDMO}") { history(first: 100) { ${HISTORY} } } }`,
      );
      type Entry = {
        type: string;
        who: { personId: string; organizationId: string };
        why: string | null;
        signature: { status: string };
        eSignature: { signerId: string; meaning: string } | null;
      };
      const entries = (
        administeredOrganization as { history: { edges: { node: Entry }[] } }
      ).history.edges.map(({ node }) => node);
      expect(
        entries.map((entry) => [entry.type.split('.')[2], entry.who.personId, entry.why]),
      ).toEqual([
        ['registered', 'ops-olga', 'Platform agreement signed'],
        ['administrator-appointed', 'ops-olga', 'Onboarding form'],
        ['role-granted', 'fb-admin', 'Joined the team'],
        ['role-granted', 'fb-admin', 'Joined the team'],
        ['role-granted', 'fb-admin', 'Joined the team'],
        ['role-granted', 'fb-admin', 'Joined the team'],
        ['partner-system-registered', 'fb-admin', 'Integration go-live'],
        ['api-key-issued', 'fb-admin', 'Integration go-live'],
        ['signing-key-registered', 'fb-admin', 'First signing key'],
        ['signing-key-registered', 'fb-mes', 'Annual rotation'],
        ['signing-key-revoked', 'fb-admin', 'Annual rotation'],
      ]);
      // Each act is the platform's record, signed with its key.
      expect(new Set(entries.map((entry) => entry.signature.status))).toEqual(
        new Set(['platform']),
      );

      const { agreementHistory } = await graphql(
        token(PEOPLE.sponsorQa),
        `{ agreementHistory(agreementId: "${AGREEMENT}", first: 100) { ${HISTORY} } }`,
      );
      const agreementEntries = (agreementHistory as { edges: { node: Entry }[] }).edges.map(
        ({ node }) => node,
      );
      expect(
        agreementEntries.map((entry) => [entry.type.split('.')[2], entry.who.personId]),
      ).toEqual([
        ['version-drafted', 'fb-admin'],
        ['version-signed', 'mr-qa'],
        ['version-signed', 'fb-qa'],
        ['version-approved', 'fb-qa'],
        ['version-drafted', 'fb-admin'],
        ['version-signed', 'mr-qa'],
        ['version-signed', 'fb-qa'],
        ['version-approved', 'fb-qa'],
      ]);
      expect(agreementEntries[1]!.eSignature).toEqual({ signerId: 'mr-qa', meaning: 'approval' });
      // Nobody outside the partnership reads it.
      const outsider = await graphql(
        token({ personId: 'x-1', organizationId: 'elsewhere', name: 'X' }),
        `{ agreementHistory(agreementId: "${AGREEMENT}", first: 5) { edges { node { type } } } }`,
      );
      expect(outsider.agreementHistory).toEqual({ edges: [] });
    });

    it('refuses the API key from its revocation on', async () => {
      const { administeredOrganization } = await graphql(
        token(PEOPLE.cdmoAdmin),
        `{ administeredOrganization(organizationId: "${CDMO}") { systems { apiKeys { keyId lastUsedAt } } } }`,
      );
      const [listed] = (
        administeredOrganization as {
          systems: { apiKeys: { keyId: string; lastUsedAt: string | null }[] }[];
        }
      ).systems[0]!.apiKeys;
      expect(listed!.lastUsedAt).not.toBeNull();
      await administer(
        token(PEOPLE.cdmoAdmin),
        'revokeApiKey(organizationId: $org, systemId: "fb-mes", keyId: $keyId, reason: $reason)',
        { org: CDMO, keyId: listed!.keyId, reason: 'MES decommissioned' },
      );
      const response = await fetch(platform.ingestUrl, {
        method: 'POST',
        headers: {
          'content-type': 'application/cloudevents-batch+json',
          authorization: `ApiKey ${apiKey}`,
        },
        body: '[]',
      });
      expect(response.status).toBe(401);
    });

    async function administerAsSystem(mutation: string, variables: Record<string, unknown>) {
      const field = /^\s*(\w+)/.exec(mutation)![1]!;
      const response = await fetch(platform.graphqlUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `ApiKey ${apiKey}` },
        body: JSON.stringify({
          query: `mutation(${variableDeclarations(variables)}) { ${mutation} { __typename ... on Refusal { code message } } }`,
          variables,
        }),
      });
      const body = (await response.json()) as Answer;
      expect(body.data?.[field], JSON.stringify(body)).toMatchObject({
        __typename: success(field),
      });
    }
  });

onboarding('onboarding on an empty embedded platform (PGlite)', () => undefined);
describeWithPostgres('onboarding on an empty platform on PostgreSQL', (database) =>
  onboarding('through administration only', () => database().url),
);
