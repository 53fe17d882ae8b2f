import { useQuery } from 'urql';
import { StatusBadge } from '../components/badges.tsx';
import { PageHeader } from '../components/page-header.tsx';
import { ErrorState, Loading } from '../components/states.tsx';
import { AuditBatchesQuery } from '../lib/api.ts';
import { formatAge } from '../lib/format.ts';
import { href, Link } from '../lib/router.tsx';

/**
 * Audit: the report of a batch and its verification verdict. The API has no audit report
 * endpoint yet, so this view says so plainly and points to what exists: each batch's full
 * timeline (who, what, when, why, signatures, corrections).
 */
export function AuditView() {
  const [{ data, fetching, error }] = useQuery({ query: AuditBatchesQuery });
  const batches = data?.batches.edges.map((edge) => edge.node) ?? [];
  return (
    <div className="page">
      <PageHeader
        title="Audit"
        subtitle="Audit reports of batches and the verification of their recorded history"
      />
      <div className="state state-unavailable" role="status">
        <strong>Audit reports are not available on this server yet</strong>
        <p>
          This Concord server does not offer the audit report service (download and hash-chain
          verification verdict) yet. Until it does, each batch&apos;s complete audit trail — every
          event with who, what, when and why, e-signatures and corrections — is on its timeline.
        </p>
      </div>
      {error ? <ErrorState title="The batches could not be loaded" error={error} /> : null}
      {!data && fetching ? <Loading what="batches" /> : null}
      {batches.length > 0 ? (
        <section className="section" aria-label="Batch timelines">
          <h2 className="section-title">Batch timelines</h2>
          <div className="table-wrap">
            <table className="table">
              <thead>
                <tr>
                  <th scope="col">Batch</th>
                  <th scope="col">Status</th>
                  <th scope="col">Last changed</th>
                  <th scope="col">Audit trail</th>
                </tr>
              </thead>
              <tbody>
                {batches.map((batch) => (
                  <tr key={batch.batchId}>
                    <td>
                      <strong>{batch.batchNumber}</strong>
                      <div className="muted small">{batch.productName ?? batch.productId}</div>
                    </td>
                    <td>
                      <StatusBadge status={batch.status} />
                    </td>
                    <td className="muted">{formatAge(batch.lastChangedAt)}</td>
                    <td>
                      <Link to={`${href('batches', batch.batchId)}?section=timeline`}>
                        Open timeline
                      </Link>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </section>
      ) : null}
    </div>
  );
}
