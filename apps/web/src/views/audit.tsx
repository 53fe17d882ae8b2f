import { useId, useMemo, useState, type FormEvent } from 'react';
import { useQuery } from 'urql';
import { StatusBadge } from '../components/badges.tsx';
import { PageHeader } from '../components/page-header.tsx';
import { Empty, ErrorState, Loading } from '../components/states.tsx';
import {
  AuditAsOfQuery,
  AuditBatchesQuery,
  AuditVerificationQuery,
  type AuditTimeline,
  type AuditVerification,
} from '../lib/api.ts';
import { downloadAuditReport, type ReportAsOf, type ReportFormat } from '../lib/audit-report.ts';
import { useDownload } from '../lib/use-download.ts';
import { useConcord } from '../lib/concord-context.tsx';
import { formatAge, formatDateTime, humanize } from '../lib/format.ts';
import { href, Link } from '../lib/router.tsx';

/**
 * Audit: for one batch of the organization, the verification verdict of its recorded history
 * (hash chains recomputed, partner signatures checked, now), its status as of any instant on
 * either timeline, and the audit report to download as HTML or JSON.
 */
export function AuditView({ batchId }: { batchId?: string }) {
  return (
    <div className="page">
      <PageHeader
        title="Audit"
        subtitle="Verification of each batch's recorded history, its state at any instant, and the audit report"
      />
      <div className="audit-layout">
        <BatchPicker selected={batchId} />
        {batchId ? (
          <AuditBatch key={batchId} batchId={batchId} />
        ) : (
          <Empty title="Choose a batch">
            Pick one of your organization&apos;s batches to verify its record and download its audit
            report.
          </Empty>
        )}
      </div>
    </div>
  );
}

function BatchPicker({ selected }: { selected?: string }) {
  const [{ data, fetching, error }] = useQuery({ query: AuditBatchesQuery });
  const [search, setSearch] = useState('');
  const searchId = useId();
  const batches = useMemo(() => data?.batches.edges.map((edge) => edge.node) ?? [], [data]);
  const shown = useMemo(() => {
    const needle = search.trim().toLowerCase();
    if (!needle) return batches;
    return batches.filter((batch) =>
      [batch.batchNumber, batch.batchId, batch.productName ?? '', batch.productId].some((value) =>
        value.toLowerCase().includes(needle),
      ),
    );
  }, [batches, search]);

  return (
    <section className="panel audit-picker" aria-labelledby="audit-batches-title">
      <h2 id="audit-batches-title">
        Batches <span className="count">{data ? data.batches.totalCount : ''}</span>
      </h2>
      <div className="field">
        <label htmlFor={searchId}>Find a batch</label>
        <input
          id={searchId}
          type="search"
          value={search}
          placeholder="Batch number or product"
          onChange={(event) => setSearch(event.target.value)}
        />
      </div>
      {error ? <ErrorState title="The batches could not be loaded" error={error} /> : null}
      {!data && fetching ? <Loading what="batches" /> : null}
      {data && batches.length === 0 ? (
        <p className="muted">Your organization is not party to any batch yet.</p>
      ) : null}
      {batches.length > 0 && shown.length === 0 ? (
        <p className="muted" role="status">
          No batch matches “{search}”.
        </p>
      ) : null}
      {shown.length > 0 ? (
        <ul className="audit-batch-list" aria-label="Batches to audit">
          {shown.map((batch) => (
            <li key={batch.batchId}>
              <Link
                to={href('audit', batch.batchId)}
                className={
                  batch.batchId === selected ? 'audit-batch-link active' : 'audit-batch-link'
                }
                aria-current={batch.batchId === selected ? 'page' : undefined}
                data-batch-id={batch.batchId}
              >
                <span className="audit-batch-number">{batch.batchNumber}</span>
                <StatusBadge status={batch.status} />
                <span className="muted small audit-batch-meta">
                  {batch.productName ?? batch.productId} · changed {formatAge(batch.lastChangedAt)}
                </span>
              </Link>
            </li>
          ))}
        </ul>
      ) : null}
    </section>
  );
}

