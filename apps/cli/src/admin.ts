import { createPublicKey } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { publicKeyToBase64, signKeyStatement, type SigningKeyStatement } from '@concord/contract';
import { EXIT, UsageError, type CliIo } from './io.ts';

/**
 * Where the administration is and who asks: Concord's GraphQL endpoint, with a person's bearer
 * token (operators, administrators) or a partner system's API key (relaying a statement its
 * organization signed with a key it holds).
 */
export interface ApiTargetOptions {
  api?: string;
  token?: string;
  apiKey?: string;
}

const RECORDED = `__typename ... on Refusal { code message }`;

async function callApi(
  options: ApiTargetOptions,
  io: CliIo,
  query: string,
  variables: Record<string, unknown>,
): Promise<Record<string, unknown>> {
  const api = options.api ?? io.env.CONCORD_API_URL ?? 'http://127.0.0.1:4000';
  const token = options.token ?? io.env.CONCORD_TOKEN;
  const apiKey = options.apiKey ?? io.env.CONCORD_API_KEY;
  if (!token && !apiKey)
    throw new UsageError('pass --token (or $CONCORD_TOKEN) or --api-key (or $CONCORD_API_KEY)');
  const url = new URL('graphql', api.endsWith('/') ? api : `${api}/`);
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: token ? `Bearer ${token}` : `ApiKey ${apiKey}`,
      },
      body: JSON.stringify({ query, variables }),
    });
  } catch (error) {
    throw new DeliveryError(`cannot reach ${url.href}: ${(error as Error).message}`);
  }
  const body = (await response.json().catch(() => ({}))) as {
    data?: Record<string, unknown> | null;
    errors?: { message: string }[];
  };
  if (!response.ok || body.errors?.length)
    throw new DeliveryError(
      `${url.href} answered ${response.status}: ${body.errors?.map((e) => e.message).join('; ') ?? 'no answer'}`,
    );
  return body.data ?? {};
}

/** Concord could not be asked (network, credential refused): exit code 3. */
export class DeliveryError extends Error {
  override readonly name = 'DeliveryError';
}

/** One administrative act; prints what was recorded, or the refusal (exit code 1). */
async function act(
  options: ApiTargetOptions & { json?: boolean },
  io: CliIo,
  field: string,
  declarations: string,
  args: string,
  variables: Record<string, unknown>,
  selection = '',
): Promise<number> {
  const data = await callApi(
    options,
    io,
    `mutation(${declarations}) { ${field}(${args}) { ${RECORDED}
      ... on Mutation${field[0]!.toUpperCase()}${field.slice(1)}Success { data { ${selection || 'eventId recordedTypes'} } } } }`,
    variables,
  );
  const answer = data[field] as {
    __typename: string;
    code?: string;
    message?: string;
    data?: unknown;
  };
  if (answer.code) {
    io.stderr.write(`refused: ${answer.code}: ${answer.message}\n`);
    return EXIT.rejected;
  }
  io.stdout.write(
    options.json ? `${JSON.stringify(answer.data)}\n` : `${describeRecorded(answer.data)}\n`,
  );
  return EXIT.ok;
}

function describeRecorded(data: unknown): string {
  const recorded = data as {
    eventId?: string;
    recordedTypes?: string[];
    key?: string;
    keyId?: string;
  };
  if (recorded.key)
    return [
      `API key ${recorded.keyId} (shown this once; Concord keeps only its digest):`,
      recorded.key,
    ].join('\n');
  return `recorded ${recorded.recordedTypes?.join(', ')} (${recorded.eventId})`;
}

