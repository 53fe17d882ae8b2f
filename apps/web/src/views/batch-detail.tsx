import { useEffect, useState } from 'react';
import { useClient, useMutation, useQuery, useSubscription } from 'urql';
import { DeviationStatusBadge, SeverityBadge, StatusBadge } from '../components/badges.tsx';
import { PageHeader } from '../components/page-header.tsx';
import { QcChart } from '../components/qc-chart.tsx';
import { SignatureDialog } from '../components/signature-dialog.tsx';
import { Empty, ErrorState, Loading } from '../components/states.tsx';
import { SignatureManifestation, Timeline, useTimelinePages } from '../components/timeline.tsx';
import {
  BatchChanged,
  BatchQuery,
  BatchTimelineQuery,
  CertifyBatchMutation,
  RecordDispositionMutation,
  type ActResult,
  type BatchDetail,
  type DispositionDecision,
} from '../lib/api.ts';
import { downloadAuditReport } from '../lib/audit-report.ts';
import { useConcord, useOrganizationName } from '../lib/concord-context.tsx';
import {
  BLOCKER_LABELS,
  formatDateTime,
  formatLateness,
  formatNumber,
  humanize,
} from '../lib/format.ts';
import { href, Link, useRoute } from '../lib/router.tsx';
import { blockerLink } from './readiness.tsx';

export function BatchDetailView({ batchId }: { batchId: string }) {
  const route = useRoute();
  const client = useClient();
  const [{ data, fetching, error }, refetch] = useQuery({
    query: BatchQuery,
    variables: { id: batchId },
  });
  const [{ data: timelineData, error: timelineError }, refetchTimeline] = useQuery({
    query: BatchTimelineQuery,
    variables: { id: batchId },
  });
  useSubscription(
    { query: BatchChanged },
    (_: unknown, event: { batchChanged: { batchId: string } | null }) => {
      if (event.batchChanged?.batchId === batchId) {
        refetch({ requestPolicy: 'network-only' });
        refetchTimeline({ requestPolicy: 'network-only' });
      }
      return event;
    },
  );
  const timeline = useTimelinePages(timelineData?.batch?.timeline, async (after) => {
    const next = await client
      .query(BatchTimelineQuery, { id: batchId, after }, { requestPolicy: 'network-only' })
      .toPromise();
    return next.data?.batch?.timeline;
  });

  const section = route.query.get('section');
  useEffect(() => {
    if (section && data?.batch)
      document.getElementById(`section-${section}`)?.scrollIntoView({ block: 'start' });
  }, [section, data?.batch]);

  if (error) return <ErrorState title="The batch could not be loaded" error={error} />;
  if (!data && fetching) return <Loading what={`batch ${batchId}`} />;
  const batch = data?.batch;
  if (!batch)
    return (
      <Empty title="No such batch">
        There is no batch <code>{batchId}</code> that your organization is party to.{' '}
        <Link to={href('board')}>Back to the batch board</Link>
      </Empty>
    );

  const corrected = timeline.page?.edges.some(
    (edge) => edge.node.corrected && edge.node.type.includes('manufacturing-completed'),
  );

  return (
    <div className="page">
      <nav className="breadcrumb" aria-label="Breadcrumb">
        <Link to={href('board')}>Batch board</Link> <span aria-hidden="true">/</span>{' '}
        {batch.batchNumber}
      </nav>
      <PageHeader
        title={
          <>
            {batch.batchNumber} <StatusBadge status={batch.status} />
          </>
        }
        subtitle={batch.productName ?? batch.productId}
        actions={<AuditReportLink batchId={batch.batchId} />}
      />
      <div className="detail-grid">
        <div className="detail-main">
          <BatchFacts batch={batch} quantityCorrected={Boolean(corrected)} />
          <ReleaseSection
            batch={batch}
            onSigned={() => {
              refetch({ requestPolicy: 'network-only' });
              refetchTimeline({ requestPolicy: 'network-only' });
            }}
          />
          <section className="panel" id="section-qc" aria-labelledby="qc-title">
            <h2 id="qc-title">QC results against specification</h2>
            {batch.qcResults.length === 0 ? (
              <p className="muted">No QC result recorded yet.</p>
            ) : (
              batch.qcResults.map((result) => <QcChart key={result.resultId} result={result} />)
            )}
          </section>
          <section className="panel" id="section-deviations" aria-labelledby="dev-title">
            <h2 id="dev-title">Linked deviations</h2>
            {batch.deviationLinks.length === 0 ? (
              <p className="muted">No deviation is linked to this batch.</p>
            ) : (
              <table className="table compact">
                <thead>
                  <tr>
                    <th scope="col">Deviation</th>
                    <th scope="col">Severity</th>
                    <th scope="col">Status</th>
                    <th scope="col">Impact on this batch</th>
                  </tr>
                </thead>
                <tbody>
                  {batch.deviationLinks.map((link) =>
                    link.deviation ? (
                      <tr key={link.deviation.deviationId}>
                        <td>
                          <Link
                            to={href('deviations', link.deviation.deviationId)}
                            className="strong-link"
                          >
                            {link.deviation.deviationId}
                          </Link>
                          <div className="muted small">{link.deviation.title}</div>
                          {link.deviation.notifiedLate ? (
                            <span className="tag tag-danger">
                              Notified {formatLateness(link.deviation.lateByMinutes)}
                            </span>
                          ) : null}
                        </td>
                        <td>
                          <SeverityBadge severity={link.deviation.severity} />
                        </td>
                        <td>
                          <DeviationStatusBadge status={link.deviation.status} />
                        </td>
                        <td>
                          {link.impactConclusion ??
                            (link.impact ? humanize(link.impact) : 'Not assessed yet')}
                        </td>
                      </tr>
                    ) : null,
                  )}
                </tbody>
              </table>
            )}
          </section>
        </div>
        <section
          className="panel detail-timeline"
          id="section-timeline"
          aria-labelledby="timeline-title"
        >
          <h2 id="timeline-title">
            Timeline <span className="count">{timeline.page?.totalCount ?? ''}</span>
          </h2>
          <p className="muted small">
            Every recorded event, oldest first: who, what, when and why.
          </p>
          {timelineError ? (
            <ErrorState title="The timeline could not be loaded" error={timelineError} />
          ) : null}
          {timeline.page ? (
            <Timeline
              page={timeline.page}
              loadMore={timeline.loadMore}
              loadingMore={timeline.loading}
            />
          ) : timelineError ? null : (
            <Loading what="the timeline" />
          )}
        </section>
      </div>
    </div>
  );
}

