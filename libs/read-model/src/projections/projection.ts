import type { DomainEvent } from '@concord/domain';
import type { RecordedEvent } from '@concord/event-store';
import type { ChunkTable } from './chunk-table.ts';
import type {
  AgreementRow,
  BatchRow,
  DeviationBatchRow,
  DeviationRow,
  OrganizationRow,
  PersonRow,
  QcResultRow,
  TimelineRow,
} from './rows.ts';

/** The read model's tables as one chunk of events sees them (see `ChunkTable`). */
export interface ChunkTables {
  organizations: ChunkTable<OrganizationRow>;
  people: ChunkTable<PersonRow>;
  agreements: ChunkTable<AgreementRow>;
  batches: ChunkTable<BatchRow>;
  qcResults: ChunkTable<QcResultRow>;
  deviations: ChunkTable<DeviationRow>;
  /** Links between deviations and batches, asked for by `deviation:<id>` or `batch:<id>`. */
  links: ChunkTable<DeviationBatchRow>;
  timeline: ChunkTable<TimelineRow>;
}

/** What a committed chunk changed, for live subscribers; carries the parties for scoping. */
export interface ReadModelChange {
  /** `deadline`: a deviation got a due-soon or overdue warning (it is a `deviation` change too). */
  kind: 'batch' | 'deviation' | 'readiness' | 'deadline';
  id: string;
  sponsorId: string;
  cdmoId: string;
  position: bigint;
  /** The trace context of the event that made it, when that event was traced (W3C). */
  traceparent?: string;
}

/** What a projection works with besides the event: the tables, and the live changes to announce. */
export interface ProjectionContext {
  tables: ChunkTables;
  announce(
    kind: ReadModelChange['kind'],
    row: { id: string; sponsor_id: string; cdmo_id: string },
    position: bigint,
  ): void;
}

/**
 * One typed projection, in the style of Emmett and Marten: the aggregate whose streams it follows
 * and what each of its events does to the rows. The batching, read-ahead, change tracking and the
 * bulk write are `ProjectionChunk`'s, kept generic.
 */
export interface Projection<Event extends DomainEvent> {
  /** The stream kind it follows (`batch-<id>` → `batch`). */
  readonly streamKind: 'organization' | 'agreement' | 'batch' | 'deviation';
  apply(id: string, event: Event, stored: RecordedEvent, context: ProjectionContext): Promise<void>;
}

/** A stream's row moved: its version and position are the event's, and subscribers hear of it. */
export function streamRowMoved<Row extends BatchRow | DeviationRow>(
  table: ChunkTable<Row>,
  kind: 'batch' | 'deviation',
  row: Row,
  stored: RecordedEvent,
  context: ProjectionContext,
): void {
  row.last_changed_at = stored.recordedAt;
  row.stream_version = stored.streamVersion;
  row.last_position = String(stored.globalPosition);
  table.touch(row);
  context.announce(kind, row, stored.globalPosition);
}