export type AdminAct =
  | { act: 'register-organization'; org: string; name: string; kind: string }
  | { act: 'appoint-administrator'; org: string; person: string; printedName: string }
  | { act: 'remove-administrator'; org: string; person: string }
  | { act: 'grant-role'; org: string; person: string; printedName: string; role: string }
  | { act: 'revoke-role'; org: string; person: string; role: string }
  | { act: 'register-system'; org: string; system: string; name: string }
  | { act: 'register-site'; org: string; site: string; name: string; country: string }
  | { act: 'register-product'; org: string; product: string; name: string }
  | { act: 'issue-api-key'; org: string; system: string; roles: string[]; expires: string }
  | { act: 'revoke-api-key'; org: string; system: string; keyId: string };

const upper = (value: string) => value.toUpperCase().replaceAll('-', '_');

/** `concord admin <act>`: the administration's GraphQL mutations, one per act. */
export async function admin(
  request: AdminAct,
  options: ApiTargetOptions & { reason: string; json?: boolean },
  io: CliIo,
): Promise<number> {
  const reason = { reason: options.reason };
  const R = '$reason: String!';
  switch (request.act) {
    case 'register-organization':
      return act(
        options,
        io,
        'registerOrganization',
        `$org: ID!, $name: String!, $kind: OrganizationKind!, ${R}`,
        'organizationId: $org, name: $name, kind: $kind, reason: $reason',
        { org: request.org, name: request.name, kind: upper(request.kind), ...reason },
      );
    case 'appoint-administrator':
      return act(
        options,
        io,
        'appointAdministrator',
        `$org: ID!, $person: ID!, $name: String!, ${R}`,
        'organizationId: $org, personId: $person, printedName: $name, reason: $reason',
        { org: request.org, person: request.person, name: request.printedName, ...reason },
      );
    case 'remove-administrator':
      return act(
        options,
        io,
        'removeAdministrator',
        `$org: ID!, $person: ID!, ${R}`,
        'organizationId: $org, personId: $person, reason: $reason',
        { org: request.org, person: request.person, ...reason },
      );
    case 'grant-role':
      return act(
        options,
        io,
        'grantRole',
        `$org: ID!, $person: ID!, $name: String!, $role: Role!, ${R}`,
        'organizationId: $org, personId: $person, printedName: $name, role: $role, reason: $reason',
        {
          org: request.org,
          person: request.person,
          name: request.printedName,
          role: upper(request.role),
          ...reason,
        },
      );
    case 'revoke-role':
      return act(
        options,
        io,
        'revokeRole',
        `$org: ID!, $person: ID!, $role: Role!, ${R}`,
        'organizationId: $org, personId: $person, role: $role, reason: $reason',
        { org: request.org, person: request.person, role: upper(request.role), ...reason },
      );
    case 'register-system':
      return act(
        options,
        io,
        'registerPartnerSystem',
        `$org: ID!, $system: ID!, $name: String!, ${R}`,
        'organizationId: $org, systemId: $system, name: $name, reason: $reason',
        { org: request.org, system: request.system, name: request.name, ...reason },
      );
    case 'register-site':
      return act(
        options,
        io,
        'registerSite',
        `$org: ID!, $site: ID!, $name: String!, $country: String!, ${R}`,
        'organizationId: $org, siteId: $site, name: $name, country: $country, reason: $reason',
        {
          org: request.org,
          site: request.site,
          name: request.name,
          country: request.country,
          ...reason,
        },
      );
    case 'register-product':
      return act(
        options,
        io,
        'registerProduct',
        `$org: ID!, $product: ID!, $name: String!, ${R}`,
        'organizationId: $org, productId: $product, name: $name, reason: $reason',
        { org: request.org, product: request.product, name: request.name, ...reason },
      );
    case 'issue-api-key': {
      const expiresAt = instantOf(request.expires, '--expires');
      return act(
        options,
        io,
        'issueApiKey',
        `$org: ID!, $system: ID!, $roles: [Role!]!, $expiresAt: DateTime!, ${R}`,
        'organizationId: $org, systemId: $system, roles: $roles, expiresAt: $expiresAt, reason: $reason',
        {
          org: request.org,
          system: request.system,
          roles: request.roles.map(upper),
          expiresAt,
          ...reason,
        },
        'keyId key expiresAt',
      );
    }
    case 'revoke-api-key':
      return act(
        options,
        io,
        'revokeApiKey',
        `$org: ID!, $system: ID!, $keyId: ID!, ${R}`,
        'organizationId: $org, systemId: $system, keyId: $keyId, reason: $reason',
        { org: request.org, system: request.system, keyId: request.keyId, ...reason },
      );
  }
}

