// The signed-in person: a bearer token plus what the sign-in page learned about them. Kept in
// sessionStorage (per tab, gone with the tab), never in localStorage.
import { useSyncExternalStore } from 'react';

export interface Session {
  token: string;
  organizationId: string;
  organizationName: string;
  organizationKind: string;
  personId: string;
  printedName: string;
  roles: string[];
  /** Development sign-in (the embedded demo): step-up tokens come from /dev/step-up. */
  development: boolean;
}

const KEY = 'concord.session';
const listeners = new Set<() => void>();
let cached: { raw: string | null; session: Session | null } = { raw: null, session: null };

function read(): Session | null {
  const raw = sessionStorage.getItem(KEY);
  if (raw !== cached.raw) {
    let session: Session | null = null;
    try {
      session = raw ? (JSON.parse(raw) as Session) : null;
    } catch {
      session = null;
    }
    cached = { raw, session };
  }
  return cached.session;
}

export function signIn(session: Session): void {
  sessionStorage.setItem(KEY, JSON.stringify(session));
  listeners.forEach((listener) => listener());
}

export function signOut(): void {
  sessionStorage.removeItem(KEY);
  listeners.forEach((listener) => listener());
}

export function useSession(): Session | null {
  return useSyncExternalStore((listener) => {
    listeners.add(listener);
    return () => listeners.delete(listener);
  }, read);
}
