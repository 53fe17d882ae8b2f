import { useCallback } from 'react';
import { useQuery, useSubscription } from 'urql';
import { SeverityBadge, StatusBadge } from '../components/badges.tsx';
import { Metric, PageHeader } from '../components/page-header.tsx';
import { Empty, ErrorState, Loading } from '../components/states.tsx';
import { ReadinessChanged, ReadinessQuery, type Blocker, type ReadinessBatch } from '../lib/api.ts';
import { useConcord, useOrganizationName } from '../lib/concord-context.tsx';
import { BLOCKER_LABELS, formatAge } from '../lib/format.ts';
import { href, Link } from '../lib/router.tsx';

/** Where a blocker's cause lives: the deviation, the QC result, or the batch's next step. */
export function blockerLink(batchId: string, blocker: Blocker): string {
  if (blocker.deviation) return href('deviations', blocker.deviation.deviationId);
  if (blocker.kind === 'OPEN_OOS' || blocker.kind === 'CONFIRMED_OOS')
    return `${href('batches', batchId)}?section=qc`;
  return `${href('batches', batchId)}?section=release`;
}

export function ReadinessView() {
  const [{ data, fetching, error }, refetch] = useQuery({ query: ReadinessQuery });
  const onChange = useCallback(
    (_: unknown, event: { readinessChanged: { batchId: string } | null }) => {
      refetch({ requestPolicy: 'network-only' });
      return event;
    },
    [refetch],
  );
  useSubscription({ query: ReadinessChanged }, onChange);

  const batches = data?.releaseReadiness.edges.map((edge) => edge.node) ?? [];
  const blocked = batches.filter((batch) => batch.blockers.some((b) => b.blocksRelease));
  const ready = batches.filter((batch) => !blocked.includes(batch) && batch.releaseReady);
  const underway = batches.filter((batch) => !blocked.includes(batch) && !batch.releaseReady);

  return (
    <div className="page">
      <PageHeader
        title="Release readiness"
        subtitle="Review by exception: what stands between each open batch and its release"
      />
      {error ? <ErrorState title="Release readiness could not be loaded" error={error} /> : null}
      {!data && fetching ? <Loading what="release readiness" /> : null}
      {data ? (
        <>
          <div className="metrics">
            <Metric
              label="Blocked"
              value={blocked.length}
              tone={blocked.length ? 'danger' : undefined}
              hint="open deviation or OOS"
            />
            <Metric
              label="Ready for release decision"
              value={ready.length}
              tone="success"
              hint="only the final acts remain"
            />
            <Metric label="In progress" value={underway.length} hint="manufacture, review or QC" />
          </div>
          {batches.length === 0 ? (
            <Empty title="Nothing waits for release">
              Every batch you are party to is released, certified or shipped.
            </Empty>
          ) : null}
          <ReadinessSection title="Blocked" batches={blocked} tone="danger" />
          <ReadinessSection title="Ready for release decision" batches={ready} tone="success" />
          <ReadinessSection title="In progress" batches={underway} />
        </>
      ) : null}
    </div>
  );
}

function ReadinessSection({
  title,
  batches,
  tone,
}: {
  title: string;
  batches: ReadinessBatch[];
  tone?: 'danger' | 'success';
}) {
  const { session } = useConcord();
  const nameOf = useOrganizationName();
  if (batches.length === 0) return null;
  return (
    <section className="section" aria-label={title}>
      <h2 className={`section-title${tone ? ` tone-${tone}` : ''}`}>
        {title} <span className="count">{batches.length}</span>
      </h2>
      <div className="table-wrap">
        <table className="table readiness-table">
          <thead>
            <tr>
              <th scope="col">Batch</th>
              <th scope="col">Status</th>
              <th scope="col">{session.organizationKind === 'sponsor' ? 'CDMO' : 'Sponsor'}</th>
              <th scope="col">What blocks the release</th>
              <th scope="col">Changed</th>
            </tr>
          </thead>
          <tbody>
            {batches.map((batch) => (
              <tr key={batch.batchId} data-batch-id={batch.batchId}>
                <td>
                  <Link to={href('batches', batch.batchId)} className="strong-link">
                    {batch.batchNumber}
                  </Link>
                  <div className="muted small">{batch.productName ?? batch.productId}</div>
                </td>
                <td>
                  <StatusBadge status={batch.status} />
                </td>
                <td>
                  {nameOf(
                    session.organizationId === batch.sponsorId ? batch.cdmoId : batch.sponsorId,
                  )}
                </td>
                <td>
                  <ul className="blockers">
                    {batch.blockers.map((blocker, index) => (
                      <li
                        key={`${blocker.kind}-${blocker.reference ?? index}`}
                        className={blocker.blocksRelease ? 'blocker hard' : 'blocker'}
                      >
                        <Link to={blockerLink(batch.batchId, blocker)}>
                          <span className="blocker-kind">{BLOCKER_LABELS[blocker.kind]}</span>
                          <span className="blocker-text">{blocker.description}</span>
                        </Link>
                        {blocker.severity ? <SeverityBadge severity={blocker.severity} /> : null}
                      </li>
                    ))}
                  </ul>
                </td>
                <td className="nowrap muted">{formatAge(batch.lastChangedAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}
