import { useCallback } from 'react';
import { useQuery, useSubscription } from 'urql';
import { Metric, PageHeader } from '../components/page-header.tsx';
import { Empty, ErrorState, Loading } from '../components/states.tsx';
import { BatchChanged, QpRegisterQuery, type QpRegisterRow } from '../lib/api.ts';
import { downloadWithToken } from '../lib/audit-report.ts';
import { useConcord, useOrganizationName } from '../lib/concord-context.tsx';
import { formatDateTime } from '../lib/format.ts';
import { useDownload } from '../lib/use-download.ts';
import { href, Link, navigate, useRoute } from '../lib/router.tsx';

type Format = 'csv' | 'json';

/**
 * The QP register (EU GMP Annex 16): every certification of the organization's partnerships,
 * narrowed to one Qualified Person or one product, and downloaded as CSV or JSON with the same
 * selection (the server decides what the organization may see, here as in the download).
 */
export function QpRegisterView() {
  const route = useRoute();
  const { session } = useConcord();
  const nameOf = useOrganizationName();
  const qualifiedPerson = route.query.get('qp');
  const productId = route.query.get('product');
  const filter = {
    ...(qualifiedPerson ? { qualifiedPerson } : {}),
    ...(productId ? { productId } : {}),
  };
  const [{ data, fetching, error }, refetch] = useQuery({
    query: QpRegisterQuery,
    variables: { filter },
  });
  // Who and what can be chosen: the whole register, whatever is chosen now.
  const [{ data: everything }, refetchEverything] = useQuery({
    query: QpRegisterQuery,
    variables: { filter: {} },
  });
  const onChange = useCallback(
    (_: unknown, event: { batchChanged: { status: string } | null }) => {
      // A certification is the one change that adds an entry.
      if (event.batchChanged?.status === 'QP_CERTIFIED') {
        refetch({ requestPolicy: 'network-only' });
        refetchEverything({ requestPolicy: 'network-only' });
      }
      return event;
    },
    [refetch, refetchEverything],
  );
  useSubscription({ query: BatchChanged }, onChange);

  const { downloading, downloaded, error: downloadError, start } = useDownload<Format>();
  const download = (format: Format) => {
    const params = new URLSearchParams({ format });
    if (qualifiedPerson) params.set('qualifiedPerson', qualifiedPerson);
    if (productId) params.set('productId', productId);
    return start(format, () =>
      downloadWithToken(session.token, `/registers/qp?${params.toString()}`, {
        what: 'the register',
        notFound: 'This server offers no QP register.',
        fallbackName: `qp-register.${format}`,
      }),
    );
  };

  const go = (changes: Record<string, string | null>) => {
    const query = new URLSearchParams(route.query);
    for (const [key, value] of Object.entries(changes)) {
      if (value) query.set(key, value);
      else query.delete(key);
    }
    navigate(`#/register?${query.toString()}`, { replace: true });
  };

  const all = everything?.qpRegister.edges.map((edge) => edge.node) ?? [];
  const people = unique(
    all.flatMap((row) => (row.qualifiedPerson ? [row.qualifiedPerson] : [])),
    (person) => person.personId,
  );
  const products = unique(
    all.map((row) => ({ productId: row.productId, name: row.productName ?? row.productId })),
    (product) => product.productId,
  );
  const rows = data?.qpRegister.edges.map((edge) => edge.node) ?? [];
  const partnerOf = (row: QpRegisterRow) =>
    session.organizationKind === 'sponsor' ? row.cdmo?.organizationId : row.sponsor?.organizationId;

  return (
    <div className="page">
      <PageHeader
        title="QP register"
        subtitle="Every batch certified by a Qualified Person in your partnerships (EU GMP Annex 16), newest first"
        actions={
          <div className="actions">
            <button
              type="button"
              className="button button-primary"
              disabled={downloading !== null}
              onClick={() => void download('csv')}
            >
              {downloading === 'csv' ? 'Preparing…' : 'Download CSV'}
            </button>
            <button
              type="button"
              className="button"
              disabled={downloading !== null}
              onClick={() => void download('json')}
            >
              {downloading === 'json' ? 'Preparing…' : 'Download JSON'}
            </button>
          </div>
        }
      />
      <div className="toolbar">
        <div className="field">
          <label htmlFor="qp-register-person">Qualified Person</label>
          <select
            id="qp-register-person"
            value={qualifiedPerson ?? ''}
            onChange={(event) => go({ qp: event.target.value || null })}
          >
            <option value="">All</option>
            {people.map((person) => (
              <option key={person.personId} value={person.personId}>
                {person.printedName}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="qp-register-product">Product</label>
          <select
            id="qp-register-product"
            value={productId ?? ''}
            onChange={(event) => go({ product: event.target.value || null })}
          >
            <option value="">All</option>
            {products.map((product) => (
              <option key={product.productId} value={product.productId}>
                {product.name}
              </option>
            ))}
          </select>
        </div>
      </div>
      {downloaded ? (
        <p className="notice notice-success" role="status">
          Downloaded {downloaded}.
        </p>
      ) : null}
      {downloadError ? (
        <ErrorState title="The register could not be downloaded" error={downloadError} />
      ) : null}
      {error ? <ErrorState title="The register could not be loaded" error={error} /> : null}
      {!data && fetching ? <Loading what="the QP register" /> : null}
      {data ? (
        <>
          <div className="metrics">
            <Metric label="Certifications" value={data.qpRegister.totalCount} />
            <Metric label="Qualified Persons" value={people.length} hint="in the whole register" />
            <Metric label="Products" value={products.length} hint="in the whole register" />
          </div>
          {rows.length === 0 ? (
            <Empty title="No certification here yet">
              Batches appear once a Qualified Person has certified them.
            </Empty>
          ) : (
            <table className="table qp-register">
              <thead>
                <tr>
                  <th scope="col">Register entry</th>
                  <th scope="col">Certified</th>
                  <th scope="col">Qualified Person</th>
                  <th scope="col">Batch</th>
                  <th scope="col">Product</th>
                  <th scope="col">Site</th>
                  <th scope="col">Partner</th>
                </tr>
              </thead>
              <tbody>
                {rows.map((row) => (
                  <tr key={row.batchId} data-batch-id={row.batchId}>
                    <td>{row.registerEntryId}</td>
                    <td>{formatDateTime(row.certifiedAt)}</td>
                    <td>{row.qualifiedPerson?.printedName ?? '—'}</td>
                    <td>
                      <Link to={href('batches', row.batchId)}>{row.batchNumber}</Link>
                    </td>
                    <td>{row.productName ?? row.productId}</td>
                    <td>{row.site}</td>
                    <td>{nameOf(partnerOf(row) ?? '')}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </>
      ) : null}
    </div>
  );
}

function unique<T>(items: readonly T[], keyOf: (item: T) => string): T[] {
  const seen = new Map<string, T>();
  for (const item of items) if (!seen.has(keyOf(item))) seen.set(keyOf(item), item);
  return [...seen.values()];
}
