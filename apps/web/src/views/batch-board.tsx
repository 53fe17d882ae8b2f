import { useCallback, useEffect, useMemo, useState } from 'react';
import { useQuery, useSubscription } from 'urql';
import { StatusBadge } from '../components/badges.tsx';
import { PageHeader } from '../components/page-header.tsx';
import { Empty, ErrorState, Loading } from '../components/states.tsx';
import {
  BatchChanged,
  BoardColumnQuery,
  FacetsQuery,
  type BatchCard,
  type BatchFilterInput,
} from '../lib/api.ts';
import { useConcord, useOrganizationName } from '../lib/concord-context.tsx';
import { BOARD_COLUMNS, formatAge, STATUS_LABELS } from '../lib/format.ts';
import { href, Link, navigate, useRoute } from '../lib/router.tsx';

const FILTERS = ['product', 'partner', 'site'] as const;

export function BatchBoard() {
  const route = useRoute();
  const { session } = useConcord();
  const filter: BatchFilterInput = useMemo(() => {
    const chosen: BatchFilterInput = {};
    const product = route.query.get('product');
    const partner = route.query.get('partner');
    const site = route.query.get('site');
    if (product) chosen.productId = product;
    if (partner) chosen.partnerId = partner;
    if (site) chosen.site = site;
    return chosen;
  }, [route.query]);
  const filtered = Object.keys(filter).length > 0;

  // The filter choices come from everything the organization may see, whatever is filtered.
  const [{ data: facets, error, fetching }, refetchFacets] = useQuery({ query: FacetsQuery });
  const [version, setVersion] = useState(0);
  const [recent, setRecent] = useState<{ batchId: string; text: string; at: number }[]>([]);
  const onChange = useCallback(
    (_previous: unknown, event: { batchChanged: BatchCard | null }) => {
      const batch = event.batchChanged;
      if (batch)
        setRecent((list) =>
          [
            {
              batchId: batch.batchId,
              text: `${batch.batchNumber} is now ${STATUS_LABELS[batch.status].toLowerCase()}`,
              at: Date.now(),
            },
            ...list.filter((item) => item.batchId !== batch.batchId),
          ].slice(0, 4),
        );
      setVersion((value) => value + 1);
      refetchFacets({ requestPolicy: 'network-only' });
      return event;
    },
    [refetchFacets],
  );
  useSubscription({ query: BatchChanged }, onChange);
  // Highlights fade after a while.
  useEffect(() => {
    if (recent.length === 0) return;
    const timer = setTimeout(
      () => setRecent((list) => list.filter((item) => Date.now() - item.at < 20_000)),
      5_000,
    );
    return () => clearTimeout(timer);
  }, [recent]);

  const options = useMemo(() => {
    const products = new Map<string, string>();
    const sites = new Set<string>();
    const partners = new Map<string, string>();
    for (const { node } of facets?.batches.edges ?? []) {
      products.set(node.productId, node.productName ?? node.productId);
      sites.add(node.site);
    }
    for (const partner of facets?.partners ?? [])
      partners.set(partner.organizationId, partner.name);
    return {
      product: [...products].sort((a, b) => a[1].localeCompare(b[1])),
      partner: [...partners].sort((a, b) => a[1].localeCompare(b[1])),
      site: [...sites].sort().map((site) => [site, site] as [string, string]),
    };
  }, [facets]);

  const setFilter = (name: (typeof FILTERS)[number], value: string) => {
    const query = new URLSearchParams(route.query);
    if (value) query.set(name, value);
    else query.delete(name);
    const search = query.toString();
    navigate(`#/board${search ? `?${search}` : ''}`, { replace: true });
  };

  const total = facets?.batches.totalCount ?? 0;
  const changed = new Set(recent.map((item) => item.batchId));
  const partnerLabel = session.organizationKind === 'sponsor' ? 'CDMO' : 'Sponsor';

  return (
    <div className="page">
      <PageHeader
        title="Batch board"
        subtitle={
          facets
            ? `${total} batch${total === 1 ? '' : 'es'} shared with ${session.organizationName}, by lifecycle stage${filtered ? ' (filtered)' : ''}`
            : 'Every batch you are party to, by lifecycle stage'
        }
      />
      <div className="toolbar" role="group" aria-label="Filter batches">
        {FILTERS.map((name) => (
          <div className="field field-inline" key={name}>
            <label htmlFor={`filter-${name}`}>
              {name === 'partner' ? partnerLabel : name === 'product' ? 'Product' : 'Site'}
            </label>
            <select
              id={`filter-${name}`}
              value={route.query.get(name) ?? ''}
              onChange={(event) => setFilter(name, event.target.value)}
            >
              <option value="">All</option>
              {options[name].map(([value, label]) => (
                <option key={value} value={value}>
                  {label}
                </option>
              ))}
            </select>
          </div>
        ))}
        {filtered ? (
          <button
            type="button"
            className="button button-small"
            onClick={() => navigate('#/board', { replace: true })}
          >
            Clear filters
          </button>
        ) : null}
        <div className="toolbar-spacer" />
        <ul className="recent-changes" aria-live="polite" aria-label="Recent changes">
          {recent.slice(0, 2).map((item) => (
            <li key={item.batchId + item.at}>
              <span className="live-dot" aria-hidden="true" /> {item.text}
            </li>
          ))}
        </ul>
      </div>
      {error ? <ErrorState title="The batches could not be loaded" error={error} /> : null}
      {!facets && fetching ? <Loading what="batches" /> : null}
      {facets && total === 0 ? (
        <Empty title="No batches yet">
          Batches appear here as soon as a partner schedules one under your quality agreement.
        </Empty>
      ) : null}
      {facets && total > 0 ? (
        <div className="board">
          {BOARD_COLUMNS.map((column) => (
            <BoardColumn
              key={column.key}
              column={column}
              filter={filter}
              version={version}
              changed={changed}
            />
          ))}
        </div>
      ) : null}
    </div>
  );
}

