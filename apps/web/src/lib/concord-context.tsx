// What every view needs: the session, the organization directory (ids → names) and the live
// connection's state.
import { createContext, useContext } from 'react';
import type { LiveStatus } from './client.ts';
import type { Session } from './session.ts';

export interface ConcordContextValue {
  session: Session;
  live: LiveStatus;
  /** Organization ids → names: the caller's own and its partners'. */
  directory: ReadonlyMap<string, string>;
}

export const ConcordContext = createContext<ConcordContextValue | null>(null);

export function useConcord(): ConcordContextValue {
  const value = useContext(ConcordContext);
  if (!value) throw new Error('useConcord outside the signed-in shell');
  return value;
}

/** `helvion-tx` → its registered name (or the id when the directory does not know it). */
export function useOrganizationName(): (id: string) => string {
  const { directory } = useConcord();
  return (id) => directory.get(id) ?? id;
}
