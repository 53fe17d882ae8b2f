// Development-only sign-in for the embedded demo: the dashboard lists the demo organizations'
// people and gets tokens from the development issuer. Only a server started with a `devIssuer`
// (the embedded platform) mounts these routes; a deployment with an identity provider never does.
import { AuthenticationError, type Authenticator, type DevIssuer } from '@concord/auth';
import type { ReadModelPrisma } from '@concord/read-model';

/**
 * The demo's platform operator: the platform's own staff, who register organizations and appoint
 * their administrators (an identity provider's account in a real deployment).
 */
export const DEV_OPERATOR = {
  organizationId: 'concord',
  name: 'Concord platform',
  kind: 'platform',
  person: { personId: 'concord-operator', printedName: 'Demo Operator', roles: ['operator'] },
} as const;

/** The path prefix of the development routes. */
export const DEV_TOKEN_PREFIX = '/dev/';

/**
 * The credential a demo person re-enters for an e-signature (the development issuer has no
 * passwords of its own). Not a secret: the sign-in page shows it.
 */
export const DEV_SIGNING_PASSWORD = 'concord-demo';

export interface DevTokenRoutesOptions {
  issuer: DevIssuer;
  authenticator: Authenticator;
  /** Where the demo people are registered (read unscoped: everyone may sign in as anyone). */
  prisma: ReadModelPrisma;
  /** What a person re-enters to sign. @default DEV_SIGNING_PASSWORD */
  signingPassword?: string;
}

export interface DevPersona {
  personId: string;
  printedName: string;
  roles: string[];
}

export interface DevOrganization {
  organizationId: string;
  name: string;
  kind: string;
  people: DevPersona[];
}

/**
 * `GET /dev/personas` → `{ organizations, signingPassword }`;
 * `POST /dev/token {organizationId, personId}` → `{ token }` (a sign-in token for that person);
 * `POST /dev/step-up {password}` with the sign-in bearer token → `{ credential }` (a step-up token
 * for one e-signature, when the password is right). Answers undefined for any other path.
 */
export function devTokenRoutes(
  options: DevTokenRoutesOptions,
): (request: Request) => Promise<Response | undefined> {
  const password = options.signingPassword ?? DEV_SIGNING_PASSWORD;

  const findPerson = async (organizationId: string, personId: string) =>
    organizationId === DEV_OPERATOR.organizationId && personId === DEV_OPERATOR.person.personId
      ? { ...DEV_OPERATOR.person, roles: [...DEV_OPERATOR.person.roles] }
      : options.prisma.person.findUnique({
          where: { organizationId_personId: { organizationId, personId } },
        });

  return async (request) => {
    const path = new URL(request.url).pathname;
    if (!path.startsWith(DEV_TOKEN_PREFIX)) return undefined;
    const route = `${request.method} ${path.slice(DEV_TOKEN_PREFIX.length)}`;
    switch (route) {
      case 'GET personas': {
        const [organizations, people] = await Promise.all([
          options.prisma.organization.findMany({ orderBy: { id: 'asc' } }),
          options.prisma.person.findMany({
            orderBy: [{ organizationId: 'asc' }, { personId: 'asc' }],
          }),
        ]);
        const body: { organizations: DevOrganization[]; signingPassword: string } = {
          organizations: organizations.map((organization) => ({
            organizationId: organization.id,
            name: organization.name,
            kind: organization.kind,
            people: people
              .filter((person) => person.organizationId === organization.id)
              .map(({ personId, printedName, roles }) => ({ personId, printedName, roles })),
          })),
          signingPassword: password,
        };
        body.organizations.push({
          organizationId: DEV_OPERATOR.organizationId,
          name: DEV_OPERATOR.name,
          kind: DEV_OPERATOR.kind,
          people: [{ ...DEV_OPERATOR.person, roles: [...DEV_OPERATOR.person.roles] }],
        });
        return json(200, body);
      }
      case 'POST token': {
        const input = await readJson(request);
        const organizationId = stringField(input, 'organizationId');
        const personId = stringField(input, 'personId');
        if (!organizationId || !personId)
          return json(400, { error: 'Send {"organizationId": "…", "personId": "…"}.' });
        const person = await findPerson(organizationId, personId);
        if (!person)
          return json(404, { error: `${personId} is not registered at ${organizationId}.` });
        const token = await options.issuer.mint({
          personId,
          organizationId,
          roles: person.roles,
          name: person.printedName,
        });
        return json(200, { token });
      }
      case 'POST step-up': {
        let caller;
        try {
          caller = await options.authenticator.authenticate(request.headers.get('authorization'));
        } catch (error) {
          if (error instanceof AuthenticationError) return json(401, { error: error.message });
          throw error;
        }
        if (caller?.kind !== 'person')
          return json(401, { error: 'Sign in as a person to sign electronically.' });
        const input = await readJson(request);
        if (stringField(input, 'password') !== password)
          return json(401, { error: 'The password is not correct; the signature was not made.' });
        const person = await findPerson(caller.organizationId, caller.personId);
        const credential = await options.issuer.mintStepUp({
          personId: caller.personId,
          organizationId: caller.organizationId,
          roles: person?.roles ?? caller.roles,
          ...(person ? { name: person.printedName } : {}),
        });
        return json(200, { credential });
      }
      default:
        return json(404, { error: `No development route ${route}.` });
    }
  };
}

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json', 'cache-control': 'no-store' },
  });
}

async function readJson(request: Request): Promise<unknown> {
  try {
    return await request.json();
  } catch {
    return undefined;
  }
}

function stringField(input: unknown, name: string): string | undefined {
  if (typeof input !== 'object' || input === null) return undefined;
  const value = (input as Record<string, unknown>)[name];
  return typeof value === 'string' && value.trim() !== '' ? value : undefined;
}
