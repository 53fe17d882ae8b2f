import { useMemo } from 'react';
import {
  Bar,
  BarChart,
  CartesianGrid,
  Legend,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from 'recharts';
import { useQuery } from 'urql';
import { Metric, PageHeader } from '../components/page-header.tsx';
import { Empty, ErrorState, Loading } from '../components/states.tsx';
import { DeviationHistoryQuery, FacetsQuery, SummaryQuery } from '../lib/api.ts';
import { useConcord, useOrganizationName } from '../lib/concord-context.tsx';
import { formatHours, humanize, STAGE_LABELS } from '../lib/format.ts';

const COLOURS = { primary: '#2457a6', critical: '#c0292b', major: '#c77700', minor: '#6b7a90' };
const AXIS = { fontSize: 12, fill: '#3d4a5c' };

export function TrendsView() {
  const { session } = useConcord();
  const nameOf = useOrganizationName();
  const [{ data, fetching, error }] = useQuery({
    query: SummaryQuery,
    requestPolicy: 'cache-and-network',
  });
  const [{ data: history }] = useQuery({ query: DeviationHistoryQuery });
  const [{ data: board }] = useQuery({ query: FacetsQuery });

  const productNames = useMemo(() => {
    const names = new Map<string, string>();
    for (const { node } of board?.batches.edges ?? [])
      names.set(node.productId, node.productName ?? node.productId);
    return names;
  }, [board]);

  const cycleTimes = (data?.summary.cycleTimes ?? [])
    .filter((row) => row.stage !== 'end-to-end' && row.averageHours !== null)
    .map((row) => ({
      stage: STAGE_LABELS[row.stage] ?? humanize(row.stage),
      days: Number(((row.averageHours ?? 0) / 24).toFixed(1)),
      batches: row.batches,
    }));
  const endToEnd = data?.summary.cycleTimes.find((row) => row.stage === 'end-to-end');
  const rates = (data?.summary.deviationRates ?? []).map((row) => ({
    product: shortProduct(productNames.get(row.productId) ?? row.productId),
    rate: Number(row.rate.toFixed(2)),
    deviations: row.deviations,
    batches: row.batches,
  }));

  const partnerKey = session.organizationKind === 'sponsor' ? 'cdmoId' : 'sponsorId';
  const perPartner = useMemo(() => {
    const batches = new Map<string, number>();
    for (const { node } of board?.batches.edges ?? []) {
      const partner = node[partnerKey];
      batches.set(partner, (batches.get(partner) ?? 0) + 1);
    }
    const deviations = new Map<string, number>();
    for (const { node } of history?.deviations.edges ?? []) {
      deviations.set(node[partnerKey], (deviations.get(node[partnerKey]) ?? 0) + 1);
    }
    return [...batches].map(([partner, count]) => ({
      partner: nameOf(partner),
      rate: Number(((deviations.get(partner) ?? 0) / count).toFixed(2)),
    }));
  }, [board, history, partnerKey, nameOf]);

  const perMonth = useMemo(() => {
    const months = new Map<
      string,
      { month: string; CRITICAL: number; MAJOR: number; MINOR: number }
    >();
    for (const { node } of history?.deviations.edges ?? []) {
      const month = node.detectedAt.slice(0, 7);
      const row = months.get(month) ?? { month, CRITICAL: 0, MAJOR: 0, MINOR: 0 };
      row[node.severity] += 1;
      months.set(month, row);
    }
    return [...months.values()]
      .sort((a, b) => a.month.localeCompare(b.month))
      .map((row) => ({ ...row, month: monthLabel(row.month) }));
  }, [history]);

  return (
    <div className="page">
      <PageHeader
        title="Trends"
        subtitle={`Cycle times and deviation rates over everything ${session.organizationName} is party to`}
      />
      {error ? <ErrorState title="The figures could not be loaded" error={error} /> : null}
      {!data && fetching ? <Loading what="the figures" /> : null}
      {data ? (
        <>
          <div className="metrics">
            <Metric
              label="End-to-end cycle time"
              value={formatHours(endToEnd?.averageHours)}
              hint={
                endToEnd
                  ? `over ${endToEnd.batches} shipped batch${endToEnd.batches === 1 ? '' : 'es'}`
                  : 'no batch shipped yet'
              }
            />
            <Metric label="Release ready" value={data.summary.releaseReady} tone="success" />
            <Metric
              label="Batches with open steps"
              value={data.summary.blocked}
              hint="blockers or steps still to come"
            />
            <Metric
              label="Open deviations"
              value={data.summary.openDeviations}
              tone={data.summary.openDeviations ? 'warning' : undefined}
            />
            <Metric
              label="Late notifications"
              value={data.summary.lateNotifications}
              tone={data.summary.lateNotifications ? 'danger' : undefined}
            />
          </div>
          <div className="chart-grid">
            <ChartPanel
              title="Cycle time per stage"
              caption="Average days a batch spends in each stage"
              empty={cycleTimes.length === 0}
            >
              <BarChart data={cycleTimes} layout="vertical" margin={{ left: 16, right: 24 }}>
                <CartesianGrid strokeDasharray="3 3" horizontal={false} />
                <XAxis type="number" tick={AXIS} unit=" d" allowDecimals />
                <YAxis type="category" dataKey="stage" tick={AXIS} width={110} />
                <Tooltip formatter={(value) => [`${String(value)} days`, 'Average']} />
                <Bar
                  dataKey="days"
                  name="Average days"
                  fill={COLOURS.primary}
                  radius={[0, 4, 4, 0]}
                />
              </BarChart>
            </ChartPanel>
            <ChartPanel
              title="Deviations per month"
              caption="By month of detection and severity"
              empty={perMonth.length === 0}
            >
              <BarChart data={perMonth} margin={{ right: 16 }}>
                <CartesianGrid strokeDasharray="3 3" vertical={false} />
                <XAxis dataKey="month" tick={AXIS} />
                <YAxis allowDecimals={false} tick={AXIS} width={32} />
                <Tooltip />
                <Legend />
                <Bar dataKey="CRITICAL" name="Critical" stackId="s" fill={COLOURS.critical} />
                <Bar dataKey="MAJOR" name="Major" stackId="s" fill={COLOURS.major} />
                <Bar
                  dataKey="MINOR"
                  name="Minor"
                  stackId="s"
                  fill={COLOURS.minor}
                  maxBarSize={72}
                />
              </BarChart>
            </ChartPanel>
            <ChartPanel
              title="Deviation rate per product"
              caption="Linked deviations per batch"
              empty={rates.length === 0}
            >
              <BarChart data={rates} margin={{ right: 16 }}>
                <CartesianGrid strokeDasharray="3 3" vertical={false} />
                <XAxis dataKey="product" tick={AXIS} />
                <YAxis tick={AXIS} width={48} tickFormatter={(value: number) => value.toFixed(2)} />
                <Tooltip formatter={(value) => [String(value), 'Deviations per batch']} />
                <Bar
                  dataKey="rate"
                  name="Deviations per batch"
                  fill={COLOURS.primary}
                  radius={[4, 4, 0, 0]}
                  maxBarSize={64}
                />
              </BarChart>
            </ChartPanel>
            <ChartPanel
              title={`Deviation rate per ${session.organizationKind === 'sponsor' ? 'CDMO' : 'sponsor'}`}
              caption="Deviations per batch, by partner"
              empty={perPartner.length === 0}
            >
              <BarChart data={perPartner} margin={{ right: 16 }}>
                <CartesianGrid strokeDasharray="3 3" vertical={false} />
                <XAxis dataKey="partner" tick={AXIS} />
                <YAxis tick={AXIS} width={48} tickFormatter={(value: number) => value.toFixed(2)} />
                <Tooltip formatter={(value) => [String(value), 'Deviations per batch']} />
                <Bar
                  dataKey="rate"
                  name="Deviations per batch"
                  fill="#3b7f8c"
                  radius={[4, 4, 0, 0]}
                  maxBarSize={64}
                />
              </BarChart>
            </ChartPanel>
          </div>
        </>
      ) : null}
    </div>
  );
}

function ChartPanel({
  title,
  caption,
  empty,
  emptyText = 'Figures appear once batches have gone through this stage.',
  children,
}: {
  title: string;
  caption: string;
  empty: boolean;
  emptyText?: string;
  children: React.ReactElement;
}) {
  return (
    <figure className="panel chart-panel">
      <figcaption>
        <h2>{title}</h2>
        <p className="muted small">{caption}</p>
      </figcaption>
      {empty ? (
        <Empty title="No data yet">{emptyText}</Empty>
      ) : (
        <div className="chart">
          <ResponsiveContainer width="100%" height={260}>
            {children}
          </ResponsiveContainer>
        </div>
      )}
    </figure>
  );
}

/** "Velarimab 150 mg/mL solution for injection (HLV-201)" → "HLV-201". */
function shortProduct(name: string): string {
  return /\(([^)]+)\)\s*$/.exec(name)?.[1] ?? name;
}

function monthLabel(month: string): string {
  return new Date(`${month}-01T00:00:00Z`).toLocaleDateString('en-GB', {
    month: 'short',
    year: 'numeric',
    timeZone: 'UTC',
  });
}