function AuditBatch({ batchId }: { batchId: string }) {
  const [{ data, fetching, error }, refetch] = useQuery({
    query: AuditVerificationQuery,
    variables: { id: batchId },
    requestPolicy: 'network-only',
  });
  if (error)
    return (
      <ErrorState
        title="The verification could not be completed"
        error={error}
        action={
          <button
            type="button"
            className="button"
            onClick={() => refetch({ requestPolicy: 'network-only' })}
          >
            Try again
          </button>
        }
      />
    );
  if (!data && fetching) return <Loading what={`the verification of batch ${batchId}`} />;
  const batch = data?.batch;
  if (!batch)
    return (
      <Empty title="No such batch">
        There is no batch <code>{batchId}</code> that your organization is party to.{' '}
        <Link to={href('audit')}>Back to the audit</Link>
      </Empty>
    );
  return (
    <div className="audit-detail">
      <section className="panel" aria-labelledby="audit-batch-title">
        <h2 id="audit-batch-title">
          <Link to={href('batches', batch.batchId)} className="strong-link">
            {batch.batchNumber}
          </Link>
          <StatusBadge status={batch.status} />
        </h2>
        <p className="muted small">
          {batch.productName ?? batch.productId} · <code>{batch.batchId}</code>
        </p>
        <Verdict
          verification={batch.verification}
          checking={fetching}
          onRecheck={() => refetch({ requestPolicy: 'network-only' })}
        />
      </section>
      <AsOfAndReport batchId={batch.batchId} />
    </div>
  );
}

function Verdict({
  verification,
  checking,
  onRecheck,
}: {
  verification: AuditVerification;
  checking: boolean;
  onRecheck: () => void;
}) {
  const broken = verification.brokenLink;
  // Each checked event is proven by a partner signature, an e-signature or the platform itself.
  const unproven = Math.max(
    0,
    verification.signaturesChecked -
      verification.signaturesValid -
      verification.eSignatureOnly -
      verification.platformEvents,
  );
  return (
    <div
      className={verification.ok ? 'verdict verdict-ok' : 'verdict verdict-failed'}
      role="status"
      aria-live="polite"
      data-verdict={verification.ok ? 'verified' : 'failed'}
    >
      <div className="verdict-head">
        <span className="verdict-mark" aria-hidden="true">
          {verification.ok ? '✓' : '✕'}
        </span>
        <div>
          <strong className="verdict-title">
            {verification.ok ? 'Record verified' : 'Verification failed'}
          </strong>
          <p className="verdict-text">
            {verification.ok
              ? 'Every hash chain recomputes and every event’s origin is proven, as of now.'
              : broken
                ? 'The recorded history does not verify. The first broken link:'
                : 'The recorded history does not verify against the log the platform signed.'}
          </p>
          <p
            className="verdict-text verdict-checkpoint"
            data-checkpoint={
              verification.checkpoint ? (verification.checkpoint.ok ? 'held' : 'broken') : 'none'
            }
          >
            {verification.checkpoint
              ? `${verification.checkpoint.summary}.`
              : 'Not held to a signed checkpoint of the log yet: verified against itself only.'}
          </p>
        </div>
        <button
          type="button"
          className="button button-small verdict-recheck"
          onClick={onRecheck}
          disabled={checking}
        >
          {checking ? 'Checking…' : 'Verify again'}
        </button>
      </div>
      {broken ? (
        <dl className="facts verdict-broken">
          <div>
            <dt>Stream</dt>
            <dd>
              <code>{broken.streamId}</code> at version {broken.streamVersion}
            </dd>
          </div>
          <div>
            <dt>Event</dt>
            <dd>{broken.eventId ? <code>{broken.eventId}</code> : '—'}</dd>
          </div>
          <div>
            <dt>Check</dt>
            <dd>{humanize(broken.check)}</dd>
          </div>
          <div>
            <dt>Detail</dt>
            <dd>{broken.detail}</dd>
          </div>
        </dl>
      ) : null}
      <dl className="verdict-counts">
        <Count label="Streams" value={verification.streams} />
        <Count label="Events" value={verification.events} />
        <Count
          label="Signatures checked"
          value={verification.signaturesChecked}
          hint="Every event's origin: partner signature, e-signature or the platform itself"
        />
        <Count
          label="Partner signatures valid"
          value={verification.signaturesValid}
          tone={unproven > 0 ? 'danger' : undefined}
        />
        <Count label="E-signature only" value={verification.eSignatureOnly} />
        <Count label="Platform events" value={verification.platformEvents} />
        {unproven > 0 ? <Count label="Origins not proven" value={unproven} tone="danger" /> : null}
      </dl>
    </div>
  );
}

function Count({
  label,
  value,
  hint,
  tone,
}: {
  label: string;
  value: number;
  hint?: string;
  tone?: 'danger';
}) {
  return (
    <div className={tone ? `verdict-count verdict-count-${tone}` : 'verdict-count'}>
      <dt>{label}</dt>
      <dd title={hint}>{value}</dd>
    </div>
  );
}

