import {
  correctedStoredEventIdOf,
  streamOf,
  toDomainEvent,
  type AgreementEvent,
  type BatchEvent,
  type DeviationEvent,
  type OrganizationEvent,
} from '@concord/domain';
import type { RecordedEvent } from '@concord/event-store';
import { batchProjection } from './batch-projection.ts';
import { ChunkTable, rowKey } from './chunk-table.ts';
import { deviationProjection } from './deviation-projection.ts';
import { agreementProjection, organizationProjection } from './directory-projection.ts';
import type { ChunkTables, ProjectionContext, ReadModelChange } from './projection.ts';
import { readinessKey, refreshReadiness } from './readiness.ts';
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

/** Reads the current rows a chunk needs; missing ids are simply absent from the answer. */
export interface RowLoader {
  organizations(ids: string[]): Promise<OrganizationRow[]>;
  people(organizationIds: string[]): Promise<PersonRow[]>;
  agreements(ids: string[]): Promise<AgreementRow[]>;
  batches(ids: string[]): Promise<BatchRow[]>;
  qcResults(batchIds: string[]): Promise<QcResultRow[]>;
  deviations(ids: string[]): Promise<DeviationRow[]>;
  deviationBatches(scope: {
    deviationIds: string[];
    batchIds: string[];
  }): Promise<DeviationBatchRow[]>;
  timeline(eventIds: string[]): Promise<TimelineRow[]>;
}

/** The rows a chunk wrote, to be saved in one transaction with the checkpoint. */
export type { ReadModelChange } from './projection.ts';

export interface ChunkWrites {
  organizations: OrganizationRow[];
  people: PersonRow[];
  agreements: AgreementRow[];
  batches: BatchRow[];
  qcResults: QcResultRow[];
  deviations: DeviationRow[];
  deviationBatches: DeviationBatchRow[];
  /** New timeline entries, and existing ones whose `corrected_by_event_ids` grew. */
  timeline: TimelineRow[];
  changes: ReadModelChange[];
}

/**
 * Projects one chunk of events (in global order): each stored event goes, as its aggregate's
 * typed domain event, to the projection that follows its stream (`*-projection.ts`); then the
 * readiness of what moved is recomputed. This keeps the machinery: the tables of the chunk, the
 * read-ahead, the changed rows and the changes to announce. Pure apart from the loader: the same
 * events over the same rows always give the same writes, which is what makes a rebuild from
 * position 0 byte-identical to the read model built live.
 */
export class ProjectionChunk {
  readonly #tables: ChunkTables;
  readonly #context: ProjectionContext;
  readonly #changes = new Map<string, ReadModelChange>();
  /** Each batch's readiness when the chunk read it, to tell whether it moved. */
  readonly #readinessBefore = new Map<string, string>();