function BoardColumn({
  column,
  filter,
  version,
  changed,
}: {
  column: (typeof BOARD_COLUMNS)[number];
  filter: BatchFilterInput;
  version: number;
  changed: ReadonlySet<string>;
}) {
  const { session } = useConcord();
  const nameOf = useOrganizationName();
  const variables = useMemo(
    () => ({ filter: { ...filter, status: column.statuses } }),
    [filter, column],
  );
  const [{ data, error }, refetch] = useQuery({ query: BoardColumnQuery, variables });
  useEffect(() => {
    if (version > 0) refetch({ requestPolicy: 'network-only' });
  }, [version, refetch]);
  const cards = data?.batches.edges.map((edge) => edge.node) ?? [];
  const total = data?.batches.totalCount ?? 0;
  return (
    <section
      className="board-column"
      aria-labelledby={`col-${column.key}`}
      data-column={column.key}
    >
      <h2 id={`col-${column.key}`}>
        {column.title}
        <span className="count">{data ? total : '…'}</span>
      </h2>
      {error ? (
        <p className="column-error" role="alert">
          Could not load: {error.message}
        </p>
      ) : null}
      {data && cards.length === 0 ? <p className="column-empty">No batches</p> : null}
      <ul>
        {cards.map((batch) => (
          <li key={batch.batchId}>
            <BatchCardView
              batch={batch}
              changed={changed.has(batch.batchId)}
              partner={nameOf(
                session.organizationId === batch.sponsorId ? batch.cdmoId : batch.sponsorId,
              )}
            />
          </li>
        ))}
      </ul>
      {total > cards.length ? (
        <p className="column-more">
          {total - cards.length} older batch{total - cards.length === 1 ? '' : 'es'} not shown
        </p>
      ) : null}
    </section>
  );
}

function BatchCardView({
  batch,
  changed,
  partner,
}: {
  batch: BatchCard;
  changed: boolean;
  partner: string;
}) {
  const hard = batch.blockers.filter((blocker) => blocker.blocksRelease);
  const finished = batch.status === 'QP_CERTIFIED' || batch.status === 'SHIPPED';
  return (
    <Link
      to={href('batches', batch.batchId)}
      className={`card batch-card${changed ? ' changed' : ''}`}
      data-batch-id={batch.batchId}
      data-status={batch.status}
    >
      <span className="batch-number">{batch.batchNumber}</span>
      <span>
        <StatusBadge status={batch.status} />
      </span>
      <span className="batch-product">{batch.productName ?? batch.productId}</span>
      <span className="batch-meta">{partner}</span>
      <span className="batch-card-bottom">
        {hard.length > 0 ? (
          <span className="flag flag-danger">
            {hard.length} blocker{hard.length === 1 ? '' : 's'}
          </span>
        ) : finished ? (
          <span className="flag flag-success">Released</span>
        ) : batch.releaseReady ? (
          <span className="flag flag-success">Release ready</span>
        ) : (
          <span className="flag">On track</span>
        )}
        <span className="batch-age" title={batch.lastChangedAt}>
          {formatAge(batch.lastChangedAt)}
        </span>
      </span>
    </Link>
  );
}