/** `2026-03-01T10:15` in local time, what a datetime-local input holds. */
function localInputValue(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

function AsOfAndReport({ batchId }: { batchId: string }) {
  const { session } = useConcord();
  const atId = useId();
  const timelineId = useId();
  const scopeId = useId();
  const [at, setAt] = useState(() => localInputValue(new Date()));
  const [timeline, setTimeline] = useState<AuditTimeline>('RECORDED');
  const [asked, setAsked] = useState<{ at: string; timeline: AuditTimeline } | null>(null);
  const [reportAsOf, setReportAsOf] = useState(false);
  const {
    downloading,
    downloaded,
    error: downloadError,
    start: startDownload,
  } = useDownload<ReportFormat>();
  const invalid = !at || Number.isNaN(new Date(at).getTime());

  const [{ data, fetching, error }] = useQuery({
    query: AuditAsOfQuery,
    variables: asked
      ? { id: batchId, at: new Date(asked.at).toISOString(), timeline: asked.timeline }
      : { id: batchId, at: '', timeline: 'RECORDED' },
    pause: !asked,
    requestPolicy: 'network-only',
  });
  const asOf = asked ? data?.batch?.asOf : undefined;

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (!invalid) setAsked({ at, timeline });
  };

  const download = (format: ReportFormat) => {
    const scope: ReportAsOf | undefined =
      reportAsOf && !invalid
        ? {
            at: new Date(at).toISOString(),
            timeline: timeline === 'OCCURRED' ? 'occurred' : 'recorded',
          }
        : undefined;
    return startDownload(format, () => downloadAuditReport(session.token, batchId, format, scope));
  };

  return (
    <>
      <section className="panel" aria-labelledby="audit-asof-title">
        <h2 id="audit-asof-title">As of an instant</h2>
        <p className="muted small">
          The batch as it stood at a moment: on the <em>occurred</em> timeline (when things
          happened, as the acting party states) or the <em>recorded</em> one (when Concord recorded
          them).
        </p>
        <form className="audit-asof-form" onSubmit={submit}>
          <div className="field">
            <label htmlFor={atId}>Date and time (your local time)</label>
            <input
              id={atId}
              type="datetime-local"
              value={at}
              required
              aria-invalid={invalid || undefined}
              onChange={(event) => setAt(event.target.value)}
            />
          </div>
          <div className="field">
            <label htmlFor={timelineId}>Timeline</label>
            <select
              id={timelineId}
              value={timeline}
              onChange={(event) => setTimeline(event.target.value as AuditTimeline)}
            >
              <option value="RECORDED">Recorded (when Concord recorded it)</option>
              <option value="OCCURRED">Occurred (when it happened)</option>
            </select>
          </div>
          <button type="submit" className="button button-primary" disabled={invalid}>
            Show status then
          </button>
        </form>
        {asked && error ? (
          <ErrorState title="The state at that instant could not be computed" error={error} />
        ) : null}
        {asked && !asOf && fetching ? <Loading what="the state at that instant" /> : null}
        {asOf ? (
          <div className="audit-asof-result" role="status" aria-live="polite">
            <span>
              On {formatDateTime(asOf.instant)} ({asOf.timeline.toLowerCase()} timeline) the batch
              was
            </span>{' '}
            {asOf.status === null ? (
              <strong>not yet recorded</strong>
            ) : (
              <strong className="audit-asof-status">{humanize(asOf.status)}</strong>
            )}
            <span className="muted small">
              {' '}
              · {asOf.eventsApplied} {asOf.eventsApplied === 1 ? 'event' : 'events'} applied
              {asOf.correctionsApplied > 0
                ? `, ${asOf.correctionsApplied} ${asOf.correctionsApplied === 1 ? 'correction' : 'corrections'}`
                : ''}
            </span>
          </div>
        ) : null}
      </section>
      <section className="panel" aria-labelledby="audit-report-title">
        <h2 id="audit-report-title">Audit report</h2>
        <p className="muted small">
          The complete record: every event with who, what, when and why, e-signatures, corrections,
          and the verification.
        </p>
        <div className="field-checkbox">
          <input
            id={scopeId}
            type="checkbox"
            checked={reportAsOf}
            disabled={invalid}
            onChange={(event) => setReportAsOf(event.target.checked)}
          />
          <label htmlFor={scopeId}>Report as of the instant and timeline chosen above</label>
        </div>
        <div className="actions">
          <button
            type="button"
            className="button button-primary"
            disabled={downloading !== null}
            onClick={() => void download('html')}
          >
            {downloading === 'html' ? 'Preparing…' : 'Download HTML report'}
          </button>
          <button
            type="button"
            className="button"
            disabled={downloading !== null}
            onClick={() => void download('json')}
          >
            {downloading === 'json' ? 'Preparing…' : 'Download JSON report'}
          </button>
        </div>
        {downloaded ? (
          <p className="notice notice-success" role="status">
            Downloaded {downloaded}.
          </p>
        ) : null}
        {downloadError ? (
          <ErrorState title="The report could not be downloaded" error={downloadError} />
        ) : null}
      </section>
    </>
  );
}
