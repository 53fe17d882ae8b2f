// The embedded demo's sign-in (the API's development routes; absent on real deployments).

export interface Persona {
  personId: string;
  printedName: string;
  roles: string[];
}

export interface PersonaOrganization {
  organizationId: string;
  name: string;
  kind: string;
  people: Persona[];
}

export interface Personas {
  organizations: PersonaOrganization[];
  signingPassword: string;
}

async function answer<T>(response: Response): Promise<T> {
  const body = (await response.json().catch(() => ({}))) as { error?: string };
  if (!response.ok) throw new Error(body.error ?? `The server answered ${response.status}.`);
  return body as T;
}

/** Undefined when the server has no development sign-in (it uses an identity provider). */
export async function fetchPersonas(): Promise<Personas | undefined> {
  const response = await fetch('/dev/personas', { headers: { accept: 'application/json' } });
  if (response.status === 404) return undefined;
  return answer<Personas>(response);
}

export async function fetchToken(organizationId: string, personId: string): Promise<string> {
  const response = await fetch('/dev/token', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ organizationId, personId }),
  });
  return (await answer<{ token: string }>(response)).token;
}

/** Re-entering the password for one e-signature gives a short-lived step-up credential. */
export async function fetchStepUp(token: string, password: string): Promise<string> {
  const response = await fetch('/dev/step-up', {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ password }),
  });
  return (await answer<{ credential: string }>(response)).credential;
}
