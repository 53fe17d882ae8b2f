import {
  correctedData,
  correctedStoredEventIdOf,
  streamOf,
  toDomainEvent,
  type AgreementEvent,
  type BatchEvent,
  type CorrectionRecorded,
  type DeviationEvent,
  type DomainEvent,
  type OrganizationEvent,
} from '@concord/domain';
import type { JsonObject, RecordedEvent } from '@concord/event-store';
import {
  evolveBatchLifecycle,
  restateBatchFacts,
  scheduledBatchRow,
  type BatchFactEvent,
} from './batch-projection.ts';
import {
  evolveDeviationLifecycle,
  reportedDeviationRow,
  restateDeviationFacts,
  type DeviationFactEvent,
} from './deviation-projection.ts';
import { projectAgreementEvent, projectOrganizationEvent } from './directory-projection.ts';
import { isReleaseReady, releaseBlockers } from './readiness.ts';
import type {
  AgreementRow,
  BatchRow,
  DeviationBatchRow,
  DeviationRow,
  Json,
  OrganizationRow,
  PersonRow,
  QcResultRow,
  TimelineRow,
} from './rows.ts';
import { timelineEntry, type TimelineSubject } from './timeline-projection.ts';
import { ChunkTable } from './chunk-table.ts';

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

/** What a committed chunk changed, for live subscribers; carries the parties for scoping. */
export interface ReadModelChange {
  kind: 'batch' | 'deviation' | 'readiness';
  id: string;
  sponsorId: string;
  cdmoId: string;
  position: bigint;
}

/** The rows a chunk wrote, to be saved in one transaction with the checkpoint. */
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

const key = (...parts: string[]) => parts.join('\u0000');

/** What a stream stands for; a stream that follows no convention projects nothing. */
function streamKind(streamId: string): { kind: string; id: string } {
  return streamOf(streamId) ?? { kind: '', id: streamId };
}

/**
 * Projects one chunk of events (in global order) onto the rows they touch: the typed projections
 * (`*-projection.ts`) say what each event does to a row; this keeps the rows of the chunk, reads
 * ahead what it will touch, tracks what changed and what live subscribers must hear. Pure apart
 * from the loader: the same events over the same rows always give the same writes, which is what
 * makes a rebuild from position 0 byte-identical to the read model built live.
 */
export class ProjectionChunk {
  readonly #organizations: ChunkTable<OrganizationRow>;
  readonly #people: ChunkTable<PersonRow>;
  readonly #agreements: ChunkTable<AgreementRow>;
  readonly #batches: ChunkTable<BatchRow>;
  readonly #qcResults: ChunkTable<QcResultRow>;
  readonly #deviations: ChunkTable<DeviationRow>;
  /** Links, asked for by `deviation:<id>` or `batch:<id>`. */
  readonly #links: ChunkTable<DeviationBatchRow>;
  readonly #timeline: ChunkTable<TimelineRow>;
  readonly #changes = new Map<string, ReadModelChange>();
  /** Each batch's readiness when the chunk first saw it, to tell whether it moved. */
  readonly #readinessBefore = new Map<string, string>();

