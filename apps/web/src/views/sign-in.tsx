import { useEffect, useState, type FormEvent } from 'react';
import { ErrorState, Loading } from '../components/states.tsx';
import {
  fetchPersonas,
  fetchToken,
  type PersonaOrganization,
  type Personas,
} from '../lib/dev-auth.ts';
import { navigate } from '../lib/router.tsx';
import { signIn } from '../lib/session.ts';

type State =
  | { kind: 'loading' }
  | { kind: 'development'; personas: Personas }
  | { kind: 'identity-provider' }
  | { kind: 'error'; message: string };

export function SignIn() {
  const [state, setState] = useState<State>({ kind: 'loading' });
  const [busy, setBusy] = useState<string | null>(null);
  const [failure, setFailure] = useState<string | null>(null);

  useEffect(() => {
    fetchPersonas()
      .then((personas) =>
        setState(personas ? { kind: 'development', personas } : { kind: 'identity-provider' }),
      )
      .catch((error: Error) => setState({ kind: 'error', message: error.message }));
  }, []);

  const choose = async (organization: PersonaOrganization, personId: string) => {
    const person = organization.people.find((candidate) => candidate.personId === personId)!;
    setBusy(personId);
    setFailure(null);
    try {
      const token = await fetchToken(organization.organizationId, personId);
      navigate('#/board', { replace: true });
      signIn({
        token,
        organizationId: organization.organizationId,
        organizationName: organization.name,
        organizationKind: organization.kind,
        personId,
        printedName: person.printedName,
        roles: person.roles,
        development: true,
      });
    } catch (error) {
      setFailure((error as Error).message);
      setBusy(null);
    }
  };

  return (
    <div className="sign-in">
      <div className="sign-in-panel">
        <div className="brand brand-large">
          <span className="brand-mark" aria-hidden="true" />
          <span>Concord</span>
        </div>
        <h1>Sign in</h1>
        <p className="sign-in-lead">
          One shared, signed record of every batch and deviation between sponsors and their CDMOs.
        </p>
        {state.kind === 'loading' ? <Loading what="the sign-in options" /> : null}
        {state.kind === 'error' ? (
          <ErrorState title="The server cannot be reached" error={state.message} />
        ) : null}
        {state.kind === 'identity-provider' ? <TokenSignIn /> : null}
        {state.kind === 'development' ? (
          <>
            <p className="notice">
              <strong>Embedded demo.</strong> Pick a person of a demo organization. To sign
              electronically, re-enter the demo password{' '}
              <code>{state.personas.signingPassword}</code>.
            </p>
            {failure ? <ErrorState title="Sign-in failed" error={failure} /> : null}
            {state.personas.organizations.length === 0 ? (
              <ErrorState
                title="No organizations yet"
                error="The platform has registered no organization yet. The demo feed registers them within seconds of starting; reload this page in a moment."
              />
            ) : (
              <div className="persona-grid">
                {state.personas.organizations.map((organization) => (
                  <section
                    key={organization.organizationId}
                    className="persona-org"
                    aria-labelledby={`org-${organization.organizationId}`}
                  >
                    <h2 id={`org-${organization.organizationId}`}>
                      {organization.name}
                      <span className="org-kind">{organization.kind.toUpperCase()}</span>
                    </h2>
                    <ul>
                      {organization.people.map((person) => (
                        <li key={person.personId}>
                          <button
                            type="button"
                            className="persona"
                            disabled={busy !== null}
                            onClick={() => void choose(organization, person.personId)}
                            aria-label={`Sign in as ${person.printedName}, ${person.roles.join(', ')} at ${organization.name}`}
                          >
                            <span className="persona-name">{person.printedName}</span>
                            <span className="persona-roles">
                              {busy === person.personId
                                ? 'Signing in…'
                                : person.roles.join(', ').toUpperCase()}
                            </span>
                          </button>
                        </li>
                      ))}
                    </ul>
                  </section>
                ))}
              </div>
            )}
          </>
        ) : null}
      </div>
    </div>
  );
}

/** Deployments with an identity provider: paste the bearer token it issued. */
function TokenSignIn() {
  const [token, setToken] = useState('');
  const [failure, setFailure] = useState<string | null>(null);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setFailure(null);
    const response = await fetch('/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token.trim()}` },
      body: JSON.stringify({
        query: '{ viewer { id kind roles organization { organizationId name kind } } }',
      }),
    });
    const body = (await response.json().catch(() => ({}))) as {
      data?: {
        viewer: {
          id: string;
          roles: string[];
          organization: { organizationId: string; name: string; kind: string } | null;
        };
      };
      errors?: { message: string }[];
    };
    const viewer = body.data?.viewer;
    if (!response.ok || !viewer?.organization) {
      setFailure(body.errors?.[0]?.message ?? 'The token was not accepted.');
      return;
    }
    navigate('#/board', { replace: true });
    signIn({
      token: token.trim(),
      organizationId: viewer.organization.organizationId,
      organizationName: viewer.organization.name,
      organizationKind: viewer.organization.kind,
      personId: viewer.id,
      printedName: viewer.id,
      roles: viewer.roles,
      development: false,
    });
  };
  return (
    <form onSubmit={(event) => void submit(event)} className="token-form">
      <p>
        This server signs people in through your organization&apos;s identity provider. Paste the
        access token it issued you.
      </p>
      <div className="field">
        <label htmlFor="token">Access token</label>
        <textarea
          id="token"
          rows={4}
          value={token}
          onChange={(e) => setToken(e.target.value)}
          required
        />
      </div>
      {failure ? <ErrorState title="Sign-in failed" error={failure} /> : null}
      <button type="submit" className="button button-primary">
        Sign in
      </button>
    </form>
  );
}
