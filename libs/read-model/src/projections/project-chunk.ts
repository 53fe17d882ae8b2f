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
 * Projects one chunk of events (in global order) onto the rows they touch. Pure apart from the
 * loader: the same events over the same rows always give the same writes, which is what makes a
 * rebuild from position 0 byte-identical to the read model built live.
 */
export class ProjectionChunk {
  readonly #loader: RowLoader;
  readonly #organizations = new Map<string, OrganizationRow>();
  readonly #people = new Map<string, PersonRow>();
  readonly #agreements = new Map<string, AgreementRow>();
  readonly #batches = new Map<string, BatchRow>();
  readonly #qcResults = new Map<string, QcResultRow>();
  readonly #deviations = new Map<string, DeviationRow>();
  readonly #links = new Map<string, DeviationBatchRow>();
  readonly #timeline = new Map<string, TimelineRow>();
  readonly #tried = new Set<string>();
  readonly #dirty = new Set<string>();
  readonly #changes = new Map<string, ReadModelChange>();
  readonly #readinessBefore = new Map<string, string>();

  constructor(loader: RowLoader) {
    this.#loader = loader;
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
      this.#loadDeviations([...deviationIds]),
      this.#loadAgreements([...agreementIds]),
      this.#loadPeople([...organizationIds]),
      this.#loadOrganizations([...organizationIds]),
      this.#loadTimeline([...corrected]),
      this.#loadLinks({ deviationIds: [...deviationIds], batchIds: [...batchIds] }),
    ]);
    for (const link of this.#links.values()) batchIds.add(link.batch_id);
    await this.#loadBatches([...batchIds]);
    const linkedDeviations = [...this.#batches.values()].flatMap((batch) =>
      Object.keys(batch.open_deviations),
    );
    await this.#loadDeviations(linkedDeviations);
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
    const readinessDirty = new Set<string>();
    for (const dirty of this.#dirty) {
      const [table, id] = dirty.split('\u0000') as [string, string];
      if (table === 'batch') readinessDirty.add(id);
      if (table === 'deviation')
        for (const link of this.#links.values())
          if (link.deviation_id === id) readinessDirty.add(link.batch_id);
    }
    for (const batchId of readinessDirty) {
      const batch = await this.#batch(batchId);
      if (!batch) continue;
      await this.#loadDeviations(Object.keys(batch.open_deviations));
      const blockers = releaseBlockers(batch, (id) => this.#deviations.get(id));
      const ready = isReleaseReady(blockers, batch.status);
      const before = this.#readinessBefore.get(batchId) ?? readinessKey(batch);
      batch.blockers = blockers;
      batch.blocker_count = blockers.length;
      batch.release_ready = ready;
      if (readinessKey(batch) !== before) {
        this.#dirty.add(key('batch', batchId));
        this.#change('readiness', batchId, batch, BigInt(batch.last_position));
      }
    }
    const pick = <Row>(table: string, rows: Map<string, Row>, keyOf: (row: Row) => string) =>
      [...rows.values()].filter((row) => this.#dirty.has(key(table, keyOf(row))));
    return {
      organizations: pick('organization', this.#organizations, (r) => r.id),
      people: pick('person', this.#people, (r) => key(r.organization_id, r.person_id)),
      agreements: pick('agreement', this.#agreements, (r) => r.id),
      batches: pick('batch', this.#batches, (r) => r.id),
      qcResults: pick('qc', this.#qcResults, (r) => key(r.batch_id, r.result_id)),
      deviations: pick('deviation', this.#deviations, (r) => r.id),
      deviationBatches: pick('link', this.#links, (r) => key(r.deviation_id, r.batch_id)),
      timeline: pick('timeline', this.#timeline, (r) => r.event_id).sort((a, b) =>
        compareBigint(a.position, b.position),
      ),
      changes: [...this.#changes.values()],
    };
  }

  // --- the directory and agreements -------------------------------------------------------

  #applyOrganization(organizationId: string, event: OrganizationEvent): void {
    const change = projectOrganizationEvent(organizationId, event, (personId) =>
      this.#people.get(key(organizationId, personId)),
    );
    if (change?.table === 'organization') {
      this.#organizations.set(organizationId, change.row);
      this.#dirty.add(key('organization', organizationId));
    }
    if (change?.table === 'person') {
      const personKey = key(organizationId, change.row.person_id);
      this.#people.set(personKey, change.row);
      this.#dirty.add(key('person', personKey));
    }
  }

  #applyAgreement(agreementId: string, event: AgreementEvent): void {
    const row = projectAgreementEvent(agreementId, this.#agreements.get(agreementId), event);
    if (!row) return;
    this.#agreements.set(agreementId, row);
    this.#dirty.add(key('agreement', agreementId));
  }

  // --- batches ----------------------------------------------------------------------------

  async #applyBatch(batchId: string, stored: RecordedEvent, event: BatchEvent): Promise<void> {
    let batch = await this.#batch(batchId);
    if (event.type === 'concord.batch.scheduled.v1') {
      if (batch) return;
      await this.#loadAgreements([event.data.agreementId]);
      batch = scheduledBatchRow(
        batchId,
        event,
        this.#agreements.get(event.data.agreementId),
        stored.recordedAt,
      );
      this.#batches.set(batchId, batch);
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
    this.#touched('batch', row, stored);
    this.#addTimeline(stored, { batch_id: batchId, deviation_id: null, ...parties(row) });
  }

  #restateBatch(batch: BatchRow, event: BatchFactEvent, eventId: string, correcting: boolean) {
    const before = (resultId: string) => this.#qcResults.get(key(batch.id, resultId));
    const qcResult = restateBatchFacts(batch, event, eventId, correcting ? { before } : null);
    if (!qcResult) return;
    const qcKey = key(qcResult.batch_id, qcResult.result_id);
    this.#qcResults.set(qcKey, qcResult);
    this.#dirty.add(key('qc', qcKey));
  }

  // --- deviations -------------------------------------------------------------------------

  async #applyDeviation(
    deviationId: string,
    stored: RecordedEvent,
    event: DeviationEvent,
  ): Promise<void> {
    let deviation = await this.#deviation(deviationId);
    if (event.type === 'concord.deviation.reported.v1') {
      if (deviation) return;
      const { agreementId } = event.data;
      await this.#loadAgreements([agreementId]);
      const agreement = this.#agreements.get(agreementId);
      if (!agreement) throw new Error(`deviation ${deviationId}: agreement ${agreementId} unknown`);
      const reportedBy = stored.metadata.actororg ?? '';
      deviation = reportedDeviationRow(
        deviationId,
        event,
        agreement,
        reportedBy,
        stored.recordedAt,
      );
      this.#deviations.set(deviationId, deviation);
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
    this.#touched('deviation', row, stored);
    this.#addTimeline(stored, { batch_id: null, deviation_id: deviationId, ...parties(row) });
  }

  #link(deviation: DeviationRow, batchId: string): DeviationBatchRow {
    const linkKey = key(deviation.id, batchId);
    const link = this.#links.get(linkKey) ?? {
      deviation_id: deviation.id,
      batch_id: batchId,
      sponsor_id: deviation.sponsor_id,
      cdmo_id: deviation.cdmo_id,
      impact: null,
      impact_conclusion: null,
    };
    this.#links.set(linkKey, link);
    this.#dirty.add(key('link', linkKey));
    return link;
  }

  // --- corrections and the timeline -------------------------------------------------------

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
    const correctedId = correction.data.correctedEventId;
    await this.#loadTimeline([correctedId]);
    const original = this.#timeline.get(correctedId);
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
    this.#dirty.add(key('timeline', original.event_id));
    const restated = toDomainEvent({
      id: original.event_id,
      type: original.type,
      data: corrected as JsonObject,
      metadata: {},
    });
    restate(restated);
  }

  #addTimeline(event: RecordedEvent, subject: TimelineSubject): void {
    const { actororg, actorid } = event.metadata;
    const actor = this.#people.get(key(actororg ?? 'unknown', actorid ?? 'unknown'));
    const corrects = correctedStoredEventIdOf(event) ?? null;
    this.#timeline.set(event.id, timelineEntry(event, subject, actor, corrects));
    this.#tried.add(key('timeline', event.id));
    this.#dirty.add(key('timeline', event.id));
  }

  /** A stream's row moved: its version and position, and a change for live subscribers. */
  #touched(kind: 'batch' | 'deviation', row: BatchRow | DeviationRow, event: RecordedEvent) {
    row.last_changed_at = event.recordedAt;
    row.stream_version = event.streamVersion;
    row.last_position = String(event.globalPosition);
    this.#dirty.add(key(kind, row.id));
    this.#change(kind, row.id, row, event.globalPosition);
  }

  #change(
    kind: ReadModelChange['kind'],
    id: string,
    parties: { sponsor_id: string; cdmo_id: string },
    position: bigint,
  ): void {
    this.#changes.set(key(kind, id), {
      kind,
      id,
      sponsorId: parties.sponsor_id,
      cdmoId: parties.cdmo_id,
      position,
    });
  }

  // --- loading ------------------------------------------------------------------------------

  async #batch(id: string): Promise<BatchRow | undefined> {
    await this.#loadBatches([id]);
    return this.#batches.get(id);
  }

  async #deviation(id: string): Promise<DeviationRow | undefined> {
    await this.#loadDeviations([id]);
    return this.#deviations.get(id);
  }

  #untried(table: string, ids: readonly string[]): string[] {
    const fresh = [...new Set(ids)].filter((id) => !this.#tried.has(key(table, id)));
    for (const id of fresh) this.#tried.add(key(table, id));
    return fresh;
  }

  async #loadBatches(ids: string[]): Promise<void> {
    const fresh = this.#untried('batch', ids);
    if (fresh.length === 0) return;
    for (const row of await this.#loader.batches(fresh)) {
      this.#batches.set(row.id, row);
      this.#readinessBefore.set(row.id, readinessKey(row));
    }
    for (const row of await this.#loader.qcResults(fresh))
      this.#qcResults.set(key(row.batch_id, row.result_id), row);
  }

  async #loadDeviations(ids: string[]): Promise<void> {
    const fresh = this.#untried('deviation', ids);
    if (fresh.length === 0) return;
    for (const row of await this.#loader.deviations(fresh)) this.#deviations.set(row.id, row);
  }

  async #loadLinks(scope: { deviationIds: string[]; batchIds: string[] }): Promise<void> {
    const deviationIds = this.#untried('links-of-deviation', scope.deviationIds);
    const batchIds = this.#untried('links-of-batch', scope.batchIds);
    if (deviationIds.length + batchIds.length === 0) return;
    for (const row of await this.#loader.deviationBatches({ deviationIds, batchIds })) {
      const linkKey = key(row.deviation_id, row.batch_id);
      if (!this.#links.has(linkKey)) this.#links.set(linkKey, row);
    }
  }

  async #loadAgreements(ids: string[]): Promise<void> {
    const fresh = this.#untried('agreement', ids);
    if (fresh.length === 0) return;
    for (const row of await this.#loader.agreements(fresh)) this.#agreements.set(row.id, row);
  }

  async #loadOrganizations(ids: string[]): Promise<void> {
    const fresh = this.#untried('organization', ids);
    if (fresh.length === 0) return;
    for (const row of await this.#loader.organizations(fresh)) this.#organizations.set(row.id, row);
  }

  async #loadPeople(organizationIds: string[]): Promise<void> {
    const fresh = this.#untried('people', organizationIds);
    if (fresh.length === 0) return;
    for (const row of await this.#loader.people(fresh))
      this.#people.set(key(row.organization_id, row.person_id), row);
  }

  async #loadTimeline(eventIds: string[]): Promise<void> {
    const fresh = this.#untried('timeline', eventIds);
    if (fresh.length === 0) return;
    for (const row of await this.#loader.timeline(fresh)) this.#timeline.set(row.event_id, row);
  }
}

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