  constructor(loader: RowLoader) {
    this.#organizations = new ChunkTable(
      (row) => row.id,
      (ids) => loader.organizations(ids),
    );
    this.#people = new ChunkTable(
      (row) => key(row.organization_id, row.person_id),
      (organizationIds) => loader.people(organizationIds),
    );
    this.#agreements = new ChunkTable(
      (row) => row.id,
      (ids) => loader.agreements(ids),
    );
    this.#qcResults = new ChunkTable(
      (row) => key(row.batch_id, row.result_id),
      (batchIds) => loader.qcResults(batchIds),
    );
    this.#batches = new ChunkTable(
      (row) => row.id,
      async (ids) => {
        const [rows] = await Promise.all([loader.batches(ids), this.#qcResults.load(ids)]);
        for (const row of rows) this.#readinessBefore.set(row.id, readinessKey(row));
        return rows;
      },
    );
    this.#deviations = new ChunkTable(
      (row) => row.id,
      (ids) => loader.deviations(ids),
    );
    this.#links = new ChunkTable(
      (row) => key(row.deviation_id, row.batch_id),
      (scoped) =>
        loader.deviationBatches({
          deviationIds: idsIn(scoped, 'deviation:'),
          batchIds: idsIn(scoped, 'batch:'),
        }),
    );
    this.#timeline = new ChunkTable(
      (row) => row.event_id,
      (ids) => loader.timeline(ids),
    );
  }

  /** Loads in a few queries what the chunk's events will touch (anything missed loads on demand). */
  async prefetch(events: readonly RecordedEvent[]): Promise<void> {
    const batchIds = new Set<string>();
    const deviationIds = new Set<string>();
    const agreementIds = new Set<string>();
    const organizationIds = new Set<string>();
    const corrected = new Set<string>();
    for (const event of events) {
      const { kind, id } = streamKind(event.streamId);
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
    await Promise.all([
      this.#deviations.load(deviationIds),
      this.#agreements.load(agreementIds),
      this.#people.load(organizationIds),
      this.#organizations.load(organizationIds),
      this.#timeline.load(corrected),
      this.#links.load([
        ...[...deviationIds].map((id) => `deviation:${id}`),
        ...[...batchIds].map((id) => `batch:${id}`),
      ]),
    ]);
    for (const link of this.#links.values()) batchIds.add(link.batch_id);
    await this.#batches.load(batchIds);
    await this.#deviations.load(
      [...this.#batches.values()].flatMap((batch) => Object.keys(batch.open_deviations)),
    );
  }

  /** Projects one stored event: each stream's events are its aggregate's domain events. */
  async apply(event: RecordedEvent): Promise<void> {
    const { kind, id } = streamKind(event.streamId);
    if (kind === 'organization')
      return this.#applyOrganization(id, toDomainEvent<OrganizationEvent>(event));
    if (kind === 'agreement') return this.#applyAgreement(id, toDomainEvent<AgreementEvent>(event));
    if (kind === 'batch') return this.#applyBatch(id, event, toDomainEvent<BatchEvent>(event));
    if (kind === 'deviation')
      return this.#applyDeviation(id, event, toDomainEvent<DeviationEvent>(event));
  }

  /** Recomputes readiness where it may have moved and returns every changed row. */
  async finish(): Promise<ChunkWrites> {
    const moved = new Set(this.#batches.changedKeys());
    const changedDeviations = new Set(this.#deviations.changedKeys());
    for (const link of this.#links.values())
      if (changedDeviations.has(link.deviation_id)) moved.add(link.batch_id);
    for (const batchId of moved) {
      const batch = await this.#batches.find(batchId);
      if (!batch) continue;
      await this.#deviations.load(Object.keys(batch.open_deviations));
      const blockers = releaseBlockers(batch, (id) => this.#deviations.get(id));
      const before = this.#readinessBefore.get(batchId) ?? readinessKey(batch);
      batch.blockers = blockers;
      batch.blocker_count = blockers.length;
      batch.release_ready = isReleaseReady(blockers, batch.status);
      if (readinessKey(batch) !== before) {
        this.#batches.touch(batch);
        this.#change('readiness', batch, BigInt(batch.last_position));
      }
    }
    return {
      organizations: this.#organizations.changed(),
      people: this.#people.changed(),
      agreements: this.#agreements.changed(),
      batches: this.#batches.changed(),
      qcResults: this.#qcResults.changed(),
      deviations: this.#deviations.changed(),
      deviationBatches: this.#links.changed(),
      timeline: this.#timeline.changed().sort((a, b) => compareBigint(a.position, b.position)),
      changes: [...this.#changes.values()],
    };
  }

  #applyOrganization(organizationId: string, event: OrganizationEvent): void {
    const change = projectOrganizationEvent(organizationId, event, (personId) =>
      this.#people.get(key(organizationId, personId)),
    );
    if (change?.table === 'organization') this.#organizations.put(change.row);
    if (change?.table === 'person') this.#people.put(change.row);
  }

  #applyAgreement(agreementId: string, event: AgreementEvent): void {
    const row = projectAgreementEvent(agreementId, this.#agreements.get(agreementId), event);
    if (row) this.#agreements.put(row);
  }

  async #applyBatch(batchId: string, stored: RecordedEvent, event: BatchEvent): Promise<void> {
    let batch = await this.#batches.find(batchId);
    if (event.type === 'concord.batch.scheduled.v1') {
      if (batch) return;
      const agreement = await this.#agreements.find(event.data.agreementId);
      batch = this.#batches.put(scheduledBatchRow(batchId, event, agreement, stored.recordedAt));
      this.#readinessBefore.set(batchId, '');
    }
    if (!batch) return;
    const row = batch;
    if (event.type === 'concord.correction.recorded.v1') {
      await this.#applyCorrection(stored, event, (corrected) =>
        this.#restateBatch(row, corrected as BatchFactEvent, stored.id, true),
      );
    } else {
      evolveBatchLifecycle(row, event);
      this.#restateBatch(row, event, stored.id, false);
    }
    this.#moved(this.#batches, 'batch', row, stored);
    this.#addTimeline(stored, { batch_id: batchId, deviation_id: null, ...parties(row) });
  }

  #restateBatch(batch: BatchRow, event: BatchFactEvent, eventId: string, correcting: boolean) {
    const before = (resultId: string) => this.#qcResults.get(key(batch.id, resultId));
    const qcResult = restateBatchFacts(batch, event, eventId, correcting ? { before } : null);
    if (qcResult) this.#qcResults.put(qcResult);
  }

  async #applyDeviation(
    deviationId: string,
    stored: RecordedEvent,
    event: DeviationEvent,
  ): Promise<void> {
    let deviation = await this.#deviations.find(deviationId);
    if (event.type === 'concord.deviation.reported.v1') {
      if (deviation) return;
      const { agreementId } = event.data;
      const agreement = await this.#agreements.find(agreementId);
      if (!agreement) throw new Error(`deviation ${deviationId}: agreement ${agreementId} unknown`);
      const reportedBy = stored.metadata.actororg ?? '';
      deviation = this.#deviations.put(
        reportedDeviationRow(deviationId, event, agreement, reportedBy, stored.recordedAt),
      );
    }
    if (!deviation) return;
    const row = deviation;
    const context = {
      deadlinesHours: this.#agreements.get(row.agreement_id)?.notification_deadlines_hours,
      link: (batchId: string) => this.#link(row, batchId),
    };
    if (event.type === 'concord.correction.recorded.v1') {
      await this.#applyCorrection(stored, event, (corrected) =>
        restateDeviationFacts(row, corrected as DeviationFactEvent, context),
      );
    } else {
      evolveDeviationLifecycle(row, event);
      restateDeviationFacts(row, event, context);
    }
    this.#moved(this.#deviations, 'deviation', row, stored);
    this.#addTimeline(stored, { batch_id: null, deviation_id: deviationId, ...parties(row) });
  }

  #link(deviation: DeviationRow, batchId: string): DeviationBatchRow {
    return this.#links.put(
      this.#links.get(key(deviation.id, batchId)) ?? {
        deviation_id: deviation.id,
        batch_id: batchId,
        sponsor_id: deviation.sponsor_id,
        cdmo_id: deviation.cdmo_id,
        impact: null,
        impact_conclusion: null,
      },
    );
  }

  /**
   * A correction leaves the corrected event untouched in the record and on the timeline (which
   * marks it as corrected); the read model shows the corrected value, and never moves the
   * lifecycle (a correction states facts, it does not act).
   */
  async #applyCorrection(
    stored: RecordedEvent,
    correction: CorrectionRecorded,
    restate: (corrected: DomainEvent) => void,
  ): Promise<void> {
    const original = await this.#timeline.find(correction.data.correctedEventId);
    if (!original) return;
    // Earlier corrections of the same event stay applied: restate from the latest corrected data.
    // Only the fields the domain lets a correction change are applied, so a correction stored
    // before that rule existed cannot show a decision or a signature nobody made.
    const corrected = correctedData(
      original.type,
      original.corrected_data ?? original.data,
      correction.data.changes,
    );
    original.corrected_data = corrected as Json;
    original.corrected_by_event_ids = [...original.corrected_by_event_ids, stored.id];
    this.#timeline.touch(original);
    const { event_id: id, type } = original;
    restate(toDomainEvent({ id, type, data: corrected as JsonObject, metadata: {} }));
  }

  #addTimeline(event: RecordedEvent, subject: TimelineSubject): void {
    const { actororg, actorid } = event.metadata;
    const actor = this.#people.get(key(actororg ?? 'unknown', actorid ?? 'unknown'));
    this.#timeline.put(
      timelineEntry(event, subject, actor, correctedStoredEventIdOf(event) ?? null),
    );
  }

  /** A stream's row moved: its version and position, and a change for live subscribers. */
  #moved<Row extends BatchRow | DeviationRow>(
    table: ChunkTable<Row>,
    kind: 'batch' | 'deviation',
    row: Row,
    event: RecordedEvent,
  ): void {
    row.last_changed_at = event.recordedAt;
    row.stream_version = event.streamVersion;
    row.last_position = String(event.globalPosition);
    table.touch(row);
    this.#change(kind, row, event.globalPosition);
  }

  #change(
    kind: ReadModelChange['kind'],
    row: { id: string; sponsor_id: string; cdmo_id: string },
    position: bigint,
  ): void {
    this.#changes.set(key(kind, row.id), {
      kind,
      id: row.id,
      sponsorId: row.sponsor_id,
      cdmoId: row.cdmo_id,
      position,
    });
  }
}

/** The ids of one kind in a scoped list (`deviation:<id>`, `batch:<id>`). */
const idsIn = (scoped: readonly string[], prefix: string) =>
  scoped.flatMap((id) => (id.startsWith(prefix) ? [id.slice(prefix.length)] : []));

/** Readiness in a fixed field order (jsonb hands objects back with their keys reordered). */
function readinessKey(batch: BatchRow): string {
  return JSON.stringify([
    batch.blockers.map(({ kind, reference, severity, description }) => [
      kind,
      reference,
      severity,
      description,
    ]),
    batch.release_ready,
  ]);
}

function compareBigint(a: string, b: string): number {
  const difference = BigInt(a) - BigInt(b);
  return difference < 0n ? -1 : difference > 0n ? 1 : 0;
}

/** The parties of a batch or deviation, who may see its timeline. */
const parties = (row: { sponsor_id: string; cdmo_id: string }) => ({
  sponsor_id: row.sponsor_id,
  cdmo_id: row.cdmo_id,
});
