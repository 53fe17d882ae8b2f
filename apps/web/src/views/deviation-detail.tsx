import { useState } from 'react';
import { useClient, useMutation, useQuery, useSubscription } from 'urql';
import { DeviationStatusBadge, SeverityBadge } from '../components/badges.tsx';
import { DeadlineBadge, DueDates } from '../components/deadlines.tsx';
import { PageHeader } from '../components/page-header.tsx';
import { SignatureDialog } from '../components/signature-dialog.tsx';
import { Empty, ErrorState, Loading } from '../components/states.tsx';
import { SignatureManifestation, Timeline, useTimelinePages } from '../components/timeline.tsx';
import {
  ApproveCapaMutation,
  ApproveClosureMutation,
  DeviationChanged,
  DeviationQuery,
  DeviationTimelineQuery,
  type ActResult,
  type DeviationDetail,
  type SignatureInput,
} from '../lib/api.ts';
import { useConcord, useOrganizationName } from '../lib/concord-context.tsx';
import { formatDate, formatDateTime, formatLateness, humanize } from '../lib/format.ts';
import { href, Link } from '../lib/router.tsx';

export function DeviationDetailView({ deviationId }: { deviationId: string }) {
  const client = useClient();
  const [{ data, fetching, error }, refetch] = useQuery({
    query: DeviationQuery,
    variables: { id: deviationId },
  });
  const [{ data: timelineData, error: timelineError }, refetchTimeline] = useQuery({
    query: DeviationTimelineQuery,
    variables: { id: deviationId },
  });
  useSubscription(
    { query: DeviationChanged },
    (_: unknown, event: { deviationChanged: { deviationId: string } | null }) => {
      if (event.deviationChanged?.deviationId === deviationId) {
        refetch({ requestPolicy: 'network-only' });
        refetchTimeline({ requestPolicy: 'network-only' });
      }
      return event;
    },
  );
  const timeline = useTimelinePages(timelineData?.deviation?.timeline, async (after) => {
    const next = await client
      .query(DeviationTimelineQuery, { id: deviationId, after }, { requestPolicy: 'network-only' })
      .toPromise();
    return next.data?.deviation?.timeline;
  });

  if (error) return <ErrorState title="The deviation could not be loaded" error={error} />;
  if (!data && fetching) return <Loading what={`deviation ${deviationId}`} />;
  const deviation = data?.deviation;
  if (!deviation)
    return (
      <Empty title="No such deviation">
        There is no deviation <code>{deviationId}</code> that your organization is party to.{' '}
        <Link to={href('deviations')}>Back to deviations</Link>
      </Empty>
    );

  const refresh = () => {
    refetch({ requestPolicy: 'network-only' });
    refetchTimeline({ requestPolicy: 'network-only' });
  };

  return (
    <div className="page">
      <nav className="breadcrumb" aria-label="Breadcrumb">
        <Link to={href('deviations')}>Deviations</Link> <span aria-hidden="true">/</span>{' '}
        {deviation.deviationId}
      </nav>
      <PageHeader
        title={
          <>
            {deviation.deviationId} <SeverityBadge severity={deviation.severity} />{' '}
            <DeviationStatusBadge status={deviation.status} />
          </>
        }
        subtitle={deviation.title}
      />
      <div className="detail-grid">
        <div className="detail-main">
          <DeviationFacts deviation={deviation} />
          <section className="panel" aria-labelledby="due-dates-title">
            <h2 id="due-dates-title">
              Due dates <DeadlineBadge deviation={deviation} />
            </h2>
            <DueDates deviation={deviation} />
          </section>
          <ApprovalSection deviation={deviation} onSigned={refresh} />
        </div>
        <section className="panel detail-timeline" aria-labelledby="timeline-title">
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

function DeviationFacts({ deviation }: { deviation: DeviationDetail }) {
  const nameOf = useOrganizationName();
  const facts: [string, React.ReactNode][] = [
    ['Description', deviation.description],
    ['Category', humanize(deviation.category)],
    ['Reported by', nameOf(deviation.reportedByOrganizationId)],
    ['Detected', formatDateTime(deviation.detectedAt)],
    [
      'Reported',
      <>
        {formatDateTime(deviation.reportedAt)}
        {deviation.notifiedLate ? (
          <span className="tag tag-danger">Late · {formatLateness(deviation.lateByMinutes)}</span>
        ) : null}
      </>,
    ],
    ['Notification deadline', formatDateTime(deviation.notificationDeadline)],
    ['Age', `${deviation.ageDays.toFixed(1)} days${deviation.open ? ' (open)' : ''}`],
    ['Closed', formatDateTime(deviation.closedAt)],
    [
      'Batches',
      deviation.batchLinks.length === 0
        ? '—'
        : deviation.batchLinks.map((link) =>
            link.batch ? (
              <div key={link.batch.batchId}>
                <Link to={href('batches', link.batch.batchId)}>{link.batch.batchNumber}</Link>
                {link.impact ? <span className="muted"> · impact: {link.impact}</span> : null}
              </div>
            ) : null,
          ),
    ],
    ['Investigation', deviation.investigationSummary ?? '—'],
    [
      'Root cause',
      deviation.rootCause
        ? `${deviation.rootCause}${deviation.rootCauseCategory ? ` (${humanize(deviation.rootCauseCategory)})` : ''}`
        : '—',
    ],
    ['Conclusion', deviation.conclusion ?? '—'],
  ];
  return (
    <section className="panel" aria-labelledby="facts-title">
      <h2 id="facts-title">Deviation</h2>
      <dl className="facts facts-wide">
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

type Act = 'capa' | 'closure';

function ApprovalSection({
  deviation,
  onSigned,
}: {
  deviation: DeviationDetail;
  onSigned: () => void;
}) {
  const { session } = useConcord();
  const [act, setAct] = useState<Act | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const [, approveCapa] = useMutation(ApproveCapaMutation);
  const [, approveClosure] = useMutation(ApproveClosureMutation);
  // What the domain would accept from this viewer now, asked of the API rather than guessed.
  const canApproveCapa = deviation.viewerCan.approveCapa;
  const canApproveClosure = deviation.viewerCan.approveClosure;

  const perform = async (signature: SignatureInput): Promise<ActResult | undefined> => {
    if (act === 'capa') {
      const result = await approveCapa({
        deviationId: deviation.deviationId,
        capaId: deviation.capaId ?? '',
        signature,
      });
      if (result.error) throw new Error(result.error.message);
      return result.data?.approveCapa;
    }
    const result = await approveClosure({ deviationId: deviation.deviationId, signature });
    if (result.error) throw new Error(result.error.message);
    return result.data?.approveDeviationClosure;
  };

  return (
    <section className="panel" aria-labelledby="capa-title">
      <h2 id="capa-title">
        CAPA and approvals <span className="muted small">· {humanize(deviation.capaStatus)}</span>
      </h2>
      {deviation.capaActions.length > 0 ? (
        <table className="table compact">
          <caption className="sr-only">
            Corrective and preventive actions of {deviation.capaId}
          </caption>
          <thead>
            <tr>
              <th scope="col">Action ({deviation.capaId})</th>
              <th scope="col">Owner</th>
              <th scope="col">Due</th>
            </tr>
          </thead>
          <tbody>
            {deviation.capaActions.map((action) => (
              <tr key={action.description}>
                <td>{action.description}</td>
                <td>{action.owner}</td>
                <td className="nowrap">{formatDate(action.dueDate)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : (
        <p className="muted">No CAPA proposed yet.</p>
      )}
      {deviation.capaApprovalSignature ? (
        <div className="signed-act">
          <span className="signed-act-title">CAPA approved by the sponsor</span>
          <SignatureManifestation signature={deviation.capaApprovalSignature} />
        </div>
      ) : null}
      {deviation.closureApprovalSignature ? (
        <div className="signed-act">
          <span className="signed-act-title">Closure approved by the sponsor</span>
          <SignatureManifestation signature={deviation.closureApprovalSignature} />
        </div>
      ) : null}
      {deviation.closingSignature ? (
        <div className="signed-act">
          <span className="signed-act-title">Closed</span>
          <SignatureManifestation signature={deviation.closingSignature} />
        </div>
      ) : null}
      {done ? (
        <p className="notice notice-success" role="status">
          {done}
        </p>
      ) : null}
      {canApproveCapa || canApproveClosure ? (
        <div className="actions">
          {canApproveCapa ? (
            <button type="button" className="button button-primary" onClick={() => setAct('capa')}>
              Approve CAPA…
            </button>
          ) : null}
          {canApproveClosure ? (
            <button
              type="button"
              className="button button-primary"
              onClick={() => setAct('closure')}
            >
              Approve closure…
            </button>
          ) : null}
        </div>
      ) : deviation.open &&
        session.organizationId === deviation.sponsorId &&
        !session.roles.includes('qa') ? (
        <p className="muted small">Approvals are signed by the sponsor&apos;s QA.</p>
      ) : null}
      {act ? (
        <SignatureDialog
          title={
            act === 'capa'
              ? `Approve CAPA ${deviation.capaId ?? ''}`
              : `Approve closure of ${deviation.deviationId}`
          }
          defaultMeaning="APPROVAL"
          confirmLabel="Sign and approve"
          perform={perform}
          onCancel={() => setAct(null)}
          onDone={() => {
            setDone(
              act === 'capa'
                ? 'CAPA approval signed and recorded.'
                : 'Closure approval signed and recorded.',
            );
            setAct(null);
            onSigned();
          }}
        >
          {act === 'capa'
            ? `You approve the corrective and preventive actions proposed for ${humanize(deviation.severity).toLowerCase()} deviation ${deviation.deviationId}, on behalf of the sponsor.`
            : `You approve the outcome of ${humanize(deviation.severity).toLowerCase()} deviation ${deviation.deviationId} so the CDMO can close it.`}
        </SignatureDialog>
      ) : null}
    </section>
  );
}
