// How the end-to-end tests act on a running platform from outside, as its users do: tokens from
// the platform's development issuer, GraphQL over HTTP, administrative acts that must be
// recorded, subscriptions over server-sent events.
import { expect } from 'vitest';
import type { Platform } from '../platform.ts';

export type Answer = { data?: Record<string, Record<string, unknown> | null>; errors?: unknown[] };

/** Someone acting on the platform: a person, with a role where they hold one. */
export type Person = { personId: string; organizationId: string; name: string; role?: string };

/** GraphQL and tokens against `platform()` (a getter: the platform may be restarted). */
export function platformClient(platform: () => Platform) {
  const token = (person: Person) =>
    platform().issuer.mint({
      personId: person.personId,
      organizationId: person.organizationId,
      roles: person.role ? [person.role] : [],
      name: person.name,
    });
  const operator = () =>
    platform().issuer.mint({
      personId: 'ops-olga',
      organizationId: 'concord',
      roles: ['operator'],
      name: 'Olga Operator',
    });
  const stepUp = (person: Person) =>
    platform().issuer.mintStepUp({
      personId: person.personId,
      organizationId: person.organizationId,
      roles: person.role ? [person.role] : [],
    });

  async function graphql(bearer: Promise<string>, query: string, variables = {}) {
    const response = await fetch(platform().graphqlUrl, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${await bearer}`,
      },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await response.json()) as Answer;
    expect(body.errors, JSON.stringify(body.errors)).toBeUndefined();
    return body.data!;
  }
  /** An administrative act that must be recorded; answers what it recorded. */
  async function administer(bearer: Promise<string>, mutation: string, variables = {}) {
    const field = /^\s*(\w+)/.exec(mutation)![1]!;
    const data = await graphql(
      bearer,
      `mutation(${variableDeclarations(variables)}) { ${mutation} {
        __typename
        ... on Refusal { code message }
        ... on ${success(field)} { data { recordedTypes } }
      } }`,
      variables,
    );
    const answer = data[field] as { __typename: string; code?: string; data?: unknown };
    expect(answer, JSON.stringify(answer)).toMatchObject({ __typename: success(field) });
    return answer.data as { recordedTypes: string[] };
  }

  /** The operator registers an organization and appoints its first administrator. */
  async function onboardOrganization(
    organizationId: string,
    kind: 'SPONSOR' | 'CDMO',
    admin: Person,
  ): Promise<void> {
    await administer(
      operator(),
      'registerOrganization(organizationId: $id, name: $name, kind: $kind, reason: $reason)',
      { id: organizationId, name: organizationId, kind, reason: 'Platform agreement signed' },
    );
    await administer(
      operator(),
      'appointAdministrator(organizationId: $id, personId: $personId, printedName: $name, reason: $reason)',
      { id: organizationId, personId: admin.personId, name: admin.name, reason: 'Onboarding form' },
    );
  }

  return { token, operator, stepUp, graphql, administer, onboardOrganization };
}

export const enumName = (value: string) => value.toUpperCase().replaceAll('-', '_');
export const success = (field: string) =>
  `Mutation${field[0]!.toUpperCase()}${field.slice(1)}Success`;

/** The GraphQL types of the variables these tests send. */
export const VARIABLE_TYPES: Record<string, string> = {
  id: 'ID!',
  org: 'ID!',
  name: 'String!',
  kind: 'OrganizationKind!',
  reason: 'String!',
  personId: 'ID!',
  role: 'Role!',
  keyId: 'ID!',
  publicKey: 'String!',
  validFrom: 'String!',
  revokedAt: 'String!',
  proof: 'SigningKeyProofInput!',
  version: 'AgreementVersionInput!',
  agreementId: 'ID!',
  v: 'Int!',
  draftId: 'ID!',
  signature: 'AdministratorSignatureInput!',
};
export const variableDeclarations = (variables: object) =>
  Object.keys(variables)
    .map((name) => `$${name}: ${VARIABLE_TYPES[name]}`)
    .join(', ') || '$none: Int';

/** A subscription over server-sent events: everything received so far, as text. */
export async function subscribe(url: string, bearer: string, query: string) {
  const abort = new AbortController();
  const response = await fetch(url, {
    method: 'POST',
    signal: abort.signal,
    headers: {
      'content-type': 'application/json',
      accept: 'text/event-stream',
      authorization: `Bearer ${bearer}`,
    },
    body: JSON.stringify({ query }),
  });
  let received = '';
  void (async () => {
    try {
      const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
      for (let read = await reader.read(); !read.done; read = await reader.read())
        received += read.value;
    } catch {
      // closed
    }
  })();
  return { text: () => received, close: () => abort.abort() };
}
