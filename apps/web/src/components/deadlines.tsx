import { useCallback } from 'react';
import { useQuery, useSubscription } from 'urql';
import { DeadlineAlertsQuery, DeviationChanged, type Deviation } from '../lib/api.ts';
import { useOrganizationName } from '../lib/concord-context.tsx';
import { formatDate, humanize } from '../lib/format.ts';
import { href, Link } from '../lib/router.tsx';

type Deadline = Deviation['deadlines'][number];

const DEADLINE_LABELS: Record<string, string> = {
  INVESTIGATION: 'Investigation',
  CAPA: 'CAPA',
  CLOSURE: 'Closure',
};
const labelOf = (deadline: Deadline | undefined) =>
  deadline ? (DEADLINE_LABELS[deadline.kind] ?? deadline.kind) : '';

/** The unmet due date a deviation's status is about: overdue first, then the nearest. */
export function pressingDeadline(deviation: Pick<Deviation, 'deadlines'>): Deadline | undefined {
  const unmet = deviation.deadlines.filter((deadline) => !deadline.met);
  const warned = (kind: string) =>
    unmet.filter((deadline) => deadline.warnings.some((w) => w.warning === kind));
  return warned('overdue')[0] ?? warned('due-soon')[0] ?? unmet[0];
}

/** Where a deviation stands against its due dates, as a badge: what the alerts are about. */
export function DeadlineBadge({ deviation }: { deviation: Deviation }) {
  const pressing = pressingDeadline(deviation);
  switch (deviation.deadlineStatus) {
    case 'OVERDUE':
      return (
        <span className="tag tag-danger" data-deadline-status="overdue">
          {labelOf(pressing)} overdue · due {formatDate(pressing?.dueAt)}
        </span>
      );
    case 'DUE_SOON':
      return (
        <span className="tag tag-warning" data-deadline-status="due-soon">
          {labelOf(pressing)} due {formatDate(pressing?.dueAt)}
        </span>
      );
    case 'ON_TRACK':
      return (
        <span className="muted">
          {labelOf(pressing)} due {formatDate(pressing?.dueAt)}
        </span>
      );
    case 'MET':
      return <span className="muted">All met</span>;
    default:
      return <span className="muted">—</span>;
  }
}

/**
 * Live alerts: the deviations with a due date near or passed, refreshed on every deviation
 * change (a warning is one; so is the act that meets a due date).
 */
function useDeadlineAlerts() {
  const [{ data }, refetch] = useQuery({ query: DeadlineAlertsQuery });
  const onChange = useCallback(
    (_: unknown, event: { deviationChanged: { deviationId: string } | null }) => {
      refetch({ requestPolicy: 'network-only' });
      return event;
    },
    [refetch],
  );
  useSubscription({ query: DeviationChanged }, onChange);
  return data;
}

/** The navigation's badge: how many deviations have a due date near or passed. */
export function DeadlineNavBadge() {
  const data = useDeadlineAlerts();
  const counts = data?.deadlineCounts ?? [];
  const overdue = counts.reduce((sum, c) => sum + c.overdue, 0);
  const total = counts.reduce((sum, c) => sum + c.overdue + c.dueSoon, 0);
  if (total === 0) return null;
  return (
    <span
      className={overdue ? 'nav-badge nav-badge-danger' : 'nav-badge nav-badge-warning'}
      title={`${overdue} overdue, ${total - overdue} due soon`}
      aria-label={`${total} deadline alerts`}
    >
      {total}
    </span>
  );
}

/**
 * The alerts panel: deviations with a due date near or passed, in the caller's partnerships,
 * live (a deadline warning refreshes it). Nothing is shown while nothing is due.
 */
export function DeadlineAlerts() {
  const nameOf = useOrganizationName();
  const data = useDeadlineAlerts();
  const alerts = data?.deviations.edges.map((edge) => edge.node) ?? [];
  if (alerts.length === 0) return null;
  return (
    <section className="panel deadline-alerts" aria-label="Deadline alerts">
      <h2>
        Deadline alerts
        {data?.deadlineCounts.map((counts) => (
          <span key={`${counts.sponsorId} ${counts.cdmoId}`} className="muted small counts">
            {nameOf(counts.sponsorId)} ↔ {nameOf(counts.cdmoId)}: {counts.overdue} overdue
            {counts.escalated ? ` (${counts.escalated} escalated)` : ''}, {counts.dueSoon} due soon
          </span>
        ))}
      </h2>
      <ul className="alert-list">
        {alerts.map((deviation) => {
          const pressing = pressingDeadline(deviation);
          const escalatedTo = pressing?.warnings.find((w) => w.escalatedTo)?.escalatedTo;
          return (
            <li key={deviation.deviationId} data-deviation-id={deviation.deviationId}>
              <DeadlineBadge deviation={deviation} />{' '}
              <Link to={href('deviations', deviation.deviationId)} className="strong-link">
                {deviation.deviationId}
              </Link>{' '}
              <span className="muted">{deviation.title}</span>
              {escalatedTo ? (
                <span className="tag tag-danger">Escalated to {nameOf(escalatedTo)}</span>
              ) : null}
            </li>
          );
        })}
      </ul>
    </section>
  );
}

/** The due dates of one deviation, with the warnings given: for its detail page. */
export function DueDates({ deviation }: { deviation: Deviation }) {
  if (deviation.deadlines.length === 0)
    return <p className="muted">The quality agreement sets no due dates for this deviation.</p>;
  return (
    <table className="table" aria-label="Due dates">
      <thead>
        <tr>
          <th scope="col">Due date</th>
          <th scope="col">Due</th>
          <th scope="col">Status</th>
          <th scope="col">Warnings</th>
        </tr>
      </thead>
      <tbody>
        {deviation.deadlines.map((deadline) => (
          <tr key={deadline.kind}>
            <td>{labelOf(deadline)}</td>
            <td className="nowrap">{formatDate(deadline.dueAt)}</td>
            <td>
              {deadline.met ? (
                <span className="muted">Met</span>
              ) : deadline.warnings.some((w) => w.warning === 'overdue') ? (
                <span className="tag tag-danger">Overdue</span>
              ) : deadline.warnings.some((w) => w.warning === 'due-soon') ? (
                <span className="tag tag-warning">Due soon</span>
              ) : (
                <span className="muted">Open</span>
              )}
            </td>
            <td className="muted small">
              {deadline.warnings
                .map((w) => `${humanize(w.warning)} ${formatDate(w.at)}`)
                .join(', ') || '—'}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
