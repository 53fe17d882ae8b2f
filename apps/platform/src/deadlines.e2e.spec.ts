// Deadlines that warn, as both parties live them, on a platform with a controllable clock for its
// deadline process: a sponsor and a CDMO agree investigation, CAPA and closure due days; the
// CDMO's system reports a critical deviation; as the clock passes the investigation's due-soon
// instant and then its due date, "due soon" and "overdue" (escalated to the sponsor) are recorded
// once each, across a restart, and appear in GraphQL (status, filters, counts per partnership),
// on a subscription, and on both parties' outbound Kafka topics. PGlite and PostgreSQL.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateSigningKey } from '@concord/contract';
import { exampleEvent } from '@concord/contract/examples';
import { createPartner, httpTransport } from '@concord/partner-client';
import { uniqueName, waitFor } from '@concord/test-infra';
import { describeWithKafka, describeWithPostgres } from '@concord/test-infra/vitest';
import { Kafka, logLevel, type Consumer } from 'kafkajs';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPlatform, type Platform } from './platform.ts';
import {
  enumName,
  platformClient,
  subscribe,
  type Person,
} from './test-support/platform-client.ts';

const HOUR = 3_600_000;
const WARNINGS = [
  'concord.deviation.deadline-due-soon.v1',
  'concord.deviation.deadline-overdue.v1',
] as const;