  constructor(loader: RowLoader) {
    const qcResults = new ChunkTable<QcResultRow>(
      (row) => rowKey(row.batch_id, row.result_id),
      (batchIds) => loader.qcResults(batchIds),
    );
    this.#tables = {
      organizations: new ChunkTable(
        (row) => row.id,
        (ids) => loader.organizations(ids),
      ),
      people: new ChunkTable(
        (row) => rowKey(row.organization_id, row.person_id),
        (organizationIds) => loader.people(organizationIds),
      ),
      agreements: new ChunkTable(
        (row) => row.id,
        (ids) => loader.agreements(ids),
      ),
      batches: new ChunkTable(
        (row) => row.id,
        async (ids) => {
          const [rows] = await Promise.all([loader.batches(ids), qcResults.load(ids)]);
          for (const row of rows) this.#readinessBefore.set(row.id, readinessKey(row));
          return rows;
        },
      ),
      qcResults,
      deviations: new ChunkTable(
        (row) => row.id,
        (ids) => loader.deviations(ids),
      ),
      links: new ChunkTable(
        (row) => rowKey(row.deviation_id, row.batch_id),
        (scoped) =>
          loader.deviationBatches({
            deviationIds: idsIn(scoped, 'deviation:'),
            batchIds: idsIn(scoped, 'batch:'),
          }),
      ),
      timeline: new ChunkTable(
        (row) => row.event_id,
        (ids) => loader.timeline(ids),
      ),
    };
    this.#context = {
      tables: this.#tables,
      announce: (kind, row, position) =>
        this.#changes.set(rowKey(kind, row.id), {
          kind,
          id: row.id,
          sponsorId: row.sponsor_id,
          cdmoId: row.cdmo_id,
          position,
        }),
    };
  }

  /** Loads in a few queries what the chunk's events will touch (anything missed loads on demand). */
  async prefetch(events: readonly RecordedEvent[]): Promise<void> {
    const tables = this.#tables;
    const batchIds = new Set<string>();
    const deviationIds = new Set<string>();
    const agreementIds = new Set<string>();
    const organizationIds = new Set<string>();
    const corrected = new Set<string>();
    for (const event of events) {
      const { kind, id } = streamOf(event.streamId) ?? { kind: '', id: '' };
      if (kind === 'batch') batchIds.add(id);
      if (kind === 'deviation') deviationIds.add(id);
      if (kind === 'organization') organizationIds.add(id);
      if (typeof event.data.agreementId === 'string') agreementIds.add(event.data.agreementId);
      if (typeof event.data.deviationId === 'string') deviationIds.add(event.data.deviationId);
      for (const batchId of (event.data.linkedBatchIds as string[] | undefined) ?? [])
        batchIds.add(batchId);
      if (event.metadata.actororg !== undefined) organizationIds.add(event.metadata.actororg);
      const correctedId = correctedStoredEventIdOf(event);
      if (correctedId !== undefined) corrected.add(correctedId);
    }
    // One statement (the loader gathers what is asked together), the events' own batches with
    // it: a chunk of batch events needs another round trip only for open deviations it does not
    // name.
    await Promise.all([
      tables.deviations.load(deviationIds),
      tables.agreements.load(agreementIds),
      tables.people.load(organizationIds),
      tables.organizations.load(organizationIds),
      tables.timeline.load(corrected),
      tables.links.load([
        ...[...deviationIds].map((id) => `deviation:${id}`),
        ...[...batchIds].map((id) => `batch:${id}`),
      ]),
      tables.batches.load([...batchIds]),
    ]);
    // The batches linked to these deviations (those not read above), and the open deviations of
    // these batches (only this page's: a long chunk holds many more rows).
    for (const link of tables.links.values())
      if (deviationIds.has(link.deviation_id)) batchIds.add(link.batch_id);
    await tables.batches.load(batchIds);
    await tables.deviations.load(
      [...batchIds].flatMap((id) => Object.keys(tables.batches.get(id)?.open_deviations ?? {})),
    );
  }

  /**
   * Hands a stored event to the projection of its stream, as that aggregate's domain event (a
   * stream holds its aggregate's events only); other streams project nothing.
   */
  async apply(stored: RecordedEvent): Promise<void> {
    const stream = streamOf(stored.streamId);
    const context = this.#context;
    switch (stream?.kind) {
      case organizationProjection.streamKind:
        return organizationProjection.apply(
          stream.id,
          toDomainEvent<OrganizationEvent>(stored),
          stored,
          context,
        );
      case agreementProjection.streamKind:
        return agreementProjection.apply(
          stream.id,
          toDomainEvent<AgreementEvent>(stored),
          stored,
          context,
        );
      case batchProjection.streamKind:
        return batchProjection.apply(stream.id, toDomainEvent<BatchEvent>(stored), stored, context);
      case deviationProjection.streamKind:
        return deviationProjection.apply(
          stream.id,
          toDomainEvent<DeviationEvent>(stored),
          stored,
          context,
        );
      default:
        return undefined;
    }
  }

  /** Recomputes readiness where it may have moved and returns every changed row. */
  async finish(): Promise<ChunkWrites> {
    await refreshReadiness(this.#context, this.#readinessBefore);
    return this.#writes((table) => table.changed(), [...this.#changes.values()]);
  }

  /**
   * Between `finish` and `settle`: the changed rows split into those the database holds already
   * (to be replaced) and new ones (to be inserted outright, as a rebuild loads them with COPY).
   */
  splitByStored(): { stored: ChunkWrites; fresh: ChunkWrites } {
    return {
      stored: this.#writes(
        (table) => table.changed().filter((row) => table.isStored(row)),
        [...this.#changes.values()],
      ),
      fresh: this.#writes((table) => table.changed().filter((row) => !table.isStored(row)), []),
    };
  }

  /** Each table's rows as `rowsOf` picks them (the timeline's in order), with `changes`. */
  #writes(rowsOf: <Row>(table: ChunkTable<Row>) => Row[], changes: ReadModelChange[]): ChunkWrites {
    const tables = this.#tables;
    return {
      organizations: rowsOf(tables.organizations),
      people: rowsOf(tables.people),
      agreements: rowsOf(tables.agreements),
      batches: rowsOf(tables.batches),
      qcResults: rowsOf(tables.qcResults),
      deviations: rowsOf(tables.deviations),
      deviationBatches: rowsOf(tables.links),
      timeline: rowsOf(tables.timeline).sort((a, b) => compareBigint(a.position, b.position)),
      changes,
    };
  }

  /**
   * After `finish` and the write of what it returned: the chunk goes on from there (for a long
   * chunk, as a rebuild keeps one across pages) with nothing changed and every batch's readiness
   * as written.
   */
  settle(): void {
    for (const batch of this.#tables.batches.changed())
      this.#readinessBefore.set(batch.id, readinessKey(batch));
    for (const table of Object.values(this.#tables) as ChunkTable<unknown>[]) table.settle();
    this.#changes.clear();
  }

  /** Rows held in memory, all tables together. */
  get size(): number {
    return (Object.values(this.#tables) as ChunkTable<unknown>[]).reduce(
      (sum, table) => sum + table.size,
      0,
    );
  }

  /**
   * Lets go of timeline rows (written, and unchanged since): one per event, the bulk of a long
   * chunk's memory, read again only if a later event corrects one.
   */
  forgetTimeline(rows: readonly TimelineRow[]): void {
    this.#tables.timeline.forget(rows.map((row) => row.event_id));
  }
}

/** The ids of one kind in a scoped list (`deviation:<id>`, `batch:<id>`). */
const idsIn = (scoped: readonly string[], prefix: string) =>
  scoped.flatMap((id) => (id.startsWith(prefix) ? [id.slice(prefix.length)] : []));

function compareBigint(a: string, b: string): number {
  const difference = BigInt(a) - BigInt(b);
  return difference < 0n ? -1 : difference > 0n ? 1 : 0;
}
