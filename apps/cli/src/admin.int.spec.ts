// `concord admin …` and `concord keys register|revoke` against a real API on PostgreSQL: an
// operator onboards an organization, its administrator registers a system and issues its API
// key (printed once), and the system rotates the organization's signing key with statements
// signed by the key it holds. Refusals exit 1 with the domain's reason.
import { createPublicKey } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DevIssuer } from '@concord/auth';
import type { ApiServer } from '@concord/api';
import { apiServerOnPostgres, type ApiServerOnPostgres } from '@concord/api/test-support/server';
import { publicKeyToBase64 } from '@concord/contract';
import { describeWithPostgres } from '@concord/test-infra/vitest';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { run } from './cli.ts';
import { captureIo } from './test-support/capture.ts';

const ORG = 'lakeside-bio';

describeWithPostgres('concord admin and concord keys register|revoke', (database) => {
  let dir: string;
  let running: ApiServerOnPostgres;
  let server: ApiServer;
  let issuer: DevIssuer;
  let operator: string;
  let administrator: string;
  let apiKey: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'concord-admin-'));
    running = await apiServerOnPostgres(database().url, { httpIngest: false });
    ({ server, issuer } = running);
    operator = await issuer.mint({
      personId: 'ops-1',
      organizationId: 'concord',
      roles: ['operator'],
    });
    administrator = await issuer.mint({ personId: 'lb-admin', organizationId: ORG, roles: [] });
  });

  afterAll(async () => {
    await running?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const concord = async (args: string[], env: Record<string, string> = {}) => {
    const { io, stdout, stderr } = captureIo({ env: { CONCORD_API_URL: server.url, ...env } });
    const code = await run(args, io);
    return { code, stdout: stdout.text, stderr: stderr.text };
  };

  it('onboards an organization and issues its system an API key, printed once', async () => {
    const asOperator = { CONCORD_TOKEN: operator };
    expect(
      await concord(
        [
          'admin',
          'register-organization',
          ORG,
          '--name',
          'Lakeside Bio',
          '--kind',
          'cdmo',
          '--reason',
          'Signed up',
        ],
        asOperator,
      ),
    ).toMatchObject({
      code: 0,
      stdout: expect.stringContaining('concord.organization.registered.v1'),
    });
    expect(
      (
        await concord(
          [
            'admin',
            'appoint-administrator',
            ORG,
            'lb-admin',
            '--printed-name',
            'Lea Admin',
            '--reason',
            'Named by the CEO',
          ],
          asOperator,
        )
      ).code,
    ).toBe(0);
    // Its administrator, not the operator's token, runs it from here.
    const registered = await concord([
      'admin',
      'register-system',
      ORG,
      'lb-lims',
      '--name',
      'Lakeside LIMS',
      '--reason',
      'LIMS link',
      '--token',
      administrator,
    ]);
    expect(registered.code).toBe(0);
    const refused = await concord(
      ['admin', 'register-system', ORG, 'lb-lims', '--name', 'again', '--reason', 'twice'],
      { CONCORD_TOKEN: administrator },
    );
    expect(refused).toMatchObject({
      code: 1,
      stderr: expect.stringContaining('organization.system-already-registered'),
    });
    const expires = new Date(Date.now() + 30 * 86_400_000).toISOString();
    const issued = await concord(
      [
        'admin',
        'issue-api-key',
        ORG,
        'lb-lims',
        '--expires',
        expires,
        '--reason',
        'go-live',
        '--json',
      ],
      { CONCORD_TOKEN: administrator },
    );
    expect(issued.code).toBe(0);
    const { key, keyId } = JSON.parse(issued.stdout) as { key: string; keyId: string };
    expect(key).toMatch(/^ck1\./);
    for (const args of [
      ['register-site', ORG, 'lb-ghent', '--name', 'Ghent lab', '--country', 'BE'],
      ['register-product', ORG, 'prd-lb-1', '--name', 'Labetuzumab'],
    ])
      expect(
        await concord(['admin', ...args, '--reason', 'Onboarding'], {
          CONCORD_TOKEN: administrator,
        }),
      ).toMatchObject({ code: 0 });
    const badCountry = await concord(
      [
        'admin',
        'register-site',
        ORG,
        'lb-x',
        '--name',
        'X',
        '--country',
        'Belgium',
        '--reason',
        'x',
      ],
      { CONCORD_TOKEN: administrator },
    );
    expect(badCountry).toMatchObject({
      code: 1,
      stderr: expect.stringContaining('command.invalid'),
    });
    const shown = await concord(['admin', 'show', ORG], { CONCORD_TOKEN: administrator });
    expect(JSON.parse(shown.stdout)).toMatchObject({
      sites: [{ siteId: 'lb-ghent', name: 'Ghent lab', country: 'BE' }],
      products: [{ productId: 'prd-lb-1', name: 'Labetuzumab' }],
      systems: [
        { systemId: 'lb-lims', apiKeys: [{ keyId, status: 'ACTIVE', roles: ['analyst'] }] },
      ],
    });
    expect(shown.stdout).not.toContain(key);
    apiKey = key;
  });

  it('rotates the signing key with statements the held key signs, relayed by the system', async () => {
    // The first key: the administrator's e-signature (through the API, as the dashboard does).
    expect(
      (await concord(['keys', 'generate', '--org', ORG, '--key-id', `${ORG}:a`, '--out', dir]))
        .code,
    ).toBe(0);
    expect(
      (await concord(['keys', 'generate', '--org', ORG, '--key-id', `${ORG}:b`, '--out', dir]))
        .code,
    ).toBe(0);
    const publicA = publicKeyToBase64(
      createPublicKey(await readFile(join(dir, `${ORG}:a.private.pem`), 'utf8')),
    );
    const first = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${administrator}` },
      body: JSON.stringify({
        query: `mutation($proof: SigningKeyProofInput!, $validFrom: String!) { registerSigningKey(
          organizationId: "${ORG}", keyId: "${ORG}:a", publicKey: "${publicA}", validFrom: $validFrom,
          proof: $proof, reason: "First key") { __typename } }`,
        variables: {
          validFrom: new Date().toISOString(),
          proof: {
            eSignature: {
              printedName: 'Lea Admin',
              credential: await issuer.mintStepUp({
                personId: 'lb-admin',
                organizationId: ORG,
                roles: [],
              }),
            },
          },
        },
      }),
    });
    expect(JSON.stringify(await first.json())).toContain('MutationRegisterSigningKeySuccess');

    const proving = [
      '--proving-key-file',
      join(dir, `${ORG}:a.private.pem`),
      '--proving-key-id',
      `${ORG}:a`,
    ];
    const rotated = await concord(
      [
        'keys',
        'register',
        '--org',
        ORG,
        '--key-id',
        `${ORG}:b`,
        '--key-file',
        join(dir, `${ORG}:b.private.pem`),
        ...proving,
        '--reason',
        'Rotation',
      ],
      { CONCORD_API_KEY: apiKey },
    );
    expect(rotated).toMatchObject({
      code: 0,
      stdout: expect.stringContaining('signing-key-registered'),
    });
    // A key the organization does not hold proves nothing.
    const unheld = await concord(
      [
        'keys',
        'revoke',
        '--org',
        ORG,
        '--key-id',
        `${ORG}:a`,
        '--proving-key-file',
        join(dir, `${ORG}:b.private.pem`),
        '--proving-key-id',
        `${ORG}:z`,
        '--reason',
        'x',
      ],
      { CONCORD_API_KEY: apiKey },
    );
    expect(unheld).toMatchObject({
      code: 1,
      stderr: expect.stringContaining('organization.key-proof-refused'),
    });
    const revoked = await concord(
      [
        'keys',
        'revoke',
        '--org',
        ORG,
        '--key-id',
        `${ORG}:a`,
        ...proving,
        '--reason',
        'Rotation done',
      ],
      { CONCORD_API_KEY: apiKey },
    );
    expect(revoked).toMatchObject({
      code: 0,
      stdout: expect.stringContaining('signing-key-revoked'),
    });
    const shown = JSON.parse(
      (await concord(['admin', 'show', ORG], { CONCORD_TOKEN: administrator })).stdout,
    ) as {
      signingKeys: { keyId: string; revokedAt: string | null }[];
    };
    expect(shown.signingKeys.map((key) => [key.keyId, key.revokedAt !== null])).toEqual([
      [`${ORG}:a`, true],
      [`${ORG}:b`, false],
    ]);
  });

  it('drafts a quality agreement, and both parties’ QA sign it into force', async () => {
    const asOperator = { CONCORD_TOKEN: operator };
    const sponsor = 'hilltop-tx';
    for (const args of [
      ['register-organization', sponsor, '--name', 'Hilltop Tx', '--kind', 'sponsor'],
      ['grant-role', sponsor, 'ht-qa', '--role', 'qa', '--printed-name', 'Hana Hill'],
      ['grant-role', ORG, 'lb-qa', '--role', 'qa', '--printed-name', 'Lars Lake'],
    ])
      expect((await concord(['admin', ...args, '--reason', 'Onboarding'], asOperator)).code).toBe(
        0,
      );
    const file = join(dir, 'agreement.json');
    await writeFile(
      file,
      JSON.stringify({
        agreementId: 'qa-ht-lb-1',
        version: 1,
        sponsorId: sponsor,
        cdmoId: ORG,
        products: [{ productId: 'prd-ht-1', name: 'HT-1' }],
        responsibilities: [{ activity: 'MANUFACTURING', performedBy: 'CDMO' }],
        notificationDeadlinesHours: { critical: 24, major: 72, minor: 720 },
        deviationDueDays: {
          critical: { investigation: 7, capa: 14, closure: 30 },
          major: { investigation: 30, capa: 45, closure: 60 },
          minor: { investigation: 60, capa: 90, closure: 90 },
        },
        effectiveFrom: new Date().toISOString(),
      }),
    );
    const drafted = await concord(['agreements', 'draft', file, '--reason', 'New partnership'], {
      CONCORD_TOKEN: administrator,
    });
    expect(drafted).toMatchObject({ code: 0, stdout: expect.stringContaining('version-drafted') });
    const shown = await concord(['agreements', 'show', 'qa-ht-lb-1'], {
      CONCORD_TOKEN: administrator,
    });
    const { draftId, deviationDueDays } = JSON.parse(shown.stdout) as {
      draftId: string;
      deviationDueDays: unknown;
    };
    expect(deviationDueDays).toMatchObject({ critical: { investigation: 7, closure: 30 } });
    const sign = async (personId: string, organizationId: string, printedName: string) =>
      concord(
        [
          'agreements',
          'sign',
          'qa-ht-lb-1',
          '--version',
          '1',
          '--draft-id',
          draftId,
          '--printed-name',
          printedName,
          '--credential',
          await issuer.mintStepUp({ personId, organizationId, roles: ['qa'] }),
          '--reason',
          `Approved for ${organizationId}`,
        ],
        { CONCORD_TOKEN: await issuer.mint({ personId, organizationId, roles: ['qa'] }) },
      );
    expect((await sign('ht-qa', sponsor, 'Hana Hill')).stdout).toContain(
      'recorded concord.agreement.version-signed.v1 ',
    );
    // A wrong printed name is refused, and the signature not made.
    expect(await sign('lb-qa', ORG, 'Someone Else')).toMatchObject({
      code: 1,
      stderr: expect.stringContaining('signature.printed-name-mismatch'),
    });
    expect((await sign('lb-qa', ORG, 'Lars Lake')).stdout).toContain(
      'concord.agreement.version-signed.v1, concord.agreement.version-approved.v2',
    );
  });

  it('says what is missing, and when Concord cannot be reached', async () => {
    expect(await concord(['admin', 'show', ORG])).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('pass --token'),
    });
    expect(
      await concord(['admin', 'show', ORG, '--api', 'http://127.0.0.1:9', '--token', operator]),
    ).toMatchObject({ code: 3, stderr: expect.stringContaining('cannot reach') });
    expect(
      await concord(['admin', 'show', 'no-such-org'], { CONCORD_TOKEN: administrator }),
    ).toMatchObject({
      code: 1,
      stderr: expect.stringContaining('not registered, or not yours to administer'),
    });
  });
});