/** The batch's audit report (HTML), downloaded with the session's token; the audit view beside it. */
function AuditReportLink({ batchId }: { batchId: string }) {
  const { session } = useConcord();
  const [state, setState] = useState<
    { kind: 'idle' } | { kind: 'busy' } | { kind: 'failed'; message: string }
  >({ kind: 'idle' });
  return (
    <div className="audit-report-link">
      <Link to={href('audit', batchId)} className="button button-small">
        Audit view
      </Link>
      <button
        type="button"
        className="button button-small button-primary"
        disabled={state.kind === 'busy'}
        onClick={() => {
          setState({ kind: 'busy' });
          downloadAuditReport(session.token, batchId, 'html').then(
            () => setState({ kind: 'idle' }),
            (error: Error) => setState({ kind: 'failed', message: error.message }),
          );
        }}
      >
        {state.kind === 'busy' ? 'Preparing report…' : 'Download audit report'}
      </button>
      {state.kind === 'failed' ? (
        <p className="audit-report-error" role="alert">
          The audit report could not be downloaded: {state.message}
        </p>
      ) : null}
    </div>
  );
}

function BatchFacts({
  batch,
  quantityCorrected,
}: {
  batch: BatchDetail;
  quantityCorrected: boolean;
}) {
  const nameOf = useOrganizationName();
  const facts: [string, React.ReactNode][] = [
    ['Sponsor', batch.sponsor?.name ?? nameOf(batch.sponsorId)],
    ['CDMO', batch.cdmo?.name ?? nameOf(batch.cdmoId)],
    ['Site', batch.site],
    ['Quality agreement', batch.agreementId],
    ['Planned', `${formatNumber(batch.plannedQuantity.value)} ${batch.plannedQuantity.unit}`],
    [
      'Yield',
      batch.actualQuantity ? (
        <>
          {formatNumber(batch.actualQuantity.value)} {batch.actualQuantity.unit}
          {quantityCorrected ? (
            <span className="tag tag-warning">Changed since first entry</span>
          ) : null}
        </>
      ) : (
        '—'
      ),
    ],
    ['Planned start', formatDateTime(batch.plannedStart)],
    [
      'Manufacture',
      batch.startedAt
        ? `${formatDateTime(batch.startedAt)} → ${batch.completedAt ? formatDateTime(batch.completedAt) : 'ongoing'}`
        : 'not started',
    ],
    [
      'Certificate of analysis',
      batch.coaId ? `${batch.coaId} · ${formatDateTime(batch.coaIssuedAt)}` : '—',
    ],
    ['Shipped', formatDateTime(batch.shippedAt)],
  ];
  return (
    <section className="panel" aria-labelledby="facts-title">
      <h2 id="facts-title">Batch</h2>
      <dl className="facts">
        {facts.map(([label, value]) => (
          <div key={label}>
            <dt>{label}</dt>
            <dd>{value}</dd>
          </div>
        ))}
      </dl>
    </section>
  );
}