function instantOf(value: string, flag: string): string {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(value))
    throw new UsageError(`${flag} ${value} is not an RFC 3339 instant with an offset`);
  return value;
}

/** `concord admin show <org>`: the organization as its administration sees it, as JSON. */
export async function adminShow(
  org: string,
  options: ApiTargetOptions,
  io: CliIo,
): Promise<number> {
  const data = await callApi(
    options,
    io,
    `query($org: ID!) { administeredOrganization(organizationId: $org) {
      organizationId name kind administrators { personId printedName }
      people { personId printedName roles }
      signingKeys { keyId validFrom revokedAt }
      sites { siteId name country } products { productId name }
      systems { systemId name apiKeys { keyId roles status issuedAt expiresAt revokedAt lastUsedAt } } } }`,
    { org },
  );
  if (!data.administeredOrganization) {
    io.stderr.write(`${org}: not registered, or not yours to administer\n`);
    return EXIT.rejected;
  }
  io.stdout.write(`${JSON.stringify(data.administeredOrganization, null, 2)}\n`);
  return EXIT.ok;
}

export interface KeyChangeOptions extends ApiTargetOptions {
  org: string;
  reason: string;
  /** The key the organization already holds, which signs the statement. */
  provingKeyFile: string;
  provingKeyId: string;
  json?: boolean;
}

async function provingKey(options: KeyChangeOptions) {
  try {
    return {
      keyId: options.provingKeyId,
      privateKeyPem: await readFile(options.provingKeyFile, 'utf8'),
    };
  } catch (error) {
    throw new UsageError(`cannot read ${options.provingKeyFile}: ${(error as Error).message}`);
  }
}

/**
 * `concord keys register`: the statement registering a new key (its public half derived from
 * the new key's file), signed with a key the organization holds, sent to the administration.
 */
export async function keysRegister(
  options: KeyChangeOptions & { keyFile: string; keyId: string; validFrom?: string },
  io: CliIo,
): Promise<number> {
  let publicKey: string;
  try {
    publicKey = publicKeyToBase64(createPublicKey(await readFile(options.keyFile, 'utf8')));
  } catch (error) {
    throw new UsageError(
      `cannot read a private key from ${options.keyFile}: ${(error as Error).message}`,
    );
  }
  const now = (io.clock ?? (() => new Date()))();
  const validFrom = instantOf(
    options.validFrom ?? `${now.toISOString().slice(0, 19)}Z`,
    '--valid-from',
  );
  const statement: SigningKeyStatement = {
    statement: 'concord.signing-key-registration.v1',
    organizationId: options.org,
    keyId: options.keyId,
    algorithm: 'Ed25519',
    publicKey,
    validFrom,
  };
  const signature = signKeyStatement(statement, await provingKey(options));
  return act(
    options,
    io,
    'registerSigningKey',
    '$org: ID!, $keyId: ID!, $publicKey: String!, $validFrom: String!, $proof: SigningKeyProofInput!, $reason: String!',
    'organizationId: $org, keyId: $keyId, publicKey: $publicKey, validFrom: $validFrom, proof: $proof, reason: $reason',
    {
      org: options.org,
      keyId: options.keyId,
      publicKey,
      validFrom,
      proof: { heldKey: { keyId: options.provingKeyId, signature } },
      reason: options.reason,
    },
  );
}