const deadlines = (name: string, brokers: string[], databaseUrl: () => string | undefined) =>
  describe(name, () => {
    const run = uniqueName('dl').replaceAll('-', '');
    const SPONSOR = `${run}-sponsor`;
    const CDMO = `${run}-cdmo`;
    const AGREEMENT = `qa-${run}`;
    const PRODUCT = `prd-${run}`;
    const DEVIATION = `${CDMO}:dev-0001`;
    const PEOPLE = {
      sponsorAdmin: { personId: 'sp-admin', organizationId: SPONSOR, name: 'Sam Admin' },
      sponsorQa: {
        personId: 'sp-qa',
        organizationId: SPONSOR,
        name: 'Dr. Sia Quality',
        role: 'qa',
      },
      cdmoAdmin: { personId: 'cm-admin', organizationId: CDMO, name: 'Cory Admin' },
      cdmoQa: { personId: 'cm-qa', organizationId: CDMO, name: 'Cleo Assurance', role: 'qa' },
    } satisfies Record<string, Person>;

    const logger = pino({ level: 'warn' });
    const topicPrefix = `${run}x`;
    let dataDir: string;
    let platform: Platform;
    let observer: Consumer;
    const outbound: { topic: string; type: string; deviationId: string }[] = [];
    // The deadline process's clock: real time plus what the test has moved it on.
    let offsetMs = 0;
    const clock = () => new Date(Date.now() + offsetMs);
    const start = async () => {
      const url = databaseUrl();
      platform = await startPlatform({
        dataDir,
        port: 0,
        logger,
        demo: false,
        webRoot: false,
        kafkaBrokers: brokers,
        topicPrefix,
        deadlines: { clock, intervalMs: 100 },
        ...(url ? { databaseUrl: url } : {}),
      });
    };
    const { token, stepUp, graphql, administer, onboardOrganization } = platformClient(
      () => platform,
    );
    let apiKey: string;
    let key: ReturnType<typeof generateSigningKey>;
    let detectedAt: Date;

    beforeAll(async () => {
      dataDir = await mkdtemp(join(tmpdir(), 'concord-deadlines-'));
      const kafka = new Kafka({ brokers, logLevel: logLevel.NOTHING });
      const admin = kafka.admin();
      await admin.connect();
      await admin.createTopics({
        topics: [SPONSOR, CDMO].flatMap((org) =>
          ['in', 'out', 'rejections'].map((kind) => ({ topic: `${topicPrefix}.${kind}.${org}` })),
        ),
      });
      await admin.disconnect();
      observer = kafka.consumer({ groupId: uniqueName('observer') });
      await observer.connect();
      await observer.subscribe({
        topics: [SPONSOR, CDMO].map((org) => `${topicPrefix}.out.${org}`),
        fromBeginning: true,
      });
      await observer.run({
        eachMessage: async ({ topic, message }) => {
          outbound.push({
            topic,
            type: String(message.headers?.ce_type ?? ''),
            deviationId: String(
              (JSON.parse(message.value?.toString() ?? '{}') as { deviationId?: string })
                .deviationId,
            ),
          });
        },
      });
      await start();
    });
    afterAll(async () => {
      await observer?.disconnect();
      await platform?.close();
      await rm(dataDir, { recursive: true, force: true });
    });

    const deviation = async (person: Person) =>
      (
        await graphql(
          token(person),
          `{ deviation(id: "${DEVIATION}") { deadlineStatus
              deadlines { kind dueAt dueSoonAt met warnings { warning dueAt escalatedTo } } } }`,
        )
      ).deviation as {
        deadlineStatus: string;
        deadlines: {
          kind: string;
          dueAt: string;
          met: boolean;
          warnings: { warning: string; escalatedTo: string | null }[];
        }[];
      } | null;
    /** One round of the deadline process, awaited: anything due now is then recorded. */
    const lookAgain = async () =>
      (
        await waitFor(() => platform.server.deadlines(), {
          description: 'the deadline process elected here',
        })
      ).tick();
    const warningsInStore = async () =>
      (await platform.store.readStream(`deviation-${DEVIATION}`))
        .filter((event) => (WARNINGS as readonly string[]).includes(event.type))
        .map((event) => `${event.type} ${(event.data as { deadline: string }).deadline}`);

    it('onboards a partnership whose agreement sets investigation, CAPA and closure due days', async () => {
      await onboardOrganization(SPONSOR, 'SPONSOR', PEOPLE.sponsorAdmin);
      await onboardOrganization(CDMO, 'CDMO', PEOPLE.cdmoAdmin);
      for (const [admin, qa] of [
        [PEOPLE.sponsorAdmin, PEOPLE.sponsorQa],
        [PEOPLE.cdmoAdmin, PEOPLE.cdmoQa],
      ] as const)
        await administer(
          token(admin),
          'grantRole(organizationId: $org, personId: $personId, printedName: $name, role: $role, reason: $reason)',
          {
            org: qa.organizationId,
            personId: qa.personId,
            name: qa.name,
            role: 'QA',
            reason: 'QA',
          },
        );
      await administer(
        token(PEOPLE.cdmoAdmin),
        'registerPartnerSystem(organizationId: $org, systemId: "qms", name: "QMS", reason: $reason)',
        { org: CDMO, reason: 'Integration' },
      );
      const issued = await graphql(
        token(PEOPLE.cdmoAdmin),
        `mutation($expiresAt: DateTime!) { issueApiKey(organizationId: "${CDMO}", systemId: "qms",
          roles: [ANALYST], expiresAt: $expiresAt, reason: "Integration") {
          ... on MutationIssueApiKeySuccess { data { key } } } }`,
        { expiresAt: new Date(Date.now() + 30 * 86_400_000).toISOString() },
      );
      apiKey = (issued.issueApiKey as { data: { key: string } }).data.key;
      key = generateSigningKey();
      await administer(
        token(PEOPLE.cdmoAdmin),
        'registerSigningKey(organizationId: $org, keyId: $keyId, publicKey: $publicKey, validFrom: $validFrom, proof: $proof, reason: $reason)',
        {
          org: CDMO,
          keyId: `${CDMO}:k1`,
          publicKey: key.publicKey,
          validFrom: new Date().toISOString(),
          proof: {
            eSignature: {
              printedName: PEOPLE.cdmoAdmin.name,
              credential: await stepUp(PEOPLE.cdmoAdmin),
            },
          },
          reason: 'First key',
        },
      );
      const dueDays = { investigation: 1, capa: 2, closure: 3 };
      await administer(
        token(PEOPLE.cdmoAdmin),
        'draftAgreementVersion(version: $version, reason: $reason)',
        {
          version: {
            agreementId: AGREEMENT,
            version: 1,
            sponsorId: SPONSOR,
            cdmoId: CDMO,
            products: [{ productId: PRODUCT, name: 'Deadlinumab' }],
            responsibilities: [
              ...['deviation-reporting', 'deviation-investigation', 'capa'].map((activity) => ({
                activity: enumName(activity),
                performedBy: 'CDMO',
              })),
              { activity: 'DEVIATION_APPROVAL', performedBy: 'SPONSOR' },
            ],
            notificationDeadlinesHours: { critical: 24, major: 72, minor: 720 },
            deviationDueDays: { critical: dueDays, major: dueDays, minor: dueDays },
            effectiveFrom: new Date().toISOString(),
          },
          reason: 'New partnership',
        },
      );
      const { agreementDraft } = await graphql(
        token(PEOPLE.sponsorQa),
        `{ agreementDraft(agreementId: "${AGREEMENT}") { draftId deviationDueDays } }`,
      );
      expect(agreementDraft).toMatchObject({ deviationDueDays: { critical: dueDays } });
      const recorded: string[] = [];
      for (const qa of [PEOPLE.sponsorQa, PEOPLE.cdmoQa])
        recorded.push(
          ...(
            await administer(
              token(qa),
              'signAgreementVersion(agreementId: $agreementId, version: $v, draftId: $draftId, signature: $signature, reason: $reason)',
              {
                agreementId: AGREEMENT,
                v: 1,
                draftId: (agreementDraft as { draftId: string }).draftId,
                signature: { printedName: qa.name, credential: await stepUp(qa) },
                reason: 'Approved',
              },
            )
          ).recordedTypes,
        );
      expect(recorded).toContain('concord.agreement.version-approved.v2');
    });

    it('sets a reported critical deviation’s due dates from the agreement, on track', async () => {
      detectedAt = new Date();
      const partner = createPartner({
        organizationId: CDMO,
        keyId: `${CDMO}:k1`,
        privateKeyPem: key.privateKeyPem,
        defaultSource: `urn:concord:${CDMO}:qms`,
      });
      const example = exampleEvent('concord.deviation.reported.v1').data;
      const report = partner.complete(
        {
          type: 'concord.deviation.reported.v1',
          subject: DEVIATION,
          data: {
            ...example,
            deviationId: DEVIATION,
            severity: 'critical',
            productId: PRODUCT,
            agreementId: AGREEMENT,
            linkedBatchIds: [],
            detectedAt: detectedAt.toISOString(),
          },
        },
        { actorId: PEOPLE.cdmoQa.personId, actorRole: 'qa' },
      );
      const transport = httpTransport({
        baseUrl: platform.url,
        credential: { apiKey },
        retry: { retries: 0 },
      });
      const [outcome] = await transport.sendBatch([report]);
      expect(outcome?.status, JSON.stringify(outcome)).toBe('accepted');
      const seen = await waitFor(async () => (await deviation(PEOPLE.sponsorQa)) ?? undefined, {
        description: 'the deviation in the sponsor’s read model',
      });
      expect(seen.deadlineStatus).toBe('ON_TRACK');
      expect(
        seen.deadlines.map((d) => [d.kind, Date.parse(d.dueAt) - detectedAt.getTime()]),
      ).toEqual([
        ['INVESTIGATION', 24 * HOUR],
        ['CAPA', 48 * HOUR],
        ['CLOSURE', 72 * HOUR],
      ]);

      // A partner cannot warn of a deadline itself: only the platform derives warnings.
      const forged = partner.complete(
        {
          type: 'concord.deviation.deadline-overdue.v1',
          subject: DEVIATION,
          data: {
            deviationId: DEVIATION,
            deadline: 'investigation',
            severity: 'critical',
            dueAt: seen.deadlines[0]!.dueAt,
          },
        },
        { actorId: PEOPLE.cdmoQa.personId },
      );
      const [refused] = await transport.sendBatch([forged]);
      expect(refused?.status === 'rejected' && refused.rejection.code).toBe(
        'authorization.platform-only',
      );
    });

    it('warns "due soon" once, live to a subscriber and in the counts of both parties', async () => {
      const watching = await subscribe(
        platform.graphqlUrl,
        await token(PEOPLE.sponsorQa),
        'subscription { deadlineWarned { deviationId deadlineStatus } }',
      );
      try {
        // A quarter of the one-day investigation period before it falls due: 18 h after detection.
        offsetMs = detectedAt.getTime() + 17 * HOUR - Date.now();
        expect(await lookAgain()).toBe(0);
        expect(await warningsInStore()).toEqual([]);
        offsetMs = detectedAt.getTime() + 18 * HOUR + 60_000 - Date.now();
        await waitFor(
          async () =>
            (await deviation(PEOPLE.cdmoQa))?.deadlineStatus === 'DUE_SOON' ? true : undefined,
          { description: 'the due-soon warning in the CDMO’s read model' },
        );
        await waitFor(() => (watching.text().includes('DUE_SOON') ? true : undefined), {
          description: 'the due-soon warning on the sponsor’s subscription',
        });
      } finally {
        watching.close();
      }
      for (const person of [PEOPLE.sponsorQa, PEOPLE.cdmoQa]) {
        const { deadlineCounts, deviations } = await graphql(
          token(person),
          `
            {
              deadlineCounts {
                sponsorId
                cdmoId
                dueSoon
                overdue
                escalated
              }
              deviations(first: 5, filter: { deadlineStatus: [DUE_SOON, OVERDUE] }) {
                totalCount
              }
            }
          `,
        );
        expect(deadlineCounts).toEqual([
          { sponsorId: SPONSOR, cdmoId: CDMO, dueSoon: 1, overdue: 0, escalated: 0 },
        ]);
        expect(deviations).toEqual({ totalCount: 1 });
      }
      // Another partnership's people see no count and no deviation.
      const { deadlineCounts } = await graphql(
        platform.issuer.mint({ personId: 'x', organizationId: 'helvion-tx', roles: ['qa'] }),
        '{ deadlineCounts { dueSoon } }',
      );
      expect(deadlineCounts).toEqual([]);
      expect(await lookAgain()).toBe(0);
      expect(await warningsInStore()).toEqual([
        'concord.deviation.deadline-due-soon.v1 investigation',
      ]);
    });

    it('after a restart, warns "overdue" once, escalated to the sponsor, and both parties’ topics carry every warning', async () => {
      await platform.close();
      offsetMs = detectedAt.getTime() + 25 * HOUR - Date.now();
      await start();
      const overdue = await waitFor(
        async () => {
          const seen = await deviation(PEOPLE.sponsorQa);
          return seen?.deadlineStatus === 'OVERDUE' ? seen : undefined;
        },
        { description: 'the overdue warning after the restart' },
      );
      expect(overdue.deadlines[0]!.warnings).toEqual([
        { warning: 'due-soon', dueAt: overdue.deadlines[0]!.dueAt, escalatedTo: null },
        { warning: 'overdue', dueAt: overdue.deadlines[0]!.dueAt, escalatedTo: SPONSOR },
      ]);
      expect(await lookAgain()).toBe(0);
      expect(await warningsInStore()).toEqual([
        'concord.deviation.deadline-due-soon.v1 investigation',
        'concord.deviation.deadline-overdue.v1 investigation',
      ]);
      const { deadlineCounts } = await graphql(
        token(PEOPLE.cdmoQa),
        '{ deadlineCounts { dueSoon overdue escalated } }',
      );
      expect(deadlineCounts).toEqual([{ dueSoon: 0, overdue: 1, escalated: 1 }]);

      const typesOn = (org: string) =>
        outbound
          .filter(
            (record) =>
              record.topic === `${topicPrefix}.out.${org}` && record.deviationId === DEVIATION,
          )
          .map((record) => record.type);
      for (const org of [SPONSOR, CDMO])
        await waitFor(
          () =>
            ['concord.deviation.due-dates-set.v1', ...WARNINGS].every((type) =>
              typesOn(org).includes(type),
            )
              ? true
              : undefined,
          { description: `every deadline event on ${org}'s outbound topic` },
        );
      for (const org of [SPONSOR, CDMO])
        expect(
          typesOn(org).filter((type) => (WARNINGS as readonly string[]).includes(type)),
        ).toEqual([...WARNINGS]);
    });
  });

describeWithKafka('deviation deadlines (Kafka)', (kafka) => {
  deadlines('on the embedded platform (PGlite)', kafka.brokers, () => undefined);
  describeWithPostgres('on PostgreSQL', (database) =>
    deadlines('with a controllable clock', kafka.brokers, () => database().url),
  );
});
