import { useEffect, useMemo, useState } from 'react';
import { Provider, useQuery } from 'urql';
import { ErrorState, Loading } from './components/states.tsx';
import { ViewerQuery } from './lib/api.ts';
import { createConcordClient, type ConcordClient, type LiveStatus } from './lib/client.ts';
import { ConcordContext } from './lib/concord-context.tsx';
import { href, Link, useRoute } from './lib/router.tsx';
import { signOut, useSession, type Session } from './lib/session.ts';
import { AuditView } from './views/audit.tsx';
import { BatchBoard } from './views/batch-board.tsx';
import { BatchDetailView } from './views/batch-detail.tsx';
import { DeviationDetailView } from './views/deviation-detail.tsx';
import { DeviationsView } from './views/deviations.tsx';
import { DeadlineNavBadge } from './components/deadlines.tsx';
import { AdministrationView } from './views/administration.tsx';
import { QpRegisterView } from './views/qp-register.tsx';
import { ReadinessView } from './views/readiness.tsx';
import { SignIn } from './views/sign-in.tsx';
import { TrendsView } from './views/trends.tsx';

export function App() {
  const session = useSession();
  if (!session) return <SignIn />;
  return <SignedIn key={session.token} session={session} />;
}

function SignedIn({ session }: { session: Session }) {
  const [live, setLive] = useState<LiveStatus>('connecting');
  // Created and disposed by one effect, so a remount (StrictMode in development) never leaves
  // the views holding a client whose socket was disposed.
  const [concord, setConcord] = useState<ConcordClient | null>(null);
  useEffect(() => {
    const created = createConcordClient(session.token, setLive);
    setConcord(created);
    return () => created.dispose();
  }, [session.token]);
  if (!concord) return <Loading what="your session" />;
  return (
    <Provider value={concord.client}>
      <Shell session={session} live={live} />
    </Provider>
  );
}

const ICON_PATHS: Record<string, string> = {
  board: 'M3 4h5v16H3zM10 4h5v10h-5zM17 4h4v7h-4z',
  readiness: 'M4 12.5l5 5L20 6.5',
  deviations: 'M12 3l9.5 17h-19zM12 10v4.5M12 17.2v.3',
  trends: 'M3 18l6-6 4 4 8-9M15 7h6v6',
  audit: 'M6 3h9l4 4v14H6zM14 3v5h5M9 12h7M9 16h7',
  register: 'M5 3h14v18H5zM9 8h6M9 12h6M9 16h3',
  admin: 'M12 3l8 4v5c0 5-3.5 8-8 9-4.5-1-8-4-8-9V7zM9 12l2 2 4-4',
};

function NavIcon({ name }: { name: string }) {
  return (
    <svg
      viewBox="0 0 24 24"
      fill="none"
      stroke="currentColor"
      strokeWidth="1.8"
      strokeLinecap="round"
      strokeLinejoin="round"
    >
      <path d={ICON_PATHS[name]} />
    </svg>
  );
}

const NAV = [
  { key: 'board', label: 'Batch board' },
  { key: 'readiness', label: 'Release readiness' },
  { key: 'deviations', label: 'Deviations' },
  { key: 'trends', label: 'Trends' },
  { key: 'register', label: 'QP register' },
  { key: 'audit', label: 'Audit' },
  { key: 'admin', label: 'Administration' },
] as const;

function Shell({ session, live }: { session: Session; live: LiveStatus }) {
  const route = useRoute();
  const [{ data, error }] = useQuery({ query: ViewerQuery });
  const directory = useMemo(() => {
    const names = new Map<string, string>([[session.organizationId, session.organizationName]]);
    for (const partner of data?.partners ?? []) names.set(partner.organizationId, partner.name);
    return names;
  }, [data, session]);
  const [section = 'board', id] = route.segments;
  const current = section === 'batches' ? 'board' : section;

  let view;
  if (
    error?.response?.status === 401 ||
    error?.graphQLErrors.some((e) => e.extensions?.code === 'UNAUTHENTICATED')
  )
    view = (
      <ErrorState
        title="Your sign-in has expired"
        error="The server no longer accepts your token. Sign in again to continue."
        action={
          <button type="button" className="button button-primary" onClick={signOut}>
            Sign in again
          </button>
        }
      />
    );
  else if (section === 'batches' && id) view = <BatchDetailView batchId={id} />;
  else if (section === 'deviations' && id) view = <DeviationDetailView deviationId={id} />;
  else if (section === 'readiness') view = <ReadinessView />;
  else if (section === 'deviations') view = <DeviationsView />;
  else if (section === 'trends') view = <TrendsView />;
  else if (section === 'audit') view = <AuditView batchId={id} />;
  else if (section === 'register') view = <QpRegisterView />;
  else if (section === 'admin') view = <AdministrationView />;
  else view = <BatchBoard />;

  return (
    <ConcordContext.Provider value={{ session, live, directory }}>
      <div className="shell">
        <a className="skip-link" href="#main">
          Skip to content
        </a>
        <aside className="sidebar">
          <div className="brand">
            <span className="brand-mark" aria-hidden="true" />
            <span>Concord</span>
          </div>
          <nav aria-label="Main">
            <ul>
              {NAV.map((item) => (
                <li key={item.key}>
                  <Link
                    to={href(item.key)}
                    className={current === item.key ? 'nav-link active' : 'nav-link'}
                    aria-current={current === item.key ? 'page' : undefined}
                  >
                    <span className="nav-icon" aria-hidden="true">
                      <NavIcon name={item.key} />
                    </span>
                    {item.label}
                    {item.key === 'deviations' ? <DeadlineNavBadge /> : null}
                  </Link>
                </li>
              ))}
            </ul>
          </nav>
          <div className="sidebar-footer">
            <LiveBadge live={live} />
          </div>
        </aside>
        <div className="main-column">
          <header className="topbar">
            <div className="org">
              <span className="org-name">{session.organizationName}</span>
              <span className="org-kind">{session.organizationKind.toUpperCase()}</span>
            </div>
            <div className="user">
              <span>
                <span className="user-name">{session.printedName}</span>
                <span className="user-roles">{session.roles.join(', ').toUpperCase()}</span>
              </span>
              <button type="button" className="button button-small" onClick={signOut}>
                Sign out
              </button>
            </div>
          </header>
          <main id="main" tabIndex={-1}>
            {data || error ? view : <Loading what="your organization" />}
          </main>
        </div>
      </div>
    </ConcordContext.Provider>
  );
}

function LiveBadge({ live }: { live: LiveStatus }) {
  const label =
    live === 'live' ? 'Live updates on' : live === 'connecting' ? 'Connecting…' : 'Reconnecting…';
  return (
    <span className={`live live-${live}`} role="status" aria-live="polite">
      <span className="live-dot" aria-hidden="true" />
      {label}
    </span>
  );
}
