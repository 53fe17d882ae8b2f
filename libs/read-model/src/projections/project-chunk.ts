import {
  correctedData,
  describeEvent,
  reasonOf,
  streamOf,
  evolveBatch,
  evolveDeviation,
  toDomainEvent,
  withinSpecification,
  type BatchEvent,
  type BatchState,
  type DeviationEvent,
  type DeviationState,
  type ElectronicSignature,
} from '@concord/domain';
import type { RecordedEvent } from '@concord/event-store';
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

type Data = Record<string, unknown>;
type Signature = ElectronicSignature;

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
      if (event.type === 'concord.correction.recorded.v1') corrected.add(correctedIdOf(event));
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

  async apply(event: RecordedEvent): Promise<void> {
    const { kind, id } = streamKind(event.streamId);
    if (kind === 'organization') return this.#applyOrganization(id, event);
    if (kind === 'agreement') return this.#applyAgreement(id, event);
    if (kind === 'batch') return this.#applyBatch(id, event);
    if (kind === 'deviation') return this.#applyDeviation(id, event);
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

  // --- organizations and agreements -------------------------------------------------------

  #applyOrganization(organizationId: string, event: RecordedEvent): void {
    const data = event.data as Data;
    if (event.type === 'concord.organization.registered.v1') {
      this.#organizations.set(organizationId, {
        id: organizationId,
        name: String(data.name),
        kind: String(data.kind),
      });
      this.#dirty.add(key('organization', organizationId));
    }
    if (
      event.type === 'concord.organization.role-granted.v1' ||
      event.type === 'concord.organization.role-revoked.v1'
    ) {
      const personId = String(data.personId);
      const personKey = key(organizationId, personId);
      const person = this.#people.get(personKey) ?? {
        organization_id: organizationId,
        person_id: personId,
        printed_name: String(data.printedName ?? personId),
        roles: [],
      };
      const role = String(data.role);
      const roles = new Set(person.roles);
      if (event.type === 'concord.organization.role-granted.v1') {
        roles.add(role);
        person.printed_name = String(data.printedName);
      } else roles.delete(role);
      person.roles = [...roles].sort();
      this.#people.set(personKey, person);
      this.#dirty.add(key('person', personKey));
    }
  }

  #applyAgreement(agreementId: string, event: RecordedEvent): void {
    const data = event.data as Data;
    if (event.type === 'concord.agreement.version-approved.v1') {
      const current = this.#agreements.get(agreementId);
      if (current && current.version >= Number(data.version)) return;
      this.#agreements.set(agreementId, {
        id: agreementId,
        version: Number(data.version),
        sponsor_id: String(data.sponsorId),
        cdmo_id: String(data.cdmoId),
        products: data.products as AgreementRow['products'],
        responsibilities: data.responsibilities as Json,
        notification_deadlines_hours:
          data.notificationDeadlinesHours as AgreementRow['notification_deadlines_hours'],
        effective_from: String(data.effectiveFrom),
        terminated_at: current?.terminated_at ?? null,
      });
      this.#dirty.add(key('agreement', agreementId));
    }
    if (event.type === 'concord.agreement.terminated.v1') {
      const current = this.#agreements.get(agreementId);
      if (!current) return;
      current.terminated_at = String(data.effectiveAt);
      this.#dirty.add(key('agreement', agreementId));
    }
  }

  // --- batches ----------------------------------------------------------------------------

  async #applyBatch(batchId: string, event: RecordedEvent): Promise<void> {
    const data = event.data as Data;
    let batch = await this.#batch(batchId);
    if (event.type === 'concord.batch.scheduled.v1') {
      if (batch) return;
      await this.#loadAgreements([String(data.agreementId)]);
      const agreement = this.#agreements.get(String(data.agreementId));
      batch = {
        id: batchId,
        batch_number: '',
        product_id: String(data.productId),
        product_name:
          agreement?.products.find((product) => product.productId === data.productId)?.name ?? null,
        agreement_id: String(data.agreementId),
        sponsor_id: String(data.sponsorId),
        cdmo_id: String(data.cdmoId),
        site: '',
        status: 'scheduled',
        planned_quantity_value: 0,
        planned_quantity_unit: '',
        actual_quantity_value: null,
        actual_quantity_unit: null,
        planned_start: '',
        scheduled_at: event.recordedAt,
        started_at: null,
        completed_at: null,
        record_reviewed_at: null,
        coa_id: null,
        coa_issued_at: null,
        disposition_decision: null,
        dispositioned_at: null,
        disposition_signature: null,
        register_entry_id: null,
        certified_at: null,
        certification_signature: null,
        shipment_id: null,
        shipped_at: null,
        open_deviations: {},
        oos_investigations: {},
        blockers: [],
        blocker_count: 0,
        release_ready: false,
        last_changed_at: event.recordedAt,
        stream_version: 0,
        last_position: '0',
      };
      this.#batches.set(batchId, batch);
      this.#readinessBefore.set(batchId, '');
    }
    if (!batch) return;
    if (event.type === 'concord.correction.recorded.v1') {
      await this.#applyCorrection(event, (type, corrected) =>
        this.#batchFacts(batch, type, corrected, event, true),
      );
    } else {
      const evolved = evolveBatch(batchState(batch), toDomainEvent<BatchEvent>(event));
      if (evolved.status !== 'empty') {
        batch.status = evolved.status;
        batch.open_deviations = { ...evolved.openDeviations };
        batch.oos_investigations = { ...evolved.oosInvestigations };
      }
      this.#batchFacts(batch, event.type, data, event, false);
    }
    batch.last_changed_at = event.recordedAt;
    batch.stream_version = event.streamVersion;
    batch.last_position = String(event.globalPosition);
    this.#dirty.add(key('batch', batchId));
    this.#change('batch', batchId, batch, event.globalPosition);
    this.#addTimeline(event, { batch_id: batchId, deviation_id: null }, batch);
  }

  /** The facts an event states about a batch; `correcting` applies a corrected value again. */
  #batchFacts(
    batch: BatchRow,
    type: string,
    data: Data,
    event: RecordedEvent,
    correcting: boolean,
  ): void {
    const quantity = (value: unknown) => value as { value: number; unit: string };
    switch (type) {
      case 'concord.batch.scheduled.v1': {
        const planned = quantity(data.plannedQuantity);
        batch.batch_number = String(data.batchNumber);
        batch.site = String(data.site);
        batch.planned_quantity_value = planned.value;
        batch.planned_quantity_unit = planned.unit;
        batch.planned_start = String(data.plannedStart);
        return;
      }
      case 'concord.batch.manufacturing-started.v1':
        batch.started_at = String(data.startedAt);
        return;
      case 'concord.batch.manufacturing-completed.v1': {
        const actual = quantity(data.actualQuantity);
        batch.completed_at = String(data.completedAt);
        batch.actual_quantity_value = actual.value;
        batch.actual_quantity_unit = actual.unit;
        return;
      }
      case 'concord.batch.record-reviewed.v1':
        if (data.outcome === 'approved')
          batch.record_reviewed_at = (data.signature as Signature).signedAt;
        return;
      case 'concord.batch.qc-result-recorded.v1': {
        const specification = data.specification as {
          lower?: number;
          upper?: number;
          unit: string;
        };
        const value = Number(data.value);
        const row: QcResultRow = {
          batch_id: batch.id,
          result_id: String(data.resultId),
          sponsor_id: batch.sponsor_id,
          cdmo_id: batch.cdmo_id,
          test: String(data.test),
          method: typeof data.method === 'string' ? data.method : null,
          specification_lower: specification.lower ?? null,
          specification_upper: specification.upper ?? null,
          specification_unit: specification.unit,
          value,
          unit: String(data.unit),
          within_specification: withinSpecification(value, specification),
          tested_at: String(data.testedAt),
          corrected: correcting,
          event_id: correcting
            ? (this.#qcResults.get(key(batch.id, String(data.resultId)))?.event_id ?? event.id)
            : event.id,
        };
        this.#qcResults.set(key(row.batch_id, row.result_id), row);
        this.#dirty.add(key('qc', key(row.batch_id, row.result_id)));
        return;
      }
      case 'concord.batch.coa-issued.v1':
        batch.coa_id = String(data.coaId);
        batch.coa_issued_at = String(data.issuedAt);
        return;
      case 'concord.batch.disposition-recorded.v1':
        batch.disposition_decision = String(data.decision);
        batch.disposition_signature = data.signature as Signature;
        batch.dispositioned_at = (data.signature as Signature).signedAt;
        return;
      case 'concord.batch.qp-certified.v1':
        batch.register_entry_id = String(data.registerEntryId);
        batch.certified_at = String(data.certifiedAt);
        batch.certification_signature = data.signature as Signature;
        return;
      case 'concord.batch.shipped.v1':
      case 'concord.batch.shipped.v2':
        batch.shipment_id = String(data.shipmentId);
        batch.shipped_at = String(data.shippedAt);
        return;
      default:
        return;
    }
  }

  // --- deviations -------------------------------------------------------------------------

  async #applyDeviation(deviationId: string, event: RecordedEvent): Promise<void> {
    const data = event.data as Data;
    let deviation = await this.#deviation(deviationId);
    if (event.type === 'concord.deviation.reported.v1') {
      if (deviation) return;
      await this.#loadAgreements([String(data.agreementId)]);
      const agreement = this.#agreements.get(String(data.agreementId));
      if (!agreement)
        throw new Error(`deviation ${deviationId}: agreement ${data.agreementId} unknown`);
      deviation = {
        id: deviationId,
        title: '',
        description: '',
        category: '',
        severity: String(data.severity),
        status: 'reported',
        product_id: String(data.productId),
        agreement_id: agreement.id,
        sponsor_id: agreement.sponsor_id,
        cdmo_id: agreement.cdmo_id,
        reported_by_organization_id: String(event.metadata.actororg ?? ''),
        detected_at: '',
        reported_at: event.recordedAt,
        notification_deadline: null,
        notified_late: false,
        late_by_minutes: null,
        investigation_summary: null,
        root_cause: null,
        root_cause_category: null,
        capa_id: null,
        capa_actions: null,
        capa_status: 'none',
        capa_approval_signature: null,
        closure_approved_at: null,
        closure_approval_signature: null,
        closed_at: null,
        conclusion: null,
        closing_signature: null,
        last_changed_at: event.recordedAt,
        stream_version: 0,
        last_position: '0',
      };
      this.#deviations.set(deviationId, deviation);
    }
    if (!deviation) return;
    if (event.type === 'concord.correction.recorded.v1') {
      await this.#applyCorrection(event, (type, corrected) =>
        this.#deviationFacts(deviation, type, corrected),
      );
    } else {
      const evolved = evolveDeviation(
        deviationState(deviation),
        toDomainEvent<DeviationEvent>(event),
      );
      if (evolved.status !== 'empty') {
        deviation.status = evolved.status;
        deviation.severity = evolved.severity;
      }
      this.#deviationFacts(deviation, event.type, data);
    }
    deviation.last_changed_at = event.recordedAt;
    deviation.stream_version = event.streamVersion;
    deviation.last_position = String(event.globalPosition);
    this.#dirty.add(key('deviation', deviationId));
    this.#change('deviation', deviationId, deviation, event.globalPosition);
    this.#addTimeline(event, { batch_id: null, deviation_id: deviationId }, deviation);
  }

  #deviationFacts(deviation: DeviationRow, type: string, data: Data): void {
    switch (type) {
      case 'concord.deviation.reported.v1': {
        deviation.title = String(data.title);
        deviation.description = String(data.description);
        deviation.category = String(data.category);
        deviation.detected_at = String(data.detectedAt);
        const hours = this.#agreements.get(deviation.agreement_id)?.notification_deadlines_hours;
        const limit = hours?.[deviation.severity as keyof typeof hours];
        deviation.notification_deadline =
          limit === undefined
            ? null
            : new Date(Date.parse(deviation.detected_at) + limit * 3_600_000).toISOString();
        for (const batchId of (data.linkedBatchIds as string[] | undefined) ?? [])
          this.#link(deviation, batchId);
        return;
      }
      case 'concord.deviation.reported-late.v1':
        deviation.notified_late = true;
        deviation.late_by_minutes = Number(data.lateByMinutes);
        deviation.notification_deadline = String(data.deadline);
        return;
      case 'concord.deviation.classified.v1':
        deviation.category = String(data.category);
        return;
      case 'concord.deviation.investigation-updated.v1':
        deviation.investigation_summary = String(data.summary);
        return;
      case 'concord.deviation.root-cause-identified.v1':
        deviation.root_cause = String(data.rootCause);
        deviation.root_cause_category = String(data.rootCauseCategory);
        return;
      case 'concord.deviation.batch-impact-assessed.v1':
        for (const assessment of data.assessments as {
          batchId: string;
          impact: string;
          conclusion: string;
        }[]) {
          const link = this.#link(deviation, assessment.batchId);
          link.impact = assessment.impact;
          link.impact_conclusion = assessment.conclusion;
        }
        return;
      case 'concord.deviation.capa-proposed.v1':
        deviation.capa_id = String(data.capaId);
        deviation.capa_actions = data.actions as Json;
        deviation.capa_status = 'proposed';
        return;
      case 'concord.deviation.capa-approved.v1':
        deviation.capa_status = 'approved';
        deviation.capa_approval_signature = data.signature as Signature;
        return;
      case 'concord.deviation.closure-approved.v1':
        deviation.closure_approved_at = (data.signature as Signature).signedAt;
        deviation.closure_approval_signature = data.signature as Signature;
        return;
      case 'concord.deviation.closed.v1':
        deviation.closed_at = (data.signature as Signature).signedAt;
        deviation.conclusion = String(data.conclusion);
        deviation.closing_signature = data.signature as Signature;
        return;
      default:
        return;
    }
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
    event: RecordedEvent,
    restate: (type: string, corrected: Data) => void,
  ): Promise<void> {
    const correctedId = correctedIdOf(event);
    await this.#loadTimeline([correctedId]);
    const original = this.#timeline.get(correctedId);
    if (!original) return;
    const changes = (event.data.changes ?? []) as { path: string; newValue: unknown }[];
    // Earlier corrections of the same event stay applied: restate from the latest corrected data.
    // Only the fields the domain lets a correction change are applied, so a correction stored
    // before that rule existed cannot show a decision or a signature nobody made.
    const corrected = correctedData(
      original.type,
      original.corrected_data ?? original.data,
      changes,
    ) as Data;
    original.corrected_data = corrected as Json;
    original.corrected_by_event_ids = [...original.corrected_by_event_ids, event.id];
    this.#dirty.add(key('timeline', original.event_id));
    restate(original.type, corrected);
  }

  /**
   * The role the actor acted in, as the platform knows it: the domain records the role it checked
   * (a signature's, or a claimed role the person holds). An event recorded before that names the
   * role only in the partner's envelope; it is shown when the person holds it, never on trust.
   */
  #registeredRole(
    metadata: RecordedEvent['metadata'],
    organizationId: string,
    personId: string,
  ): string | null {
    if (typeof metadata.actorrole === 'string') return metadata.actorrole;
    const claimed = (metadata.envelope as { actorrole?: unknown } | undefined)?.actorrole;
    if (typeof claimed !== 'string') return null;
    const person = this.#people.get(key(organizationId, personId));
    return person?.roles.includes(claimed) ? claimed : null;
  }

  #addTimeline(
    event: RecordedEvent,
    subject: { batch_id: string | null; deviation_id: string | null },
    parties: { sponsor_id: string; cdmo_id: string },
  ): void {
    const data = event.data as Data;
    const metadata = event.metadata;
    const actorId = metadata.actorid ?? 'unknown';
    const actorOrganization = metadata.actororg ?? 'unknown';
    const signature = (data.signature as Signature | undefined) ?? null;
    const actorName =
      this.#people.get(key(actorOrganization, actorId))?.printed_name ??
      (signature?.signerId === actorId ? signature.printedName : null);
    const entry: TimelineRow = {
      position: String(event.globalPosition),
      event_id: event.id,
      stream_id: event.streamId,
      ...subject,
      sponsor_id: parties.sponsor_id,
      cdmo_id: parties.cdmo_id,
      type: event.type,
      summary: describeEvent(event.type, data),
      occurred_at: metadata.time ?? event.recordedAt,
      recorded_at: event.recordedAt,
      actor_id: actorId,
      actor_name: actorName,
      actor_organization_id: actorOrganization,
      actor_role: this.#registeredRole(metadata, actorOrganization, actorId),
      reason: reasonOf(data),
      data: data as Json,
      corrected_data: null,
      e_signature: signature,
      partner_signature_key_id:
        typeof metadata.signaturekeyid === 'string' ? metadata.signaturekeyid : null,
      corrects_event_id:
        event.type === 'concord.correction.recorded.v1' ? correctedIdOf(event) : null,
      corrected_by_event_ids: [],
    };
    this.#timeline.set(event.id, entry);
    this.#tried.add(key('timeline', event.id));
    this.#dirty.add(key('timeline', event.id));
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

function correctedIdOf(event: RecordedEvent): string {
  const resolved = event.metadata.correctedStoredEventId;
  return typeof resolved === 'string' ? resolved : String(event.data.correctedEventId);
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

/**
 * The domain's state for a row, so the projection moves the lifecycle with the domain's own
 * `evolve` instead of a second copy of its transitions.
 */
function batchState(batch: BatchRow): BatchState {
  return {
    status: batch.status,
    batchId: batch.id,
    batchNumber: batch.batch_number,
    productId: batch.product_id,
    agreementId: batch.agreement_id,
    sponsorId: batch.sponsor_id,
    cdmoId: batch.cdmo_id,
    seen: {},
    openDeviations: batch.open_deviations,
    oosInvestigations: batch.oos_investigations,
    qcResultIds: [],
    ...(batch.coa_id === null ? {} : { coaId: batch.coa_id }),
    decision: batch.disposition_decision,
    registerEntryId: batch.register_entry_id,
    shipmentId: batch.shipment_id,
  } as unknown as BatchState;
}

function deviationState(deviation: DeviationRow): DeviationState {
  return {
    status: deviation.status,
    deviationId: deviation.id,
    agreementId: deviation.agreement_id,
    productId: deviation.product_id,
    severity: deviation.severity,
    linkedBatchIds: [],
    seen: {},
    ...(deviation.capa_id === null ? {} : { capaId: deviation.capa_id }),
  } as unknown as DeviationState;
}
