import { useCallback } from 'react';
import { useQuery, useSubscription } from 'urql';
import { DeviationStatusBadge, SeverityBadge } from '../components/badges.tsx';
import { DeadlineAlerts, DeadlineBadge } from '../components/deadlines.tsx';
import { Metric, PageHeader } from '../components/page-header.tsx';
import { Empty, ErrorState, Loading } from '../components/states.tsx';
import { DeviationChanged, DeviationsQuery, type Deviation, type Severity } from '../lib/api.ts';
import { useConcord, useOrganizationName } from '../lib/concord-context.tsx';
import { formatDate, formatLateness, humanize, SEVERITY_ORDER } from '../lib/format.ts';
import { href, Link, navigate, useRoute } from '../lib/router.tsx';

const TABS = [
  { key: 'open', label: 'Open' },
  { key: 'closed', label: 'Closed' },
  { key: 'all', label: 'All' },
] as const;

export function DeviationsView() {
  const route = useRoute();
  const { session } = useConcord();
  const nameOf = useOrganizationName();
  const tab = route.query.get('show') ?? 'open';
  const severity = route.query.get('severity') as Severity | null;
  const open = tab === 'open' ? true : tab === 'closed' ? false : null;
  const [{ data, fetching, error }, refetch] = useQuery({
    query: DeviationsQuery,
    variables: { open },
  });
  const onChange = useCallback(
    (_: unknown, event: { deviationChanged: { deviationId: string } | null }) => {
      refetch({ requestPolicy: 'network-only' });
      return event;
    },
    [refetch],
  );
  useSubscription({ query: DeviationChanged }, onChange);

  const go = (changes: Record<string, string | null>) => {
    const query = new URLSearchParams(route.query);
    for (const [key, value] of Object.entries(changes)) {
      if (value) query.set(key, value);
      else query.delete(key);
    }
    navigate(`#/deviations?${query.toString()}`, { replace: true });
  };

  const all = data?.deviations.edges.map((edge) => edge.node) ?? [];
  const rows = all
    .filter((deviation) => !severity || deviation.severity === severity)
    .sort(
      (a, b) =>
        SEVERITY_ORDER.indexOf(a.severity) - SEVERITY_ORDER.indexOf(b.severity) ||
        b.ageDays - a.ageDays,
    );
  const late = all.filter((deviation) => deviation.notifiedLate).length;
  const awaitingSponsor = all.filter(
    (d) =>
      d.open &&
      (d.status === 'CAPA_PROPOSED' || (d.status === 'CAPA_APPROVED' && d.severity !== 'MINOR')),
  ).length;
  const partnerKey = session.organizationKind === 'sponsor' ? 'cdmoId' : 'sponsorId';

  return (
    <div className="page">
      <PageHeader
        title="Deviations"
        subtitle="Open and closed deviations by severity and age, with their CAPA and notification"
      />
      <div className="toolbar">
        <div className="tabs" role="tablist" aria-label="Which deviations">
          {TABS.map((item) => (
            <button
              key={item.key}
              type="button"
              role="tab"
              aria-selected={tab === item.key}
              className={tab === item.key ? 'tab active' : 'tab'}
              onClick={() => go({ show: item.key })}
            >
              {item.label}
            </button>
          ))}
        </div>
        <div className="chips" role="group" aria-label="Severity">
          {(['all', ...SEVERITY_ORDER] as const).map((value) => {
            const active = value === 'all' ? !severity : severity === value;
            return (
              <button
                key={value}
                type="button"
                className={active ? 'chip active' : 'chip'}
                aria-pressed={active}
                onClick={() => go({ severity: value === 'all' ? null : value })}
              >
                {value === 'all' ? 'All severities' : humanize(value)}
              </button>
            );
          })}
        </div>
      </div>
      <DeadlineAlerts />
      {error ? <ErrorState title="The deviations could not be loaded" error={error} /> : null}
      {!data && fetching ? <Loading what="deviations" /> : null}
      {data ? (
        <>
          <div className="metrics">
            {SEVERITY_ORDER.map((level) => {
              const count = all.filter((deviation) => deviation.severity === level).length;
              return (
                <Metric
                  key={level}
                  label={`${humanize(level)}`}
                  value={count}
                  tone={
                    count > 0 && level === 'CRITICAL'
                      ? 'danger'
                      : count > 0 && level === 'MAJOR'
                        ? 'warning'
                        : undefined
                  }
                  hint={tab === 'all' ? 'open and closed' : tab}
                />
              );
            })}
            <Metric
              label="Notified late"
              value={late}
              tone={late ? 'danger' : undefined}
              hint="after the agreement's deadline"
            />
            {tab !== 'closed' ? (
              <Metric
                label="Awaiting sponsor approval"
                value={awaitingSponsor}
                hint="CAPA or closure"
              />
            ) : null}
          </div>
          {data.deviations.totalCount > all.length ? (
            <p className="list-note">
              Showing the {all.length} most recently detected of {data.deviations.totalCount}{' '}
              deviations.
            </p>
          ) : null}
          {rows.length === 0 ? (
            <Empty
              title={`No ${tab === 'all' ? '' : `${tab} `}deviations${severity ? ` of ${humanize(severity).toLowerCase()} severity` : ''}`}
            >
              {tab === 'open'
                ? 'Nothing is under investigation right now.'
                : 'Try another tab or severity.'}
            </Empty>
          ) : (
            <div className="table-wrap">
              <table className="table">
                <thead>
                  <tr>
                    <th scope="col">Deviation</th>
                    <th scope="col">Severity</th>
                    <th scope="col">Status</th>
                    <th scope="col">Age</th>
                    <th scope="col">Notification</th>
                    <th scope="col">Due dates</th>
                    <th scope="col">CAPA</th>
                    <th scope="col">Batches</th>
                    <th scope="col">
                      {session.organizationKind === 'sponsor' ? 'CDMO' : 'Sponsor'}
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {rows.map((deviation) => (
                    <DeviationRow
                      key={deviation.deviationId}
                      deviation={deviation}
                      partner={nameOf(deviation[partnerKey])}
                    />
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </>
      ) : null}
    </div>
  );
}

function DeviationRow({ deviation, partner }: { deviation: Deviation; partner: string }) {
  return (
    <tr
      className={deviation.notifiedLate ? 'row-late' : undefined}
      data-deviation-id={deviation.deviationId}
    >
      <td>
        <Link to={href('deviations', deviation.deviationId)} className="strong-link">
          {deviation.deviationId}
        </Link>
        <div className="muted small">{deviation.title}</div>
      </td>
      <td>
        <SeverityBadge severity={deviation.severity} />
      </td>
      <td>
        <DeviationStatusBadge status={deviation.status} />
      </td>
      <td className="nowrap">
        {Math.floor(deviation.ageDays)} d
        <div className="muted small">since {formatDate(deviation.detectedAt)}</div>
      </td>
      <td className="nowrap">
        {deviation.notifiedLate ? (
          <span className="tag tag-danger">Late · {formatLateness(deviation.lateByMinutes)}</span>
        ) : (
          <span className="muted">On time</span>
        )}
      </td>
      <td className="nowrap">
        <DeadlineBadge deviation={deviation} />
      </td>
      <td>{humanize(deviation.capaStatus)}</td>
      <td>
        {deviation.batchLinks.map((link) =>
          link.batch ? (
            <div key={link.batch.batchId}>
              <Link to={href('batches', link.batch.batchId)}>{link.batch.batchNumber}</Link>
            </div>
          ) : null,
        )}
      </td>
      <td>{partner}</td>
    </tr>
  );
}