type Act = { kind: 'disposition'; decision: DispositionDecision } | { kind: 'certify' };

function ReleaseSection({ batch, onSigned }: { batch: BatchDetail; onSigned: () => void }) {
  const [act, setAct] = useState<Act | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const [, recordDisposition] = useMutation(RecordDispositionMutation);
  const [, certify] = useMutation(CertifyBatchMutation);
  // What the domain would accept from this viewer now (the agreement, the lifecycle, the
  // release rules), asked of the API rather than guessed from roles.
  const can = batch.viewerCan;
  const canDisposition = can.release || can.quarantine || can.reject;
  const canCertify = can.certify;
  const registerEntryId = `QPR-${batch.batchNumber}`;

  const perform = async (
    signature: Parameters<typeof certify>[0]['signature'],
  ): Promise<ActResult | undefined> => {
    if (!act) return undefined;
    if (act.kind === 'certify') {
      const result = await certify({ batchId: batch.batchId, registerEntryId, signature });
      if (result.error) throw new Error(result.error.message);
      return result.data?.certifyBatch;
    }
    const result = await recordDisposition({
      batchId: batch.batchId,
      decision: act.decision,
      signature,
    });
    if (result.error) throw new Error(result.error.message);
    return result.data?.recordDisposition;
  };

  return (
    <section className="panel" id="section-release" aria-labelledby="release-title">
      <h2 id="release-title">Release</h2>
      {batch.blockers.length === 0 ? (
        <p className="muted">Nothing stands between this batch and its release.</p>
      ) : (
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
      )}
      {batch.disposition ? (
        <div className="signed-act">
          <span className="signed-act-title">
            QA disposition: {humanize(batch.disposition.decision)}
          </span>
          {batch.disposition.signature ? (
            <SignatureManifestation signature={batch.disposition.signature} />
          ) : null}
        </div>
      ) : null}
      {batch.certification ? (
        <div className="signed-act">
          <span className="signed-act-title">
            QP certification · register entry {batch.certification.registerEntryId}
          </span>
          {batch.certification.signature ? (
            <SignatureManifestation signature={batch.certification.signature} />
          ) : null}
        </div>
      ) : null}
      {done ? (
        <p className="notice notice-success" role="status">
          {done}
        </p>
      ) : null}
      {canDisposition || canCertify ? (
        <div className="actions">
          {canDisposition ? (
            <>
              {can.release ? (
                <button
                  type="button"
                  className="button button-primary"
                  onClick={() => setAct({ kind: 'disposition', decision: 'RELEASED' })}
                >
                  Release batch…
                </button>
              ) : null}
              {can.quarantine ? (
                <button
                  type="button"
                  className="button"
                  onClick={() => setAct({ kind: 'disposition', decision: 'QUARANTINED' })}
                >
                  Quarantine…
                </button>
              ) : null}
              {can.reject ? (
                <button
                  type="button"
                  className="button button-danger"
                  onClick={() => setAct({ kind: 'disposition', decision: 'REJECTED' })}
                >
                  Reject…
                </button>
              ) : null}
            </>
          ) : null}
          {canCertify ? (
            <button
              type="button"
              className="button button-primary"
              onClick={() => setAct({ kind: 'certify' })}
            >
              Certify as Qualified Person…
            </button>
          ) : null}
        </div>
      ) : null}
      {act ? (
        <SignatureDialog
          title={
            act.kind === 'certify'
              ? `Certify batch ${batch.batchNumber}`
              : `${humanize(act.decision)}: batch ${batch.batchNumber}`
          }
          defaultMeaning={act.kind === 'certify' ? 'RESPONSIBILITY' : 'APPROVAL'}
          confirmLabel={act.kind === 'certify' ? 'Sign and certify' : 'Sign and record'}
          perform={perform}
          onCancel={() => setAct(null)}
          onDone={() => {
            setDone(
              act.kind === 'certify'
                ? 'Certification signed and recorded.'
                : 'Disposition signed and recorded.',
            );
            setAct(null);
            onSigned();
          }}
        >
          {act.kind === 'certify'
            ? `You certify, under EU GMP Annex 16, that batch ${batch.batchNumber} was manufactured and checked in accordance with its marketing authorisation. Register entry ${registerEntryId}.`
            : `You record the QA disposition "${humanize(act.decision)}" for batch ${batch.batchNumber} of ${batch.productName ?? batch.productId}.`}
        </SignatureDialog>
      ) : null}
    </section>
  );
}