/** `concord keys revoke`: as `keys register`, for revoking a key from a stated instant. */
export async function keysRevoke(
  options: KeyChangeOptions & { keyId: string; revokedAt?: string },
  io: CliIo,
): Promise<number> {
  const now = (io.clock ?? (() => new Date()))();
  // By default a few seconds ahead: a revocation is never backdated, and it is recorded after
  // it is signed here.
  const revokedAt = instantOf(
    options.revokedAt ?? `${new Date(now.getTime() + 10_000).toISOString().slice(0, 19)}Z`,
    '--revoked-at',
  );
  const statement: SigningKeyStatement = {
    statement: 'concord.signing-key-revocation.v1',
    organizationId: options.org,
    keyId: options.keyId,
    revokedAt,
    reason: options.reason,
  };
  const signature = signKeyStatement(statement, await provingKey(options));
  return act(
    options,
    io,
    'revokeSigningKey',
    '$org: ID!, $keyId: ID!, $revokedAt: String!, $proof: SigningKeyProofInput!, $reason: String!',
    'organizationId: $org, keyId: $keyId, revokedAt: $revokedAt, proof: $proof, reason: $reason',
    {
      org: options.org,
      keyId: options.keyId,
      revokedAt,
      proof: { heldKey: { keyId: options.provingKeyId, signature } },
      reason: options.reason,
    },
  );
}

/**
 * `concord agreements draft`: the next version of a quality agreement, from a JSON file holding
 * the whole version as `AgreementVersionInput` (agreementId, version, sponsorId, cdmoId, products,
 * responsibilities, notificationDeadlinesHours, effectiveFrom, and optionally deviationDueDays:
 * `{ critical|major|minor: { investigation, capa, closure } }` days, which the platform warns of).
 */
export async function agreementsDraft(
  file: string,
  options: ApiTargetOptions & { reason: string; json?: boolean },
  io: CliIo,
): Promise<number> {
  let version: unknown;
  try {
    version = JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    throw new UsageError(
      `cannot read a JSON agreement version from ${file}: ${(error as Error).message}`,
    );
  }
  return act(
    options,
    io,
    'draftAgreementVersion',
    '$version: AgreementVersionInput!, $reason: String!',
    'version: $version, reason: $reason',
    { version, reason: options.reason },
  );
}

/** `concord agreements show`: the version being drafted and who has signed it, as JSON. */
export async function agreementsShow(
  agreementId: string,
  options: ApiTargetOptions,
  io: CliIo,
): Promise<number> {
  const data = await callApi(
    options,
    io,
    `query($id: ID!) { agreementDraft(agreementId: $id) {
      draftId agreementId version sponsorId cdmoId effectiveFrom notificationDeadlinesHours deviationDueDays
      products responsibilities signedBy } }`,
    { id: agreementId },
  );
  if (!data.agreementDraft) {
    io.stderr.write(`${agreementId}: nothing drafted, or not yours to see\n`);
    return EXIT.rejected;
  }
  io.stdout.write(`${JSON.stringify(data.agreementDraft, null, 2)}\n`);
  return EXIT.ok;
}

/**
 * `concord agreements sign`: your QA e-signature on the drafted version (the credential you
 * re-entered, as a step-up token); the second party's signature approves it.
 */
export async function agreementsSign(
  agreementId: string,
  options: ApiTargetOptions & {
    version: number;
    draftId: string;
    printedName: string;
    credential: string;
    reason: string;
    json?: boolean;
  },
  io: CliIo,
): Promise<number> {
  return act(
    options,
    io,
    'signAgreementVersion',
    '$id: ID!, $version: Int!, $draftId: ID!, $signature: AdministratorSignatureInput!, $reason: String!',
    'agreementId: $id, version: $version, draftId: $draftId, signature: $signature, reason: $reason',
    {
      id: agreementId,
      version: options.version,
      draftId: options.draftId,
      signature: { printedName: options.printedName, credential: options.credential },
      reason: options.reason,
    },
  );
}
