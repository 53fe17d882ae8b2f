import type { CombinedError } from '@urql/core';
import type { ReactNode } from 'react';

/** Loading: says what is being fetched, announced politely to screen readers. */
export function Loading({ what }: { what: string }) {
  return (
    <div className="state state-loading" role="status" aria-live="polite">
      <span className="spinner" aria-hidden="true" />
      Loading {what}…
    </div>
  );
}

/** An error that says what failed and, where it helps, what to do. */
export function ErrorState({
  title,
  error,
  action,
}: {
  title: string;
  error?: CombinedError | Error | string;
  action?: ReactNode;
}) {
  const detail =
    typeof error === 'string'
      ? error
      : error && 'networkError' in error && error.networkError
        ? `The server could not be reached (${error.networkError.message}). It may be restarting; this page retries when you reload it.`
        : error && 'graphQLErrors' in error && error.graphQLErrors.length > 0
          ? error.graphQLErrors.map((e) => e.message).join(' ')
          : error?.message;
  return (
    <div className="state state-error" role="alert">
      <strong>{title}</strong>
      {detail ? <p>{detail}</p> : null}
      {action}
    </div>
  );
}

export function Empty({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="state state-empty">
      <strong>{title}</strong>
      {children ? <p>{children}</p> : null}
    </div>
  );
}
