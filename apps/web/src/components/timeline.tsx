// A batch's or deviation's audit trail: who (person, role, organization), what, when (occurred
// at the partner / recorded by Concord), why, the e-signature manifestation, and corrections as
// old → new values, with the corrected entry marked "changed since first entry".
import { useEffect, useState } from 'react';
import type { Signature, TimelineEntry, TimelinePage } from '../lib/api.ts';
import { useOrganizationName } from '../lib/concord-context.tsx';
import { formatDateTime, humanize } from '../lib/format.ts';

export function Timeline({
  page,
  loadMore,
  loadingMore,
}: {
  page: TimelinePage;
  loadMore?: () => void;
  loadingMore?: boolean;
}) {
  const entries = page.edges.map((edge) => edge.node);
  const byEventId = new Map(entries.map((entry) => [entry.eventId, entry]));
  return (
    <>
      <ol className="timeline">
        {entries.map((entry) => (
          <TimelineItem key={entry.id} entry={entry} byEventId={byEventId} />
        ))}
      </ol>
      {page.pageInfo.hasNextPage && loadMore ? (
        <button type="button" className="button" onClick={loadMore} disabled={loadingMore}>
          {loadingMore ? 'Loading…' : `Show more (${page.totalCount - entries.length} more)`}
        </button>
      ) : null}
    </>
  );
}

function eventName(type: string): string {
  // concord.batch.qc-result-recorded.v1 → Qc result recorded
  const [, , name = type] = type.split('.');
  return humanize(name)
    .replace(/^Qc /, 'QC ')
    .replace(/^Coa /, 'CoA ')
    .replace(/^Qp /, 'QP ')
    .replace(/ capa /i, ' CAPA ');
}

function TimelineItem({
  entry,
  byEventId,
}: {
  entry: TimelineEntry;
  byEventId: Map<string, TimelineEntry>;
}) {
  const nameOf = useOrganizationName();
  const changes = entry.type.startsWith('concord.correction.')
    ? ((entry.data.changes as
        | { path: string; oldValue: unknown; newValue: unknown }[]
        | undefined) ?? [])
    : [];
  const corrected = entry.correctsEventId ? byEventId.get(entry.correctsEventId) : undefined;
  return (
    <li
      className={`timeline-item${changes.length ? ' is-correction' : ''}${entry.corrected ? ' is-corrected' : ''}`}
      id={`event-${entry.eventId}`}
    >
      <div className="timeline-marker" aria-hidden="true" />
      <div className="timeline-body">
        <div className="timeline-head">
          <span className="timeline-what">{entry.summary}</span>
          {entry.summary.toLowerCase().startsWith(eventName(entry.type).toLowerCase()) ? null : (
            <span className="timeline-type">{eventName(entry.type)}</span>
          )}
          {entry.corrected ? (
            <a
              className="tag tag-warning"
              href={`#event-${entry.correctedByEventIds[0] ?? ''}`}
              onClick={(e) => {
                e.preventDefault();
                document
                  .getElementById(`event-${entry.correctedByEventIds[0] ?? ''}`)
                  ?.scrollIntoView({ behavior: 'smooth', block: 'center' });
              }}
            >
              Changed since first entry
            </a>
          ) : null}
        </div>
        <dl className="timeline-facts">
          <div>
            <dt>Who</dt>
            <dd>
              {entry.actorName ?? entry.actorId}
              {entry.actorRole ? ` (${entry.actorRole.toUpperCase()})` : ''} ·{' '}
              {nameOf(entry.actorOrganizationId)}
            </dd>
          </div>
          <div>
            <dt>When</dt>
            <dd>
              {formatDateTime(entry.occurredAt)}
              <span className="muted"> · recorded {formatDateTime(entry.recordedAt)}</span>
            </dd>
          </div>
          {entry.reason ? (
            <div>
              <dt>Why</dt>
              <dd>{entry.reason}</dd>
            </div>
          ) : null}
        </dl>
        {changes.length > 0 ? (
          <div className="correction">
            <span className="correction-title">
              Corrects {corrected ? <q>{corrected.summary}</q> : 'an earlier entry'}
            </span>
            <ul>
              {changes.map((change) => (
                <li key={change.path}>
                  <code>{change.path}</code>: <del>{String(change.oldValue)}</del>
                  <span aria-hidden="true"> → </span>
                  <span className="sr-only"> changed to </span>
                  <ins>{String(change.newValue)}</ins>
                </li>
              ))}
            </ul>
          </div>
        ) : null}
        {entry.eSignature ? <SignatureManifestation signature={entry.eSignature} /> : null}
        {entry.partnerSignatureKeyId ? (
          <p className="timeline-proof">
            Signed at the source with key {entry.partnerSignatureKeyId}
          </p>
        ) : null}
      </div>
    </li>
  );
}

export function SignatureManifestation({ signature }: { signature: Signature }) {
  return (
    <div className="signature" aria-label="Electronic signature">
      <span className="signature-seal" aria-hidden="true">
        ✎
      </span>
      <span>
        <strong>{signature.printedName}</strong> · {humanize(signature.meaning)}
        <span className="muted"> · {formatDateTime(signature.signedAt)}</span>
        <span className="signature-reason">{signature.reason}</span>
      </span>
    </div>
  );
}

/** Pages through a timeline query, keeping what was loaded. */
export function useTimelinePages(
  first: TimelinePage | undefined,
  fetchMore: (after: string) => Promise<TimelinePage | undefined>,
) {
  const [extra, setExtra] = useState<TimelinePage[]>([]);
  const [loading, setLoading] = useState(false);
  useEffect(() => setExtra([]), [first]);
  if (!first) return { page: undefined, loadMore: undefined, loading };
  const last = extra.at(-1) ?? first;
  const page: TimelinePage = {
    totalCount: first.totalCount,
    pageInfo: last.pageInfo,
    edges: [...first.edges, ...extra.flatMap((p) => p.edges)],
  };
  const loadMore = () => {
    if (!last.pageInfo.endCursor) return;
    setLoading(true);
    void fetchMore(last.pageInfo.endCursor)
      .then((next) => next && setExtra((pages) => [...pages, next]))
      .finally(() => setLoading(false));
  };
  return { page, loadMore, loading };
}
